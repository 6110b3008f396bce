// Fleet verdicts, F3 and F8: daemons on several lab "nodes" sharing one DNS
// namespace, a real Prometheus scraping them (and a kube-state-metrics
// stand-in serving kube_node_created, since there is no Kubernetes API here),
// and `netprobe diagnose --prometheus` run as users run it.
//
//   F3: node 1 loses its route to the DNS pods' subnet; node 2 still reaches
//       it. Node 1's daemon says F3, diagnose says F3 on node 1 only.
//   F8: node 3 joins young and broken (no VIP DNAT, no pod route) next to the
//       older healthy nodes. Diagnose says F8 on node 3 and nothing else (its
//       local route and VIP symptoms are folded into F8).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Verdict } from '../../src/diagnosis/types.ts';
import { diagnoseUntil, serveExposition } from '../diagnosis/run-diagnose.ts';
import { startPrometheus, type Prometheus as Prom } from '../support/prometheus.ts';
import { buildServiceVipLab, deleteRoute, joinNode, Lab, requireLab, restoreRoute, type JoinedNode, type ServiceVipLab } from './harness/index.ts';
import { describeWatch, labelOf, startLabDaemon, VERDICT_DEADLINE_MS, watchVerdicts, type LabDaemon } from './verdicts-support.ts';

// Throws first when CI=true and the lab cannot run: in CI this test is never skipped.
const labAvailable = requireLab({ commands: ['dnsmasq', 'dig', 'prometheus'] });

const PORT = 9823;
const DAY = 86_400;
const WINDOW = ['--window', '30s', '--json'];

function probes(vip: ServiceVipLab, node: string, httpIp: string): object[] {
  const pod = vip.dnsServers[0]!.ip;
  const dns = { kind: 'dns', every: '1s', names: [{ name: 'kubernetes.default.svc.cluster.local', class: 'cluster' }], qtypes: ['A'], mode: 'single', transport: 'udp', timeout: '250ms', attempts: 2 };
  const tcp = { kind: 'tcp', every: '1s', count: 2, interval: '100ms', timeout: '300ms', targetKind: 'peer' };
  return [
    { ...dns, name: 'dns-vip', servers: [vip.vip], targetKind: 'service_vip' },
    { ...dns, name: 'dns-endpoints', servers: [pod], targetKind: 'endpoint' },
    // Pod-to-pod on another node (the DNS pods' "node"), and one on this node (the daemon's own port).
    { ...tcp, name: 'pods-tcp', targets: [{ address: `${pod}:53`, node: 'lab-dns' }, { address: `${httpIp}:${PORT}`, node }] },
  ];
}

const failures = (out: string): string[] => (JSON.parse(out) as { verdicts: Verdict[] }).verdicts.map(labelOf).sort();
const parse = (out: string): Verdict[] => (JSON.parse(out) as { verdicts: Verdict[] }).verdicts;

/** A diagnose predicate that also records every verdict label any poll printed. */
function exactly(want: string, seen: Set<string>): (r: { code: number; stdout: string }) => boolean {
  return (r) => {
    const labels = r.stdout.startsWith('{') ? failures(r.stdout) : [];
    for (const l of labels) seen.add(l);
    return r.code === 1 && labels.join() === want;
  };
}

