// The verdict rules, table-driven over hand-built observations: for each
// failure mode the signals it requires, and the look-alikes it must not call.
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/diagnosis/engine.ts';
import type { DnsObservation, Observations } from '../../src/diagnosis/observations.ts';
import { RUNBOOK_ANCHORS } from '../../src/diagnosis/steps.ts';
import { dns, EP1, EP2, icmp, NOW, nodeDns, observations, tcp, VIP } from './fixtures.ts';

const T = (s: number): number => NOW - s * 1000;
const DAY = 86_400_000;

const isVip = (r: { targetKind: string }) => r.targetKind === 'service_vip';
const isEp1 = (r: { target: string }) => r.target === EP1;

interface Case {
  name: string;
  obs: Observations;
  /** Expected verdicts as "F<n>" or "F<n>?" (status unknown), sorted. */
  want: string[];
  targets?: Record<string, string[]>;
  nodes?: Record<string, string[]>;
}

const CASES: Case[] = [
  { name: 'healthy node: nothing', obs: observations({ dns: nodeDns('node-a'), tcp: [tcp()], icmp: [icmp()] }), want: [] },
  { name: 'too few runs say nothing', obs: observations({ dns: nodeDns('node-a', (r) => ({ ...r, runs: 2, failures: { timeout: 2 } })) }), want: [] },
  {
    name: 'F1: parallel stalls on the VIP, reopen and tcp clean',
    obs: observations({ dns: nodeDns('node-a', (r) => (r.mode === 'parallel' ? { ...r, stalls: 10, firstBadMs: T(40) } : r)) }),
    want: ['F1'],
    targets: { F1: [VIP] },
  },
  {
    name: 'F1 ruled out: reopen stalls as much (loss, not the race)',
    obs: observations({ dns: nodeDns('node-a', (r) => (isVip(r) && r.transport === 'udp' ? { ...r, stalls: 5 } : r)) }),
    want: [],
  },
  {
    name: 'F1 unknown: parallel stalls with nothing to compare',
    obs: observations({ dns: [dns({ stalls: 6 })] }),
    want: ['F1?'],
  },
  {
    name: 'F2: VIP times out in every mode, both endpoints answer',
    obs: observations({ dns: nodeDns('node-a', (r) => (isVip(r) ? { ...r, failures: { timeout: 10 }, firstBadMs: T(30) } : r)) }),
    want: ['F2'],
    targets: { F2: [VIP] },
  },
  {
    name: 'F2 unknown: VIP failing, no endpoint probes',
    obs: observations({ dns: nodeDns('node-a', (r) => (isVip(r) ? { ...r, failures: { timeout: 10 } } : r)).filter(isVip) }),
    want: ['F2?'],
  },
  {
    name: 'F7: one endpoint down, the VIP failing half (explained, no F2)',
    obs: observations({
      dns: nodeDns('node-a', (r) => (isEp1(r) ? { ...r, failures: { timeout: 10 } } : isVip(r) ? { ...r, failures: { timeout: 5 } } : r)),
    }),
    want: ['F7'],
    targets: { F7: [EP1] },
  },
  {
    name: 'F2 on top of F7: the VIP fails far more than one dead replica of two explains',
    obs: observations({
      dns: nodeDns('node-a', (r) => (isEp1(r) ? { ...r, failures: { timeout: 10 } } : isVip(r) ? { ...r, failures: { timeout: 10 } } : r)),
    }),
    want: ['F2', 'F7'],
  },
  {
    name: 'F1 and F7 at once: parallel stalls or fails, reopen stalls from the dead replica, tcp clean of stalls',
    obs: observations({
      dns: nodeDns('node-a', (r) => {
        if (isEp1(r)) return { ...r, failures: { timeout: 10 } };
        if (isVip(r) && r.mode === 'parallel') return { ...r, stalls: 5, failures: { timeout: 5 } };
        if (isVip(r) && r.mode === 'reopen') return { ...r, stalls: 5, failures: { timeout: 1 } };
        if (isVip(r)) return { ...r, failures: { network_error: 5 } };
        return r;
      }),
    }),
    want: ['F1', 'F7'],
  },
  {
    name: 'all endpoints (on other nodes) and the VIP failing, nothing nearer: no F7/F2, F3 unknown',
    obs: observations({ dns: nodeDns('node-a', (r) => ({ ...r, failures: { timeout: 10 } })) }),
    want: ['F3?'],
  },
  {
    name: 'F6: external names fail on the VIP and the endpoints, cluster names answer (no F2, no F7)',
    obs: observations({
      dns: [...nodeDns('node-a'), ...nodeDns('node-a', (r) => ({ ...r, nameClass: 'external', failures: { timeout: 10 } }))],
    }),
    want: ['F6'],
    targets: { F6: [EP1, EP2, VIP] },
  },
  {
    name: 'F7 with the VIP\'s failures landing on external names by chance: F7, not F6',
    obs: observations({
      dns: [
        ...nodeDns('node-a', (r) => (isEp1(r) ? { ...r, failures: { timeout: 10 } } : r)),
        ...nodeDns('node-a', (r) => ({ ...r, nameClass: 'external', failures: isEp1(r) || isVip(r) ? { timeout: 10 } : ({} as Record<string, number>) })),
      ],
    }),
    want: ['F7'],
  },
  {
    name: 'a replica that just died: external names failing, cluster names answered in the window but not the latest run: not F6',
    obs: observations({
      dns: [
        dns({ target: EP1, targetKind: 'endpoint', mode: 'reopen', runs: 6, failures: { timeout: 1 }, lastFailed: true }),
        dns({ target: EP1, targetKind: 'endpoint', mode: 'reopen', nameClass: 'external', runs: 6, failures: { timeout: 2 }, lastFailed: true }),
      ],
    }),
    want: [],
  },
  { name: 'F4: ceiling below the expected MTU', obs: observations({ icmp: [icmp({ ceilingBytes: 1400, expectedBytes: 1450 })] }), want: ['F4'] },
  {
    name: 'F4: pod interface MTU above a correct path ceiling (Calico at 1500 over 1450 VXLAN)',
    obs: observations({ icmp: [icmp({ ceilingBytes: 1450, expectedBytes: 1450, interfaceMtuBytes: 1500 })] }),
    want: ['F4'],
  },
  { name: 'interface MTU equal to the ceiling: fine', obs: observations({ icmp: [icmp({ interfaceMtuBytes: 1450 })] }), want: [] },
  {
    name: 'F5: black hole; its low ceiling is not a second verdict',
    obs: observations({ icmp: [icmp({ ceilingBytes: 1400, expectedBytes: 1450, blackhole: true })] }),
    want: ['F5'],
  },
  { name: 'F9: connects refused', obs: observations({ tcp: [tcp({ failures: { refused: 30 } })] }), want: ['F9'] },
  {
    name: 'F9: connects time out while ping to the host answers',
    obs: observations({ tcp: [tcp({ failures: { timeout: 30 } })], icmp: [icmp()] }),
    want: ['F9'],
  },
  {
    name: 'F3: cross-node peers unreachable, the same-node peer clean, DNS network_error folded in',
    obs: observations({
      tcp: [tcp({ failures: { unreachable: 30 }, firstBadMs: T(20) }), tcp({ target: '10.244.1.3:9810', targetNode: 'node-a' })],
      icmp: [icmp({ failures: { send_error: 5 }, ceilingBytes: null })],
      dns: nodeDns('node-a', (r) => (isVip(r) || r.targetNode !== 'node-a' ? { ...r, failures: { network_error: 10 } } : r)),
    }),
    want: ['F3'],
    targets: { F3: ['10.244.1.5:53', '10.244.2.7:53', '10.244.2.9', '10.244.2.9:9810'] },
  },
  {
    name: 'F3 unknown locally: every cross-node target fails and nothing nearer was probed',
    obs: observations({ tcp: [tcp({ failures: { timeout: 30 } })] }),
    want: ['F3?'],
  },
  {
    name: 'F3 fleet: node-a cannot reach node-c; node-b can',
    obs: observations({
      fleet: true,
      nodes: [
        { sourceNode: 'node-a', createdMs: NOW - 30 * DAY },
        { sourceNode: 'node-b', createdMs: NOW - 30 * DAY },
      ],
      tcp: [
        tcp({ target: '10.244.3.2:9810', targetNode: 'node-c', failures: { timeout: 30 } }),
        tcp({ sourceNode: 'node-b', target: '10.244.3.2:9810', targetNode: 'node-c' }),
      ],
    }),
    want: ['F3'],
    nodes: { F3: ['node-a'] },
  },
  {
    name: 'fleet: one replica failing from every node is F7 on all of them',
    obs: observations({
      fleet: true,
      nodes: [
        { sourceNode: 'node-a', createdMs: NOW - 30 * DAY },
        { sourceNode: 'node-b', createdMs: NOW - 30 * DAY },
      ],
      dns: ['node-a', 'node-b'].flatMap((n) => nodeDns(n, (r) => (isEp1(r) ? { ...r, failures: { timeout: 10 } } : r))),
    }),
    want: ['F7'],
    nodes: { F7: ['node-a', 'node-b'] },
  },
  {
    name: 'fleet: a replica failing from one node only, reached cleanly from the others, is not F7 (the path)',
    obs: observations({
      fleet: true,
      nodes: [
        { sourceNode: 'node-a', createdMs: NOW - 30 * DAY },
        { sourceNode: 'node-b', createdMs: NOW - 30 * DAY },
      ],
      dns: [...nodeDns('node-a', (r) => (isEp1(r) ? { ...r, failures: { timeout: 10 } } : r)), ...nodeDns('node-b')],
      tcp: [tcp({ targetNode: 'node-b', failures: { timeout: 30 } }), tcp({ sourceNode: 'node-c', targetNode: 'node-b' })],
    }),
    want: ['F3'],
    nodes: { F3: ['node-a'] },
  },
  {
    name: 'F8: the young node fails VIP and endpoints, the older fleet is clean (its F-symptoms folded in)',
    obs: observations({
      fleet: true,
      nodes: [
        { sourceNode: 'node-old', createdMs: NOW - 30 * DAY },
        { sourceNode: 'node-young', createdMs: NOW - 300_000 },
      ],
      dns: [...nodeDns('node-old'), ...nodeDns('node-young', (r) => (isVip(r) ? { ...r, failures: { timeout: 10 } } : r))],
    }),
    want: ['F8'],
    nodes: { F8: ['node-young'] },
  },
  {
    name: 'F8 unknown: a node-specific fault and no node ages; the local verdict stays',
    obs: observations({
      fleet: true,
      dns: [...nodeDns('node-a'), ...nodeDns('node-b', (r) => (isVip(r) ? { ...r, failures: { timeout: 10 } } : r))],
    }),
    want: ['F2', 'F8?'],
  },
  {
    name: 'an old node failing alone is not F8',
    obs: observations({
      fleet: true,
      nodes: [
        { sourceNode: 'node-a', createdMs: NOW - 30 * DAY },
        { sourceNode: 'node-b', createdMs: NOW - 20 * DAY },
      ],
      dns: [...nodeDns('node-a'), ...nodeDns('node-b', (r) => (isVip(r) ? { ...r, failures: { timeout: 10 } } : r))],
    }),
    want: ['F2'],
    nodes: { F2: ['node-b'] },
  },
  {
    name: 'F1 on every node merges into one fleet verdict',
    obs: observations({
      fleet: true,
      nodes: [
        { sourceNode: 'node-a', createdMs: NOW - DAY },
        { sourceNode: 'node-b', createdMs: NOW - DAY },
      ],
      dns: ['node-a', 'node-b'].flatMap((n) => nodeDns(n, (r) => (r.mode === 'parallel' ? { ...r, stalls: 8 } : r))),
    }),
    want: ['F1'],
    nodes: { F1: ['node-a', 'node-b'] },
  },
];

