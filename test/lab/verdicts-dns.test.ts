// Local verdicts for the DNS failure modes (F1, F2, F6, F7, and F1 with F7 at
// once), from the real daemon in one Service VIP lab (two CoreDNS replicas,
// an upstream): each fault is injected, /api/verdicts must show exactly its
// verdict within 60 s (and nothing else on the way), then it is healed and the
// daemon must come back to no verdict before the next one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  breakUpstream,
  buildServiceVipLab,
  injectConntrackRace,
  Lab,
  removeConntrackRace,
  removeVipDnat,
  requireLab,
  restoreUpstream,
  restoreVipDnat,
  startDnsServer,
  stopDnsServer,
  type ServiceVipLab,
} from './harness/index.ts';
import { describeWatch, startLabDaemon, VERDICT_DEADLINE_MS, watchVerdicts, type LabDaemon } from './verdicts-support.ts';

// Throws first when CI=true and the lab cannot run: in CI this test is never skipped.
const labAvailable = requireLab({ commands: ['dnsmasq', 'dig'] });

const PORT = 9821;
const NAMES = [
  { name: 'kubernetes.default.svc.cluster.local', class: 'cluster' },
  { name: 'www.example.lab', class: 'external' },
];

/**
 * The shipped config's shape, faster: the VIP in parallel, reopen and TCP, both
 * endpoints directly. Intervals differ so the VIP's round-robin DNAT (one step
 * per new flow) does not pin one probe to one replica.
 */
function probes(vip: ServiceVipLab): object[] {
  const common = { kind: 'dns', names: NAMES, timeout: '250ms', attempts: 2 };
  return [
    { ...common, name: 'vip-udp', every: '1s', servers: [vip.vip], targetKind: 'service_vip', transport: 'udp', mode: 'parallel' },
    { ...common, name: 'vip-udp-reopen', every: '1100ms', servers: [vip.vip], targetKind: 'service_vip', transport: 'udp', mode: 'reopen' },
    { ...common, name: 'vip-tcp', every: '1300ms', servers: [vip.vip], targetKind: 'service_vip', transport: 'tcp' },
    { ...common, name: 'endpoints', every: '1s', servers: vip.dnsServers.map((d) => d.ip), targetKind: 'endpoint', transport: 'udp', mode: 'reopen' },
  ];
}

interface Fault {
  name: string;
  want: string[];
  inject(vip: ServiceVipLab): Promise<void>;
  heal(vip: ServiceVipLab): Promise<void>;
  targets?: (vip: ServiceVipLab) => Record<string, string[]>;
}

const FAULTS: Fault[] = [
  {
    name: 'F1 conntrack race on the VIP',
    want: ['F1'],
    inject: (v) => injectConntrackRace(v),
    heal: (v) => removeConntrackRace(v),
    targets: (v) => ({ F1: [`${v.vip}:53`] }),
  },
  {
    name: 'F2 VIP not translated',
    want: ['F2'],
    inject: (v) => removeVipDnat(v),
    heal: (v) => restoreVipDnat(v),
    targets: (v) => ({ F2: [`${v.vip}:53`] }),
  },
  {
    name: 'F6 upstream DNS broken',
    want: ['F6'],
    inject: (v) => breakUpstream(v),
    heal: (v) => restoreUpstream(v),
  },
  {
    name: 'F7 one CoreDNS replica down',
    want: ['F7'],
    inject: (v) => stopDnsServer(v, 0),
    heal: (v) => startDnsServer(v, 0),
    targets: (v) => ({ F7: [`${v.dnsServers[0]!.ip}:53`] }),
  },
  {
    name: 'F1 on the VIP and F7 on one endpoint at once',
    want: ['F1', 'F7'],
    inject: async (v) => {
      await injectConntrackRace(v);
      await stopDnsServer(v, 0);
    },
    heal: async (v) => {
      await removeConntrackRace(v);
      await startDnsServer(v, 0);
    },
  },
];

describe.skipIf(!labAvailable)('local verdicts for DNS faults (one daemon, Service VIP lab with 2 replicas and an upstream)', () => {
  let lab: Lab;
  let vip: ServiceVipLab;
  let node: LabDaemon;
  beforeAll(async () => {
    lab = await Lab.create(import.meta.url);
    vip = await buildServiceVipLab(lab, { replicas: 2, upstream: true });
    node = await startLabDaemon(lab, vip.nodeNs, `${vip.nodeHttpIp}:${PORT}`, 'lab-node-1', probes(vip));
  }, 120_000);
  afterAll(async () => {
    await lab?.destroy();
  });

  it('healthy before any fault: no verdict', { timeout: 90_000 }, async () => {
    // The window needs a few runs of every series before "healthy" means anything.
    await new Promise((r) => setTimeout(r, 4000));
    const w = await watchVerdicts(() => node.verdicts(), [], 30_000);
    expect(w.ok, describeWatch(w, node.daemon.process.describeOutput())).toBe(true);
    expect(w.seen).toEqual([]);
  });

  for (const fault of FAULTS) {
    it(`${fault.name}: ${fault.want.join(' + ')} within 60 s and no other; none after healing`, { timeout: 180_000 }, async () => {
      await fault.inject(vip);
      const w = await watchVerdicts(() => node.verdicts(), fault.want);
      console.log(`${fault.name}: ${fault.want.join('+')} after ${(w.elapsedMs / 1000).toFixed(1)} s`);
      expect(w.ok, describeWatch(w, node.daemon.process.describeOutput())).toBe(true);
      expect(w.elapsedMs).toBeLessThan(VERDICT_DEADLINE_MS);
      expect(w.seen.filter((l) => !fault.want.includes(l)), describeWatch(w)).toEqual([]);
      for (const [failure, targets] of Object.entries(fault.targets?.(vip) ?? {})) {
        expect(w.last.find((v) => v.failure === failure)?.targets).toEqual(targets);
      }
      for (const v of w.last) {
        expect(v.source_nodes).toEqual(['lab-node-1']);
        expect(v.next_steps[0]!.runbook).toMatch(/docs\/runbooks\.md#f\d-/);
      }
      await fault.heal(vip);
      const healed = await watchVerdicts(() => node.verdicts(), [], 60_000);
      expect(healed.ok, `not healthy again after healing ${fault.name}: ${describeWatch(healed)}`).toBe(true);
    });
  }
});
