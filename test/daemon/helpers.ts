import { request } from 'undici';
import { Daemon } from '../../src/app/daemon.ts';
import { parseConfig } from '../../src/config/load.ts';
import { silentLogger } from '../../src/util/logger.ts';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A config probing only the embedded responder in the four ways that tell F1 apart. */
export function embeddedConfig(
  opts: { fault?: 'none' | 'conntrack-race'; every?: string; timeout?: string; extra?: string; only?: string[] } = {},
): string {
  const probe = (name: string, transport: string, mode: string) =>
    opts.only && !opts.only.includes(name)
      ? ''
      : `  - name: ${name}
    kind: dns
    every: ${opts.every ?? '1s'}
    spread: false
    servers: [embedded]
    targetKind: loopback
    names: [kubernetes.default.svc.cluster.local]
    transport: ${transport}
    mode: ${mode}
    timeout: ${opts.timeout ?? '300ms'}
    attempts: 2
`;
  return `sourceNode: test-node
listen: 127.0.0.1:0
embedded:
  dns:
    fault: ${opts.fault ?? 'none'}
    answerDelay: 20ms
probes:
${probe('parallel', 'udp', 'parallel')}${probe('sequential', 'udp', 'sequential')}${probe('reopen', 'udp', 'reopen')}${probe('tcp', 'tcp', 'single')}${opts.extra ?? ''}`;
}

export function startDaemon(yaml: string, env: NodeJS.ProcessEnv = {}): Promise<Daemon> {
  return Daemon.start({ config: parseConfig(yaml, 'test.yaml'), env, log: silentLogger });
}

export async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await request(url);
  return { status: res.statusCode, body: await res.body.text() };
}

/** Sum of every sample of `name` whose labels include all of `match`. */
export function sample(metrics: string, name: string, match: Record<string, string> = {}): number | undefined {
  let total: number | undefined;
  for (const line of metrics.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labels = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (!Object.entries(match).every(([k, v]) => labels[k] === v)) continue;
    total = (total ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}
