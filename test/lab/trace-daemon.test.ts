// Trace on failure in the daemon, on the three-hop path: the icmp probe's
// ceiling drops (r2's link to far goes to 1400) and the tcp probe starts
// failing (r2 drops what it forwards to far); each time the daemon traces the
// path once and names the hop, in /api/results and netprobe_path_first_bad_hop.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHopLab, Lab, NODE_BIN, parsePrometheusText, requireLab, seriesOf, setMiddleHopFault, startNetprobeDaemon, type HopLab, type Sample } from './harness/index.ts';

const labAvailable = requireLab();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LISTEN = '127.0.0.1:9810';

interface ApiResult {
  probe: string;
  success: boolean;
  trace?: { trigger: string; first_bad_hop: number | null; first_bad_hop_address: string | null; reason: string | null; hops: { address: string | null }[] };
}

describe.skipIf(!labAvailable)('trace on failure (daemon, three-hop path)', () => {
  let lab: Lab;
  let h: HopLab;

  const get = async (route: string): Promise<string> => {
    const script = `const r = await fetch('http://${LISTEN}${route}'); process.stdout.write(await r.text());`;
    return (await lab.exec(h.clientNs, [NODE_BIN, '--input-type=module', '-e', script])).stdout;
  };
  const results = async (): Promise<ApiResult[]> => {
    const body = JSON.parse(await get('/api/results')) as { results?: ApiResult[] } | ApiResult[];
    return Array.isArray(body) ? body : (body.results ?? []);
  };
  const waitFor = async <T>(what: string, fn: () => Promise<T | undefined>, tries = 40): Promise<T> => {
    for (let i = 0; i < tries; i++) {
      const v = await fn();
      if (v !== undefined) return v;
      await sleep(500);
    }
    throw new Error(`never saw ${what}`);
  };

  beforeAll(async () => {
    lab = await Lab.create(import.meta.url);
    h = await buildHopLab(lab);
    lab.spawn(h.farNs, [NODE_BIN, '-e', "require('node:net').createServer((s) => s.end()).listen(8080, '0.0.0.0')"]);
    const configFile = path.join(lab.tmpDir(), 'trace.yaml');
    writeFileSync(
      configFile,
      [
        'sourceNode: lab-node',
        `listen: ${LISTEN}`,
        'probes:',
        '  - name: peer-mtu',
        '    kind: icmp',
        '    every: 1s',
        `    targets: [{ host: "${h.farIp}", node: far-node }]`,
        '    sizes: [84]',
        '    count: 1',
        '    timeout: 300ms',
        '    search: { min: 68, max: 1500 }',
        '  - name: peer-tcp',
        '    kind: tcp',
        '    every: 1s',
        `    targets: [{ address: "${h.farIp}:8080", node: far-node }]`,
        '    count: 1',
        '    timeout: 300ms',
        '',
      ].join('\n'),
    );
    await startNetprobeDaemon(lab, h.clientNs, configFile);
    await waitFor('both probes healthy', async () => {
      const r = await results();
      return r.length === 2 && r.every((x) => x.success) ? r : undefined;
    });
  }, 60_000);
  afterAll(async () => {
    await lab?.destroy();
  });

  it('ceiling drop 1500 -> 1400 at r2: traced once, hop 2 named (mtu), metric set', async () => {
    for (const [ns, dev] of [[h.r2Ns, await devOf(h.r2Ns, '198.18.12.1')], [h.farNs, await devOf(h.farNs, '198.18.12.2')]] as const) {
      await lab.exec(ns, ['ip', 'link', 'set', dev, 'mtu', '1400']);
    }
    const trace = await waitFor('a trace of peer-mtu', async () => (await results()).find((x) => x.probe === 'peer-mtu')?.trace);
    expect(trace).toMatchObject({ trigger: 'ceiling_drop', first_bad_hop: 2, first_bad_hop_address: h.hops[1], reason: 'mtu' });
    expect(trace.hops.map((x) => x.address)).toEqual(h.hops);
    const samples: Sample[] = parsePrometheusText(await get('/metrics'));
    expect(seriesOf(samples, 'netprobe_path_first_bad_hop', { probe: 'peer-mtu', reason: 'mtu', target_node: 'far-node' })[0]?.value).toBe(2);
  });

  it('r2 drops what it forwards: the tcp probe fails, the trace stops after hop 2', async () => {
    await setMiddleHopFault(h, { forward: 'drop' });
    const trace = await waitFor('a trace of peer-tcp', async () => (await results()).find((x) => x.probe === 'peer-tcp')?.trace);
    expect(trace).toMatchObject({ trigger: 'failing', first_bad_hop: 3, reason: 'no_reply_beyond' });
    expect(trace.hops.slice(0, 2).map((x) => x.address)).toEqual(h.hops.slice(0, 2));
    const samples = parsePrometheusText(await get('/metrics'));
    expect(seriesOf(samples, 'netprobe_path_first_bad_hop', { probe: 'peer-tcp', reason: 'no_reply_beyond' })[0]?.value).toBe(3);
    // The icmp probe failed too, but was traced a moment ago: rate-bounded, counted.
    await waitFor('the icmp trigger counted as rate_limited', async () => {
      const s = parsePrometheusText(await get('/metrics'));
      return seriesOf(s, 'netprobe_path_traces_total', { probe: 'peer-mtu', trigger: 'failing', result: 'rate_limited' })[0] ? true : undefined;
    }, 10);
  });

  async function devOf(ns: string, ip: string): Promise<string> {
    const shown = await lab.exec(ns, ['ip', '-j', '-4', 'address', 'show', 'to', `${ip}/32`]);
    const dev = (JSON.parse(shown.stdout) as Array<{ ifname: string }>)[0]?.ifname;
    if (!dev) throw new Error(`no device with ${ip} in ${ns}`);
    return dev;
  }
});
