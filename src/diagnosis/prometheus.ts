// The fleet's side of the evidence: the PromQL that `netprobe diagnose` asks
// Prometheus, and the pure mapping of the answers onto the engine's
// observations (the HTTP part lives in the CLI). Counters are read as
// increase() over the window, so the rules see runs and failures exactly as
// the daemon's own window gives them.
import type { BadHop, DnsObservation, IcmpObservation, NodeObservation, Observations, TcpObservation } from './observations.ts';

export interface Sample {
  metric: Record<string, string>;
  value: number;
}

export interface RangeSeries {
  metric: Record<string, string>;
  /** [unix seconds, value] in time order. */
  values: [number, number][];
}

// `vantage` (pod / host network) keeps the two DaemonSets of one node apart: summed, a
// host-network pod's clean runs would hide the pod network's failures.
const DNS_G = 'source_node, vantage, probe, server, target_kind, transport, mode, name_class';
const TCP_G = 'source_node, vantage, probe, target, target_kind, target_node';
const PATH_G = 'source_node, vantage, probe, target, target_node';

/** Instant queries, by name; `w` is a PromQL duration such as "5m". */
export function instantQueries(w: string): Record<string, string> {
  return {
    // One lookup is one query per qtype: the busiest qtype counts the lookups.
    dnsRuns: `max by (${DNS_G}) (sum by (${DNS_G}, qtype) (increase(netprobe_dns_lookups_total[${w}])))`,
    dnsFailures: `max by (${DNS_G}, result) (sum by (${DNS_G}, qtype, result) (increase(netprobe_dns_lookups_total{result!="success"}[${w}])))`,
    dnsStalls: `sum by (${DNS_G}) (increase(netprobe_dns_stalled_lookups_total[${w}]))`,
    tcpConnects: `sum by (${TCP_G}, result) (increase(netprobe_tcp_connects_total[${w}]))`,
    icmpRequests: `sum by (${PATH_G}) (increase(netprobe_icmp_requests_total[${w}]))`,
    icmpReplies: `sum by (${PATH_G}) (increase(netprobe_icmp_replies_total[${w}]))`,
    mtu: `max by (${PATH_G}) (netprobe_path_mtu_bytes)`,
    mtuExpected: `max by (${PATH_G}) (netprobe_path_mtu_expected_bytes)`,
    blackhole: `max by (${PATH_G}) (netprobe_path_mtu_blackhole)`,
    interfaceMtu: `max by (${PATH_G}) (netprobe_interface_mtu_bytes)`,
    // Trace on failure: the TTL of the first bad hop of a failing path, by reason.
    firstBadHop: `max by (${PATH_G}, reason) (netprobe_path_first_bad_hop)`,
    lastFailed: 'min by (source_node, vantage, probe, target, name_class) (netprobe_probe_success) == 0',
    nodes: 'max by (source_node) (netprobe_build_info)',
    nodeCreated: 'max by (source_node) (netprobe_node_created_timestamp_seconds)',
    kubeNodeCreated: 'max by (node) (kube_node_created)',
  };
}

/** Range queries over the window, for `since`: when each series first went bad. */
export const RANGE_QUERIES: Record<string, string> = {
  dnsFail: `sum by (${DNS_G}) (netprobe_dns_lookups_total{result!="success"})`,
  dnsStall: `sum by (${DNS_G}) (netprobe_dns_stalled_lookups_total)`,
  tcpBad: `sum by (${TCP_G}) (netprobe_tcp_connects_total{result!="connected"})`,
  icmpBad: `sum by (${PATH_G}) (netprobe_icmp_requests_total) - on (${PATH_G}) sum by (${PATH_G}) (netprobe_icmp_replies_total)`,
  mtuBad: `max by (${PATH_G}) (netprobe_path_mtu_blackhole == 1) or max by (${PATH_G}) (netprobe_path_mtu_bytes < netprobe_path_mtu_expected_bytes)`,
};

export type Answers = Record<string, Sample[]>;
export type RangeAnswers = Record<string, RangeSeries[]>;

/** The row's vantage: only a host-network one is marked (absent = the pod network). */
const vantageOf = (m: Record<string, string>): { vantage?: string } => (m.vantage && m.vantage !== 'pod' ? { vantage: m.vantage } : {});