const label = (v: { failure: string; status: string }) => `${v.failure}${v.status === 'unknown' ? '?' : ''}`;

describe('diagnose: what each verdict requires and what rules it out', () => {
  it.each(CASES)('$name', ({ obs, want, targets, nodes }) => {
    const verdicts = diagnose(obs);
    expect(verdicts.map(label).sort()).toEqual(want);
    for (const [failure, list] of Object.entries(targets ?? {})) expect(verdicts.find((v) => v.failure === failure)?.targets).toEqual(list);
    for (const [failure, list] of Object.entries(nodes ?? {})) expect(verdicts.find((v) => v.failure === failure)?.source_nodes).toEqual(list);
    for (const v of verdicts) {
      expect(v.evidence.length, `${v.failure} has evidence`).toBeGreaterThan(0);
      expect(v.next_steps.length).toBeGreaterThan(0);
      for (const s of v.next_steps) expect(s.runbook).toMatch(new RegExp(`docs/runbooks\\.md#${RUNBOOK_ANCHORS[v.failure]}$`));
      if (v.status === 'unknown') expect(v.needs).toBeTruthy();
    }
  });
});

describe('verdict details', () => {
  it('since is the earliest bad run of the evidence', () => {
    const [v] = diagnose(observations({ dns: nodeDns('node-a', (r) => (isVip(r) ? { ...r, failures: { timeout: 10 }, firstBadMs: r.mode === 'reopen' ? T(50) : T(20) } : r)) }));
    expect(v?.since).toBe(T(50));
  });

  it('next steps carry the values of the evidence: the VIP, the size one byte above the ceiling', () => {
    const f2 = diagnose(observations({ dns: nodeDns('node-a', (r) => (isVip(r) ? { ...r, failures: { timeout: 10 } } : r)) }))[0]!;
    expect(f2.next_steps.map((s) => s.command)).toContain('iptables-save | grep 10.96.0.10');
    const f5 = diagnose(observations({ icmp: [icmp({ ceilingBytes: 1400, blackhole: true })] }))[0]!;
    expect(f5.next_steps[0]!.command).toBe('ping -M do -s 1373 -c 3 10.244.2.9');
  });

  it('F1 evidence lists the comparison that ruled it in, each with value and threshold', () => {
    const [v] = diagnose(observations({ dns: nodeDns('node-a', (r) => (r.mode === 'parallel' ? { ...r, stalls: 10 } : r)) }));
    const bySignal = Object.fromEntries(v!.evidence.map((e) => [e.signal, e]));
    expect(bySignal[`node-a: stalled lookups ${VIP} udp/parallel`]).toMatchObject({ value: 1, threshold: 0.3, comparison: '>=', holds: true });
    expect(bySignal[`node-a: stalled lookups ${VIP} udp/reopen`]).toMatchObject({ value: 0, comparison: '<=', holds: true });
    expect(bySignal[`node-a: stalled lookups ${VIP} tcp`]).toMatchObject({ value: 0, holds: true });
  });

  it('the F8 verdict lists what it explains', () => {
    const obs = CASES.find((c) => c.name.startsWith('F8: the young node'))!.obs;
    const [v] = diagnose(obs);
    expect(v!.evidence.some((e) => /explained: F2 on node-young/.test(e.signal))).toBe(true);
  });

  it('a stall-free failing parallel series is not F1', () => {
    expect(diagnose(observations({ dns: [dns({ failures: { timeout: 10 } }), dns({ mode: 'reopen', failures: { timeout: 10 } })] })).map(label)).toEqual(['F2?']);
  });
});

