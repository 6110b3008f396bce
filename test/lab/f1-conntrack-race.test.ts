// F1, the conntrack insert race on UDP DNS, reproduced in namespaces (docs/lab.md):
// a node namespace reaches a real DNS server (dnsmasq) through a Service VIP
// DNATed by nftables, and the DNS server's namespace loses a second query that
// arrives on a flow before any answer went back. netprobe runs inside the node
// namespace exactly as users run it: the `dns` command, then the daemon whose
// /metrics the test scrapes over the root<->node veth.
//
// What must hold with a 1 s resolver timeout: `parallel` (A+AAAA from one
// socket) stalls at about the timeout on every lookup and still succeeds, while
// `sequential`, `reopen` and `tcp` never stall. Without the fault nothing stalls.
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildServiceVipLab,
  injectConntrackRace,
  Lab,
  removeConntrackRace,
  requireLab,
  runNetprobe,
  startNetprobeDaemon,
  type ServiceVipLab,
} from './harness/index.ts';

// Throws first when CI=true and the lab cannot run: in CI this test is never skipped.
const labAvailable = requireLab({ commands: ['dnsmasq', 'dig'] });

const NAME = 'kubernetes.default.svc.cluster.local';
const TIMEOUT_SECONDS = 1;
const LOOKUPS = 10;
/** "Well under the timeout": an answered-first-time lookup on veths takes milliseconds. */
const FAST_LIMIT_SECONDS = 0.5;

interface Variant {
  label: 'parallel' | 'sequential' | 'reopen' | 'tcp';
  transport: 'udp' | 'tcp';
  mode: 'parallel' | 'sequential' | 'reopen';
}
// tcp keeps the default A+AAAA (parallel) query pattern: one connection, no conntrack race possible.
const VARIANTS: readonly Variant[] = [
  { label: 'parallel', transport: 'udp', mode: 'parallel' },
  { label: 'sequential', transport: 'udp', mode: 'sequential' },
  { label: 'reopen', transport: 'udp', mode: 'reopen' },
  { label: 'tcp', transport: 'tcp', mode: 'parallel' },
];

interface LookupJson {
  outcome: string;
  stalled: boolean;
  durationSeconds: number;
  attemptTimeouts: number;
  queries: { qtype: string; outcome: string; attempts: number }[];
}

/** The `netprobe dns --json` fields this test relies on. */
interface DnsSummary {
  count: number;
  succeeded: number;
  stalled: number;
  failed: number;
  latency_seconds: { min: number; p50: number; p90: number; p99: number; max: number } | null;
  lookups: LookupJson[];
}