describe.skipIf(!labAvailable)('fleet verdicts through Prometheus: F3 (cross-node route) and F8 (young broken node)', () => {
  let lab: Lab;
  let vip: ServiceVipLab;
  let node2: JoinedNode;
  let node3: JoinedNode;
  const daemons: Record<string, LabDaemon> = {};
  let prom: Prom;
  let ksm: { address: string; close(): Promise<void> };
  const created: Record<string, number> = {};

  beforeAll(async () => {
    lab = await Lab.create(import.meta.url);
    vip = await buildServiceVipLab(lab, { networkDelayMs: 0 });
    node2 = await joinNode(vip, { vipDnat: true, podRoute: true });
    node3 = await joinNode(vip); // joined broken: no VIP DNAT, no pod route
    const now = Date.now() / 1000;
    Object.assign(created, { 'lab-node-1': now - 30 * DAY, 'lab-node-2': now - 20 * DAY, 'lab-node-3': now - 120 });
    ksm = await serveExposition('127.0.0.1', () =>
      ['# TYPE kube_node_created gauge', ...Object.entries(created).map(([n, t]) => `kube_node_created{node="${n}"} ${t}`), ''].join('\n'),
    );
    const addresses = [vip.nodeHttpIp, node2.nodeHttpIp, node3.nodeHttpIp].map((ip) => `${ip}:${PORT}`);
    prom = await startPrometheus({ jobs: { netprobe: addresses, 'kube-state-metrics': [ksm.address] } });
    daemons['lab-node-1'] = await startLabDaemon(lab, vip.nodeNs, addresses[0]!, 'lab-node-1', probes(vip, 'lab-node-1', vip.nodeHttpIp));
    daemons['lab-node-2'] = await startLabDaemon(lab, node2.nodeNs, addresses[1]!, 'lab-node-2', probes(vip, 'lab-node-2', node2.nodeHttpIp));
  }, 120_000);
  afterAll(async () => {
    await prom?.stop();
    await ksm?.close();
    await lab?.destroy();
  });

  it('healthy fleet: diagnose exits 0 over two nodes', { timeout: 90_000 }, async () => {
    // Wait for both nodes' first scrapes: the second daemon's series may land before the first's.
    const { result } = await diagnoseUntil(prom.url, WINDOW, (r) => r.code === 0 && /"lab-node-1"/.test(r.stdout) && /"lab-node-2"/.test(r.stdout), 60_000);
    expect(result.code, `${result.stdout}${result.stderr}${prom.output()}`).toBe(0);
    expect(JSON.parse(result.stdout).nodes).toEqual(['lab-node-1', 'lab-node-2']);
  });

  it('F3: node 1 without its route to the pod subnet: its daemon and diagnose say F3 on node 1, nothing else', { timeout: 240_000 }, async () => {
    await deleteRoute(vip);
    const local = await watchVerdicts(() => daemons['lab-node-1']!.verdicts(), ['F3']);
    expect(local.ok, describeWatch(local, daemons['lab-node-1']!.daemon.process.describeOutput())).toBe(true);
    expect(local.seen).toEqual(['F3']);
    expect(local.last[0]!.targets).toEqual([`${vip.dnsServers[0]!.ip}:53`]);
    expect(await daemons['lab-node-2']!.verdicts()).toEqual([]);

    const t0 = performance.now();
    const seen = new Set<string>();
    const fleet = await diagnoseUntil(prom.url, WINDOW, exactly('F3', seen), VERDICT_DEADLINE_MS);
    expect([...seen]).toEqual(['F3']);
    console.log(`F3: local verdict after ${(local.elapsedMs / 1000).toFixed(1)} s, diagnose after ${((local.elapsedMs + fleet.elapsedMs) / 1000).toFixed(1)} s`);
    expect(fleet.result.code, fleet.result.stdout + fleet.result.stderr).toBe(1);
    const [f3] = parse(fleet.result.stdout);
    expect(f3).toMatchObject({ failure: 'F3', status: 'firing', source_nodes: ['lab-node-1'] });
    expect(f3!.evidence.some((e) => /other nodes \(lab-node-2\) reach the same targets/.test(e.signal))).toBe(true);
    expect(f3!.next_steps[0]!.command).toBe(`ip route get ${vip.dnsServers[0]!.ip}`);
    expect(performance.now() - t0 + local.elapsedMs).toBeLessThan(VERDICT_DEADLINE_MS);

    await restoreRoute(vip);
    const healthy = await diagnoseUntil(prom.url, WINDOW, (r) => r.code === 0, 90_000);
    expect(healthy.result.code, healthy.result.stdout).toBe(0);
    // The first clean answer can come while the fault's runs are still inside diagnose's 30 s
    // window (below the bar for a moment, above it again as the rates move): the next test would
    // then see this F3 fade in and out beside its own fault. Wait the window out, then check again.
    await new Promise((r) => setTimeout(r, 35_000));
    const settled = await diagnoseUntil(prom.url, WINDOW, (r) => r.code === 0, 30_000);
    expect(settled.result.code, settled.result.stdout).toBe(0);
  });

  it('F8: a young node joins broken: diagnose says F8 on it (its route/VIP symptoms folded in), nothing else', { timeout: 180_000 }, async () => {
    daemons['lab-node-3'] = await startLabDaemon(lab, node3.nodeNs, `${node3.nodeHttpIp}:${PORT}`, 'lab-node-3', probes(vip, 'lab-node-3', node3.nodeHttpIp));
    const t0 = performance.now();
    const seen = new Set<string>();
    const fleet = await diagnoseUntil(prom.url, WINDOW, exactly('F8', seen), VERDICT_DEADLINE_MS);
    expect([...seen]).toEqual(['F8']);
    const seconds = (performance.now() - t0) / 1000;
    console.log(`F8: diagnose after ${seconds.toFixed(1)} s; young node's own daemon says ${JSON.stringify((await daemons['lab-node-3']!.verdicts()).map(labelOf))}`);
    expect(fleet.result.code, fleet.result.stdout + fleet.result.stderr).toBe(1);
    expect(failures(fleet.result.stdout)).toEqual(['F8']);
    const [f8] = parse(fleet.result.stdout);
    expect(f8).toMatchObject({ status: 'firing', source_nodes: ['lab-node-3'] });
    expect(f8!.evidence[0]).toMatchObject({ signal: 'lab-node-3: node age', comparison: '<', holds: true });
    expect(f8!.evidence.some((e) => /^explained: F3 on lab-node-3/.test(e.signal))).toBe(true);
    expect(seconds).toBeLessThan(VERDICT_DEADLINE_MS / 1000);
    for (const n of ['lab-node-1', 'lab-node-2']) expect(await daemons[n]!.verdicts(), n).toEqual([]);
  });

  it('without node ages (kube-state-metrics gone) the same fault is F8 "unknown", naming what it needs', { timeout: 90_000 }, async () => {
    for (const n of Object.keys(created)) delete created[n];
    const r = await diagnoseUntil(prom.url, WINDOW, (x) => failures(x.stdout || '{"verdicts":[]}').includes('F8?'), 30_000);
    const f8 = parse(r.result.stdout).find((v) => v.failure === 'F8');
    expect(f8, r.result.stdout).toMatchObject({ status: 'unknown' });
    expect(f8!.needs).toMatch(/netprobe_node_created_timestamp_seconds .* kube_node_created \(kube-state-metrics\)/);
    // Unfolded now, the young node's own symptom is a verdict again.
    expect(failures(r.result.stdout)).toEqual(['F3', 'F8?']);
  });
});
