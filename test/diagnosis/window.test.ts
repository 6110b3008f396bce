// The daemon's sliding window: probe results in, observations out, and the
// same rules on top (no sockets: results are the probes' plain data).
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/diagnosis/engine.ts';
import { RunWindow } from '../../src/diagnosis/window.ts';
import type { DnsTarget } from '../../src/probes/dns/types.ts';
import type { TargetInfo } from '../../src/probes/types.ts';

const server = { host: '198.19.0.10', port: 53 };
const vip = (name: string): DnsTarget => ({ id: name, label: '198.19.0.10:53', kind: 'service_vip', node: '', server, name: 'kubernetes.default.svc.cluster.local', nameClass: 'cluster' });
const opts = (transport: string, mode: string) => ({ transport, mode, qtypes: ['A', 'AAAA'], timeoutMs: 1000, attempts: 2, tcpFallback: true, search: [], ndots: 1 });
const lookup = (stalled: boolean, outcome = 'success') => ({ outcome, stalled, durationSeconds: stalled ? 1 : 0.01, attemptTimeouts: stalled ? 1 : 0, mismatched: {}, tcpFallbacks: 0, queriedName: 'x', queries: [] });

function feed(w: RunWindow, n: number, t0: number, stalledParallel: (i: number) => boolean): void {
  for (let i = 0; i < n; i++) {
    const at = t0 + i * 1000;
    w.record('p', 'dns-par', 'dns', vip('p'), opts('udp', 'parallel'), lookup(stalledParallel(i)), true, 'success', at);
    w.record('r', 'dns-reopen', 'dns', vip('r'), opts('udp', 'reopen'), lookup(false), true, 'success', at);
    w.record('t', 'dns-tcp', 'dns', vip('t'), opts('tcp', 'parallel'), lookup(false), true, 'success', at);
  }
}

describe('RunWindow', () => {
  it('turns a window of stalled parallel lookups into F1 with since = the first stalled run', () => {
    const w = new RunWindow({ runs: 6, maxAgeMs: 60_000 });
    feed(w, 10, 1_000_000, (i) => i >= 6);
    const obs = w.observations('node-a', 1_010_000);
    const par = obs.dns.find((o) => o.probe === 'dns-par')!;
    expect(par).toMatchObject({ runs: 6, stalls: 4, mode: 'parallel', transport: 'udp', sourceNode: 'node-a' });
    expect(obs.dns.find((o) => o.probe === 'dns-tcp')!.mode).toBe('');
    const verdicts = diagnose(obs);
    expect(verdicts.map((v) => v.failure)).toEqual(['F1']);
    expect(verdicts[0]!.since).toBe(1_006_000);
  });

  it('clears once the stalls have left the window; old runs age out', () => {
    const w = new RunWindow({ runs: 6, maxAgeMs: 60_000 });
    feed(w, 6, 1_000_000, () => true);
    expect(diagnose(w.observations('node-a', 1_006_000)).length).toBe(1);
    feed(w, 6, 1_006_000, () => false);
    expect(diagnose(w.observations('node-a', 1_012_000))).toEqual([]);
    expect(w.observations('node-a', 2_000_000).dns).toEqual([]);
  });

  it('TCP counts connects by outcome; aborted runs and retired targets are dropped', () => {
    const w = new RunWindow();
    const t: TargetInfo = { id: 'tcp://a', label: '10.0.0.1:80', kind: 'peer', node: 'node-b' };
    w.record('k', 'tcp', 'tcp', t, {}, { count: 3, connected: 1, refused: 2, timeout: 0, unreachable: 0, error: 0 }, false, 'refused', 1000);
    w.record('k', 'tcp', 'tcp', t, {}, { count: 1, connected: 0, refused: 0, timeout: 0, unreachable: 0, error: 0 }, false, 'aborted', 2000);
    const [o] = w.observations('node-a', 3000).tcp;
    expect(o).toMatchObject({ runs: 3, failures: { refused: 2 }, targetNode: 'node-b', firstBadMs: 1000 });
    w.retain(new Set());
    expect(w.observations('node-a', 3000).tcp).toEqual([]);
  });

  it('ICMP: MTU reasons are not path failures; the latest sweep gives ceiling, blackhole and interface MTU', () => {
    const w = new RunWindow();
    const t: TargetInfo = { id: 'icmp://x', label: '198.18.2.2', kind: 'static', node: '' };
    const sweep = { ceilingBytes: 1400, expectedBytes: 1500, blackhole: true, interfaceMtu: 1500 };
    w.record('i', 'mtu', 'icmp', t, {}, sweep, false, 'blackhole', 1000);
    const [o] = w.observations('node-a', 2000).icmp;
    expect(o).toMatchObject({ runs: 1, failures: {}, ceilingBytes: 1400, expectedBytes: 1500, blackhole: true, interfaceMtuBytes: 1500, firstBadMs: 1000 });
    expect(diagnose(w.observations('node-a', 2000)).map((v) => v.failure)).toEqual(['F5']);
  });

  it('carries the daemon\'s vantage and the first bad hop of a traced path onto its rows', () => {
    const w = new RunWindow({ runs: 6, maxAgeMs: 60_000 });
    const peer = { id: 'tcp://10.244.2.9:9810', label: '10.244.2.9:9810', kind: 'peer', node: 'node-b', host: '10.244.2.9', port: 9810 } as TargetInfo;
    const connects = { count: 3, connected: 0, refused: 0, timeout: 3, unreachable: 0, error: 0 };
    for (let i = 0; i < 4; i++) w.record('k', 'peers-tcp', 'tcp', peer, {}, connects, false, 'timeout', 1_000_000 + i * 1000);
    feed(w, 4, 1_000_000, () => false);
    const hop = { hop: 2, address: '10.0.0.1', reason: 'loss' };
    const obs = w.observations('node-a', 1_004_000, { vantage: 'host', badHop: (key) => (key === 'k' ? hop : undefined) });
    expect(obs.tcp[0]).toMatchObject({ vantage: 'host', badHop: hop, failures: { timeout: 12 } });
    expect(obs.dns.every((r) => r.vantage === 'host' && r.badHop === undefined)).toBe(true);
    // The pod network is the default: no vantage on its rows.
    expect(w.observations('node-a', 1_004_000, { vantage: 'pod' }).tcp[0]!.vantage).toBeUndefined();
  });
});