const key = (m: Record<string, string>, labels: readonly string[]): string => labels.map((l) => m[l] ?? '').join('\u0000');
const DNS_L = DNS_G.split(', ');
const TCP_L = TCP_G.split(', ');
const PATH_L = PATH_G.split(', ');

/**
 * First time in the range a counter rose: the first sample of a series born
 * inside the range (failure series appear with the first failure), else the
 * first step where the value moved past the one before it.
 */
export function firstRise(series: RangeSeries, rangeStart: number, stepSeconds: number): number | null {
  const v = series.values;
  if (v.length === 0) return null;
  if (v[0]![0] > rangeStart + stepSeconds && v[0]![1] > 0) return v[0]![0] * 1000;
  for (let i = 1; i < v.length; i++) if (v[i]![1] !== v[i - 1]![1]) return v[i]![0] * 1000;
  return null;
}

/** For gauges-with-a-condition (black hole, MTU below expected): the first sample present. */
function firstPresent(series: RangeSeries): number | null {
  return series.values.length > 0 ? series.values[0]![0] * 1000 : null;
}

export interface BuildOptions {
  nowMs: number;
  rangeStart: number;
  stepSeconds: number;
}

export function observationsFromPrometheus(a: Answers, r: RangeAnswers, o: BuildOptions): Observations {
  const firstBad = (name: string, labels: readonly string[], mode: 'rise' | 'present'): Map<string, number> => {
    const out = new Map<string, number>();
    for (const s of r[name] ?? []) {
      const t = mode === 'rise' ? firstRise(s, o.rangeStart, o.stepSeconds) : firstPresent(s);
      if (t !== null) out.set(key(s.metric, labels), t);
    }
    return out;
  };
  const dnsSince = firstBad('dnsFail', DNS_L, 'rise');
  for (const [k, t] of firstBad('dnsStall', DNS_L, 'rise')) dnsSince.set(k, Math.min(t, dnsSince.get(k) ?? t));
  const tcpSince = firstBad('tcpBad', TCP_L, 'rise');
  const icmpSince = firstBad('icmpBad', PATH_L, 'rise');
  const mtuSince = firstBad('mtuBad', PATH_L, 'present');

  const dns = new Map<string, DnsObservation>();
  for (const s of a.dnsRuns ?? []) {
    const m = s.metric;
    const k = key(m, DNS_L);
    dns.set(k, {
      kind: 'dns',
      sourceNode: m.source_node ?? '',
      ...vantageOf(m),
      probe: m.probe ?? '',
      target: m.server ?? '',
      targetKind: m.target_kind ?? '',
      targetNode: '',
      transport: m.transport ?? '',
      mode: m.transport === 'tcp' ? '' : (m.mode ?? ''),
      nameClass: m.name_class ?? '',
      runs: Math.round(s.value),
      failures: {},
      stalls: 0,
      lastFailed: false,
      firstBadMs: null,
    });
  }
  for (const s of a.dnsFailures ?? []) {
    const row = dns.get(key(s.metric, DNS_L));
    const n = Math.round(s.value);
    if (row && n > 0) row.failures[s.metric.result ?? 'unknown'] = n;
  }
  for (const s of a.dnsStalls ?? []) {
    const row = dns.get(key(s.metric, DNS_L));
    if (row) row.stalls = Math.round(s.value);
  }
  const lastFailed = new Set((a.lastFailed ?? []).map((s) => [s.metric.source_node, s.metric.vantage ?? '', s.metric.probe, s.metric.target, s.metric.name_class].join('\u0000')));
  for (const row of dns.values()) row.lastFailed = lastFailed.has([row.sourceNode, row.vantage ?? '', row.probe, row.target, row.nameClass].join('\u0000'));
  for (const [k, row] of dns) if (row.stalls > 0 || Object.keys(row.failures).length > 0) row.firstBadMs = dnsSince.get(k) ?? o.nowMs;

  const tcp = new Map<string, TcpObservation>();
  for (const s of a.tcpConnects ?? []) {
    const m = s.metric;
    const k = key(m, TCP_L);
    let row = tcp.get(k);
    if (!row) {
      row = { kind: 'tcp', sourceNode: m.source_node ?? '', ...vantageOf(m), probe: m.probe ?? '', target: m.target ?? '', targetKind: m.target_kind ?? '', targetNode: m.target_node ?? '', runs: 0, failures: {}, firstBadMs: null };
      tcp.set(k, row);
    }
    const n = Math.round(s.value);
    row.runs += n;
    if (m.result !== 'connected' && n > 0) row.failures[m.result ?? 'error'] = n;
  }
  for (const [k, row] of tcp) if (Object.keys(row.failures).length > 0) row.firstBadMs = tcpSince.get(k) ?? o.nowMs;

  const icmp = new Map<string, IcmpObservation>();
  const path = (m: Record<string, string>): IcmpObservation => {
    const k = key(m, PATH_L);
    let row = icmp.get(k);
    if (!row) {
      row = {
        kind: 'icmp',
        sourceNode: m.source_node ?? '',
        ...vantageOf(m),
        probe: m.probe ?? '',
        target: m.target ?? '',
        targetKind: '',
        targetNode: m.target_node ?? '',
        runs: 0,
        failures: {},
        firstBadMs: null,
        ceilingBytes: null,
        expectedBytes: null,
        blackhole: false,
        interfaceMtuBytes: null,
      };
      icmp.set(k, row);
    }
    return row;
  };
  const replies = new Map((a.icmpReplies ?? []).map((s) => [key(s.metric, PATH_L), s.value]));
  for (const s of a.icmpRequests ?? []) {
    const row = path(s.metric);
    row.runs = Math.round(s.value);
    const lost = Math.round(s.value - (replies.get(key(s.metric, PATH_L)) ?? 0));
    if (lost > 0) row.failures.loss = lost;
  }
  for (const s of a.mtu ?? []) path(s.metric).ceilingBytes = s.value;
  for (const s of a.mtuExpected ?? []) path(s.metric).expectedBytes = s.value;
  for (const s of a.blackhole ?? []) path(s.metric).blackhole = s.value === 1;
  for (const s of a.interfaceMtu ?? []) path(s.metric).interfaceMtuBytes = s.value;
  for (const [k, row] of icmp) {
    // A sweep-only probe (sizes: []) sends no counted echo: the gauges are its runs.
    if (row.runs === 0 && row.ceilingBytes !== null) row.runs = 1;
    if (Object.keys(row.failures).length > 0) row.firstBadMs = icmpSince.get(k) ?? o.nowMs;
    const mtuBad = row.blackhole || (row.ceilingBytes !== null && row.expectedBytes !== null && row.ceilingBytes < row.expectedBytes);
    if (mtuBad) row.firstBadMs = Math.min(row.firstBadMs ?? Infinity, mtuSince.get(k) ?? o.nowMs);
  }

  // A traced path's first bad hop goes on the TCP and ICMP rows of that path (the address stays out of labels).
  const hops = new Map<string, BadHop>();
  const pathKey = (m: Record<string, string>): string => key({ ...m, vantage: vantageOf(m).vantage ?? '' }, PATH_L);
  for (const s of a.firstBadHop ?? []) hops.set(pathKey(s.metric), { hop: s.value, address: null, reason: s.metric.reason ?? '' });
  for (const row of [...tcp.values(), ...icmp.values()]) {
    const hop = hops.get(pathKey({ source_node: row.sourceNode, vantage: row.vantage ?? '', probe: row.probe, target: row.target, target_node: row.targetNode }));
    if (hop) row.badHop = hop;
  }

  const created = new Map<string, number>();
  for (const s of a.kubeNodeCreated ?? []) if (s.metric.node) created.set(s.metric.node, s.value * 1000);
  for (const s of a.nodeCreated ?? []) if (s.metric.source_node) created.set(s.metric.source_node, s.value * 1000);
  const names = new Set<string>((a.nodes ?? []).map((s) => s.metric.source_node ?? '').filter(Boolean));
  for (const row of [...dns.values(), ...tcp.values(), ...icmp.values()]) names.add(row.sourceNode);
  const nodes: NodeObservation[] = [...names].sort().map((sourceNode) => ({ sourceNode, createdMs: created.get(sourceNode) ?? null }));

  return { nowMs: o.nowMs, fleet: true, dns: [...dns.values()], tcp: [...tcp.values()], icmp: [...icmp.values()], nodes };
}