describe('vantage and traced hops: where on the path (F3 overlay vs underlay)', () => {
  // node-a's pod network cannot reach node-b; node-a's host-network pod probes node-b's InternalIP.
  const podRows = { tcp: [tcp({ failures: { timeout: 30 } }), tcp({ target: '10.244.1.3:9810', targetNode: 'node-a' })] };
  const hostTcp = (p: Parameters<typeof tcp>[0] = {}) => tcp({ vantage: 'host', probe: 'nodes-tcp', target: '192.168.1.12:9810', targetKind: 'node', ...p });
  // The pod DaemonSet's own probe of node-b's InternalIP (kubernetes:host-peers, target_kind node).
  const podToNode = (p: Parameters<typeof tcp>[0] = {}) => tcp({ probe: 'nodes-tcp', target: '192.168.1.12:9810', targetKind: 'node', ...p });

  it('pod network failing, host network clean to the same node: the overlay, with overlay steps', () => {
    const verdicts = diagnose(observations({ tcp: [...podRows.tcp, hostTcp()] }));
    expect(verdicts.map(label)).toEqual(['F3']);
    const [v] = verdicts;
    expect(v!.title).toMatch(/^pod network \(overlay\) broken from node-a to pods on node-b/);
    expect(v!.evidence.some((e) => e.signal === "node-a (host network): the same nodes' own addresses reached cleanly" && e.holds)).toBe(true);
    expect(v!.next_steps[0]!.command).toMatch(/ip -d link show type vxlan/);
    expect(v!.targets).toEqual(['10.244.2.9:9810']); // the pod target, not the clean host one
  });

  it('both failing: the underlay, with steps against the node address; the host rows do not page again', () => {
    const verdicts = diagnose(observations({ tcp: [...podRows.tcp, hostTcp({ failures: { timeout: 30 } })] }));
    expect(verdicts.map(label)).toEqual(['F3']);
    const [v] = verdicts;
    expect(v!.title).toMatch(/^node network \(underlay\) broken from node-a to node-b/);
    expect(v!.next_steps.map((s) => s.command)).toEqual(expect.arrayContaining(['ping -c 3 192.168.1.12', 'netprobe trace 192.168.1.12']));
    expect(v!.evidence.some((e) => /host network\): tcp nodes-tcp to 192\.168\.1\.12:9810 on node-b failing too/.test(e.signal))).toBe(true);
  });

  it('the pod vantage alone tells the layers apart when it probes the node addresses too', () => {
    const overlay = diagnose(observations({ tcp: [...podRows.tcp, podToNode()] }))[0]!;
    expect(overlay.title).toMatch(/^pod network \(overlay\) broken from node-a to pods on node-b/);
    expect(overlay.evidence.some((e) => e.signal === "node-a: the same nodes' own addresses reached cleanly" && e.holds)).toBe(true);
    expect(overlay.targets).toEqual(['10.244.2.9:9810']);
    const underlay = diagnose(observations({ tcp: [...podRows.tcp, podToNode({ failures: { timeout: 30 } })] }));
    expect(underlay.map(label)).toEqual(['F3']);
    expect(underlay[0]!.title).toMatch(/^node network \(underlay\) broken from node-a to node-b/);
    expect(underlay[0]!.next_steps.map((s) => s.command)).toContain('ping -c 3 192.168.1.12');
  });

  it('host-network rows to pod IPs are evidence, never the underlay comparison', () => {
    const hostToPod = tcp({ vantage: 'host', probe: 'pods-tcp', target: '10.244.2.9:9810', failures: { timeout: 30 } });
    // host->pod failing alone does not make it the underlay: it crosses the overlay too.
    expect(diagnose(observations({ tcp: [...podRows.tcp, hostToPod] }))[0]!.title).not.toMatch(/underlay/);
    const v = diagnose(observations({ tcp: [...podRows.tcp, hostTcp(), hostToPod] }))[0]!;
    expect(v.title).toMatch(/^pod network \(overlay\)/);
    expect(v.evidence.some((e) => e.signal === 'node-a (host network): pods on node-b fail from the host network too' && e.holds)).toBe(true);
  });

  it('without host-network rows the verdict stays the plain route/tunnel one', () => {
    expect(diagnose(observations(podRows))[0]!.title).toMatch(/^no route or tunnel from node-a/);
  });

  it('a host-network daemon alone diagnoses its own rows, labelled as such', () => {
    const verdicts = diagnose(observations({ tcp: [hostTcp({ failures: { timeout: 30 } }), hostTcp({ target: '192.168.1.11:9810', targetNode: 'node-a' })] }));
    expect(verdicts.map(label)).toEqual(['F3']);
    expect(verdicts[0]!.title).toMatch(/^host network: no route or tunnel from node-a/);
  });

  it('the first bad hop of a trace is evidence of F3, F4 and F5', () => {
    const hop = { hop: 2, address: '10.0.0.1', reason: 'no_reply_beyond' };
    const f3 = diagnose(observations({ tcp: [tcp({ failures: { timeout: 30 }, badHop: hop }), podRows.tcp[1]!] }))[0]!;
    expect(f3.evidence.find((e) => /first bad hop/.test(e.signal))).toMatchObject({ signal: 'node-a: trace to 10.244.2.9:9810: first bad hop 2 (10.0.0.1), no reply beyond', value: 2, holds: true });
    const f4 = diagnose(observations({ icmp: [icmp({ ceilingBytes: 1400, badHop: { hop: 3, address: null, reason: 'mtu' } })] }))[0]!;
    expect(f4.failure).toBe('F4');
    expect(f4.evidence.some((e) => e.signal === 'node-a: trace to 10.244.2.9: first bad hop 3, mtu')).toBe(true);
    const f5 = diagnose(observations({ icmp: [icmp({ ceilingBytes: 1400, blackhole: true, badHop: { hop: 3, address: '10.0.0.2', reason: 'blackhole' } })] }))[0]!;
    expect(f5.evidence.some((e) => e.signal === 'node-a: trace to 10.244.2.9: first bad hop 3 (10.0.0.2), blackhole')).toBe(true);
  });
});