async function probeVip(lab: Lab, vip: ServiceVipLab, variant: Variant): Promise<DnsSummary> {
  const args = ['dns', NAME, '--server', vip.vip, '--transport', variant.transport, '--mode', variant.mode];
  args.push('--timeout', `${TIMEOUT_SECONDS}s`, '--attempts', '2', '--count', String(LOOKUPS), '--interval', '100ms', '--json');
  const result = await runNetprobe(lab, vip.nodeNs, args, { timeoutMs: 60_000, allowFailure: true });
  try {
    // --json streams one object per lookup, then the summary.
    const objects = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const summary = objects.pop() as unknown as DnsSummary;
    return { ...summary, lookups: objects as unknown as LookupJson[] };
  } catch {
    throw new Error(`netprobe ${args.join(' ')} printed no JSON (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
}

describe.skipIf(!labAvailable)('F1 conntrack race through a DNATed Service VIP', () => {
  let lab: Lab;
  let vip: ServiceVipLab;
  beforeAll(async () => {
    lab = await Lab.create(import.meta.url);
    vip = await buildServiceVipLab(lab);
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  describe('control: no fault', () => {
    it.each(VARIANTS)('$label: 10 lookups, none stalls, all fast', async (variant) => {
      const summary = await probeVip(lab, vip, variant);
      expect(summary.count).toBe(LOOKUPS);
      expect(summary.succeeded).toBe(LOOKUPS);
      expect(summary.stalled).toBe(0);
      expect(summary.latency_seconds?.max).toBeLessThan(FAST_LIMIT_SECONDS);
    });
  });

  describe('F1 injected in the DNS server namespace', () => {
    beforeAll(async () => {
      await injectConntrackRace(vip);
    });
    afterAll(async () => {
      await removeConntrackRace(vip);
    });

    it('parallel: every lookup stalls at about the 1 s timeout and still succeeds', async () => {
      const summary = await probeVip(lab, vip, VARIANTS[0]!);
      expect(summary.count).toBe(LOOKUPS);
      expect(summary.succeeded).toBe(LOOKUPS);
      expect(summary.stalled).toBe(LOOKUPS);
      expect(summary.latency_seconds?.min).toBeGreaterThanOrEqual(TIMEOUT_SECONDS * 0.95);
      expect(summary.latency_seconds?.max).toBeLessThanOrEqual(TIMEOUT_SECONDS * 1.5);
      // The race's signature: A (sent first) is answered at once; AAAA, the second
      // packet on the flow, is lost and answered by its resend from the same socket.
      for (const lookup of summary.lookups) {
        expect(lookup.attemptTimeouts).toBe(1);
        expect(lookup.queries.map((q) => [q.qtype, q.outcome, q.attempts])).toEqual([
          ['A', 'success', 1],
          ['AAAA', 'success', 2],
        ]);
      }
    });

    it.each(VARIANTS.slice(1))('$label: never stalls, latency well under the timeout', async (variant) => {
      const summary = await probeVip(lab, vip, variant);
      expect(summary.count).toBe(LOOKUPS);
      expect(summary.succeeded).toBe(LOOKUPS);
      expect(summary.stalled).toBe(0);
      expect(summary.lookups.every((l) => l.attemptTimeouts === 0)).toBe(true);
      expect(summary.latency_seconds?.max).toBeLessThan(FAST_LIMIT_SECONDS);
    });
  });

  describe('the daemon\'s metrics say so', () => {
    beforeAll(async () => {
      await injectConntrackRace(vip);
    });
    afterAll(async () => {
      await removeConntrackRace(vip);
    });

    it('netprobe_dns_stalled_lookups_total grows for parallel only', { timeout: 90_000 }, async () => {
      // The daemon's namespace is ours alone, so a fixed port cannot collide.
      const listen = `${vip.nodeHttpIp}:9810`;
      const configFile = path.join(lab.tmpDir(), 'f1.yaml');
      writeFileSync(configFile, daemonConfig(vip, listen));
      const daemon = await startNetprobeDaemon(lab, vip.nodeNs, configFile);
      const url = `http://${listen}/metrics`;

      // Bounded wait: every probe has recorded at least 3 lookups (20 polls x 1 s at most... plus the run time).
      let samples: Sample[] = [];
      const ready = (): boolean =>
        VARIANTS.every((v) => sum(samples, 'netprobe_dns_lookups_total', { probe: `f1-${v.label}`, qtype: 'A' }) >= 3);
      for (let poll = 0; poll < 40 && !ready(); poll++) {
        await sleep(1000);
        samples = parsePrometheusText(await httpGet(url));
      }
      expect(ready(), `daemon never recorded 3 lookups per probe:\n${daemon.process.describeOutput()}`).toBe(true);

      const stalled = (label: string) => seriesOf(samples, 'netprobe_dns_stalled_lookups_total', { probe: `f1-${label}` });
      const parallel = stalled('parallel');
      expect(parallel).toHaveLength(1);
      expect(parallel[0]!.labels).toMatchObject({ mode: 'parallel', transport: 'udp', server: '198.19.0.10:53', target_kind: 'service_vip' });
      expect(parallel[0]!.value).toBeGreaterThan(0);
      for (const variant of VARIANTS.slice(1)) {
        const series = stalled(variant.label);
        expect(series, `${variant.label} has a stalled series`).toHaveLength(1);
        expect(series[0]!.labels).toMatchObject({ mode: variant.mode, transport: variant.transport });
        expect(series[0]!.value, `${variant.label} stalled`).toBe(0);
      }
      // Stalled, yet answered: every lookup of every mode is a success.
      const failures = samples.filter((s) => s.name === 'netprobe_dns_lookups_total' && s.labels.result !== 'success' && s.value > 0);
      expect(failures).toEqual([]);
      expect(sum(samples, 'netprobe_dns_attempt_timeouts_total', { probe: 'f1-parallel' })).toBeGreaterThan(0);
      // The stall is visible in the latency histogram too: parallel lookups land above 1 s.
      const parallelFast = sum(samples, 'netprobe_dns_lookup_duration_seconds_bucket', { probe: 'f1-parallel', le: '1' });
      const parallelAll = sum(samples, 'netprobe_dns_lookup_duration_seconds_count', { probe: 'f1-parallel' });
      expect(parallelAll).toBeGreaterThan(parallelFast);
      await daemon.process.stop();
    });
  });
});

function daemonConfig(vip: ServiceVipLab, listen: string): string {
  const probes = VARIANTS.map((v) =>
    [
      `  - name: f1-${v.label}`,
      '    kind: dns',
      '    every: 2s',
      `    servers: ["${vip.vip}"]`,
      '    targetKind: service_vip',
      `    names: [${NAME}]`,
      `    transport: ${v.transport}`,
      `    mode: ${v.mode}`,
      `    timeout: ${TIMEOUT_SECONDS}s`,
      '    attempts: 2',
    ].join('\n'),
  );
  return [`sourceNode: lab-node`, `listen: "${listen}"`, 'probes:', ...probes, ''].join('\n');
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Just enough of the Prometheus text format for the assertions above. */
function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match || line.startsWith('#')) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

function seriesOf(samples: Sample[], name: string, match: Record<string, string>): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
}

function sum(samples: Sample[], name: string, match: Record<string, string>): number {
  return seriesOf(samples, name, match).reduce((total, s) => total + s.value, 0);
}

function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
