// Observation builders for the engine's table-driven tests: a healthy row by
// default, with only what a case changes spelled out.
import type { DnsObservation, IcmpObservation, NodeObservation, Observations, TcpObservation } from '../../src/diagnosis/observations.ts';

export const NOW = Date.parse('2026-12-01T12:00:00Z');
export const VIP = '10.96.0.10:53';
export const EP1 = '10.244.1.5:53';
export const EP2 = '10.244.2.7:53';

type Part<T> = Partial<T> & { sourceNode?: string };

export function dns(p: Part<DnsObservation> = {}): DnsObservation {
  return {
    kind: 'dns',
    sourceNode: 'node-a',
    probe: 'dns-vip-udp',
    target: VIP,
    targetKind: 'service_vip',
    targetNode: '',
    transport: 'udp',
    mode: 'parallel',
    nameClass: 'cluster',
    runs: 10,
    failures: {},
    stalls: 0,
    lastFailed: false,
    firstBadMs: null,
    ...p,
  };
}

export function tcp(p: Part<TcpObservation> = {}): TcpObservation {
  return { kind: 'tcp', sourceNode: 'node-a', probe: 'peers-tcp', target: '10.244.2.9:9810', targetKind: 'peer', targetNode: 'node-b', runs: 30, failures: {}, firstBadMs: null, ...p };
}

export function icmp(p: Part<IcmpObservation> = {}): IcmpObservation {
  return {
    kind: 'icmp',
    sourceNode: 'node-a',
    probe: 'peers-mtu',
    target: '10.244.2.9',
    targetKind: 'peer',
    targetNode: 'node-b',
    runs: 5,
    failures: {},
    firstBadMs: null,
    ceilingBytes: 1450,
    expectedBytes: 1450,
    blackhole: false,
    interfaceMtuBytes: null,
    ...p,
  };
}

/** The shipped config's DNS rows for one node: VIP in parallel, reopen and tcp, two endpoints in reopen. */
export function nodeDns(node: string, change: (r: DnsObservation) => DnsObservation = (r) => r): DnsObservation[] {
  return [
    dns({ sourceNode: node }),
    dns({ sourceNode: node, probe: 'dns-vip-udp-reopen', mode: 'reopen' }),
    dns({ sourceNode: node, probe: 'dns-vip-tcp', transport: 'tcp', mode: '' }),
    dns({ sourceNode: node, probe: 'dns-endpoints', target: EP1, targetKind: 'endpoint', mode: 'reopen', targetNode: 'node-b' }),
    dns({ sourceNode: node, probe: 'dns-endpoints', target: EP2, targetKind: 'endpoint', mode: 'reopen', targetNode: 'node-c' }),
  ].map(change);
}

export function observations(p: Partial<Observations> & { nodes?: NodeObservation[] }): Observations {
  const rows = [...(p.dns ?? []), ...(p.tcp ?? []), ...(p.icmp ?? [])];
  const nodes = p.nodes ?? [...new Set(rows.map((r) => r.sourceNode))].map((sourceNode) => ({ sourceNode, createdMs: null }));
  return { nowMs: NOW, fleet: false, dns: [], tcp: [], icmp: [], ...p, nodes };
}