describe('F2 at the shipped intervals: a fresh fault is named before the slow series fill up', () => {
  // 30 s after the VIP broke: the 10 s parallel series has 3 of 6 runs failed, the 30 s reopen
  // and TCP series 1 of 6 each (their history is minutes of healthy runs). Summed: 5/18 < 0.5.
  const fresh = (latestFailed: (r: DnsObservation) => boolean) =>
    observations({
      dns: nodeDns('node-a', (r) =>
        isVip(r) ? { ...r, runs: 6, failures: { timeout: r.mode === 'parallel' ? 3 : 1 }, lastFailed: latestFailed(r), firstBadMs: T(30) } : r,
      ),
    });

  it('every VIP series\' latest lookup failed: F2 on the worst series\' share', () => {
    const verdicts = diagnose(fresh(() => true));
    expect(verdicts.map(label)).toEqual(['F2']);
    expect(verdicts[0]!.evidence[0]).toMatchObject({ value: 0.5, threshold: 0.5, holds: true });
    expect(verdicts[0]!.evidence[0]!.signal).toMatch(/worst series/);
  });

  it('one VIP series answering at its latest lookup (a mode-specific problem): no F2 yet', () => {
    expect(diagnose(fresh((r) => r.transport !== 'tcp')).map(label)).toEqual([]);
  });
});

describe('F2 shortcut and F7', () => {
  it('a replica down (F7) with every VIP series\' latest lookup failing by chance is still only F7', () => {
    const obs = observations({
      dns: nodeDns('node-a', (r) =>
        isVip(r) ? { ...r, runs: 6, failures: { timeout: r.mode === 'parallel' ? 5 : 2 }, lastFailed: true } : r.target === EP2 ? { ...r, failures: { timeout: 10 } } : r,
      ),
    });
    expect(diagnose(obs).map(label)).toEqual(['F7']);
  });
});
