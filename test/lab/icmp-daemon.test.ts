// The icmp probe inside the daemon (`netprobe run --config`), in the client
// namespace of a router lab with a 1400 hop: the path-MTU gauges, the per-size
// counters and the verdict come out of /metrics, then F5 flips the black-hole gauge.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRouterLab, injectPmtuBlackhole, Lab, NODE_BIN, removePmtuBlackhole, requireLab, startNetprobeDaemon, type NetprobeDaemon, type RouterLab } from './harness/index.ts';

const labAvailable = requireLab();

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parsePrometheusText(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

function pick(samples: Sample[], name: string, match: Record<string, string>): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!labAvailable)('icmp probe in the daemon, through a 1400 router hop', () => {
  let lab: Lab;
  let router: RouterLab;
  let daemon: NetprobeDaemon | undefined;
  const listen = '127.0.0.1:9810'; // inside the client namespace: ours alone

  // The daemon listens inside the namespace, so scrape from inside it too.
  const scrape = async (): Promise<Sample[]> => {
    const script = `const r = await fetch('http://${listen}/metrics'); process.stdout.write(await r.text());`;
    const res = await lab.exec(router.clientNs, [NODE_BIN, '--input-type=module', '-e', script]);
    return parsePrometheusText(res.stdout);
  };
  const waitFor = async (what: string, ok: (s: Sample[]) => boolean): Promise<Sample[]> => {
    let samples: Sample[] = [];
    for (let i = 0; i < 30; i++) {
      samples = await scrape();
      if (ok(samples)) return samples;
      await sleep(500);
    }
    throw new Error(`daemon metrics never showed ${what}:\n${daemon?.process.describeOutput()}`);
  };

  beforeAll(async () => {
    lab = await Lab.create(import.meta.url);
    router = await buildRouterLab(lab, { farMtu: 1400 });
    const configFile = path.join(lab.tmpDir(), 'icmp.yaml');
    writeFileSync(
      configFile,
      [
        'sourceNode: lab-node',
        `listen: ${listen}`,
        'probes:',
        '  - name: mtu-far',
        '    kind: icmp',
        '    every: 1s',
        `    targets: [{ host: "${router.farIp}", node: far-node }]`,
        '    sizes: [84, 1400, 1500]',
        '    count: 2',
        '    interval: 10ms',
        '    timeout: 300ms',
        '    search: { min: 68, max: 9000 }',
        '    expectedMtu: 1500',
        '',
      ].join('\n'),
    );
    daemon = await startNetprobeDaemon(lab, router.clientNs, configFile);
  });
  afterAll(async () => {
    await daemon?.process.stop();
    await lab?.destroy();
  });

  it('logs which ICMP socket it opened', () => {
    expect(daemon!.process.describeOutput()).toMatch(/"msg":"ICMP socket open","socket":"raw"/);
  });

  it('exports the ceiling, the expected MTU, no black hole, and per-size counters', async () => {
    const target = { probe: 'mtu-far', target: router.farIp, target_node: 'far-node', source_node: 'lab-node' };
    const samples = await waitFor('two runs', (s) => (pick(s, 'netprobe_icmp_requests_total', { ...target, size: '84' })[0]?.value ?? 0) >= 4);
    expect(pick(samples, 'netprobe_path_mtu_bytes', target)[0]?.value).toBe(1400);
    expect(pick(samples, 'netprobe_path_mtu_expected_bytes', target)[0]?.value).toBe(1500);
    expect(pick(samples, 'netprobe_path_mtu_blackhole', target)[0]?.value).toBe(0);
    for (const size of ['84', '1400']) {
      const req = pick(samples, 'netprobe_icmp_requests_total', { ...target, size })[0]!.value;
      expect(pick(samples, 'netprobe_icmp_replies_total', { ...target, size })[0]!.value).toBe(req);
      expect(pick(samples, 'netprobe_icmp_rtt_seconds_count', { ...target, size })[0]!.value).toBe(req);
    }
    // 1500 crosses the 1400 hop: requested, never answered (frag-needed), so loss = 1 at that size.
    expect(pick(samples, 'netprobe_icmp_requests_total', { ...target, size: '1500' })[0]!.value).toBeGreaterThan(0);
    expect(pick(samples, 'netprobe_icmp_replies_total', { ...target, size: '1500' })[0]!.value).toBe(0);
    // The search's candidate sizes do not become label values.
    const sizes = new Set(pick(samples, 'netprobe_icmp_requests_total', target).map((s) => s.labels.size));
    expect([...sizes].sort()).toEqual(['1400', '1500', '84']);
    expect(pick(samples, 'netprobe_probe_success', { probe: 'mtu-far', target: router.farIp })[0]?.value).toBe(0);
    expect(pick(samples, 'netprobe_probe_runs_total', { probe: 'mtu-far', result: 'mtu_below_expected' })[0]?.value).toBeGreaterThan(0);
  });

  it('with frag-needed dropped on the router, the black-hole gauge goes to 1', async () => {
    await injectPmtuBlackhole(router);
    try {
      const target = { probe: 'mtu-far', target: router.farIp, target_node: 'far-node' };
      const samples = await waitFor('blackhole 1', (s) => pick(s, 'netprobe_path_mtu_blackhole', target)[0]?.value === 1);
      expect(pick(samples, 'netprobe_path_mtu_bytes', target)[0]?.value).toBe(1400);
      expect(pick(samples, 'netprobe_probe_runs_total', { probe: 'mtu-far', result: 'blackhole' })[0]?.value).toBeGreaterThan(0);
    } finally {
      await removePmtuBlackhole(router);
    }
  });
});
