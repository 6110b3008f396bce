// The normalised view the verdict rules read: one row per (source node,
// probe, target, mode...) with what happened over a recent window of runs.
// Two producers fill it, so the rules are written once: the daemon from its
// own sliding window of results (window.ts), `netprobe diagnose` from
// Prometheus counters and gauges (prometheus.ts). Plain data, no I/O.

interface ObservationBase {
  sourceNode: string;
  probe: string;
  /** The target / server label (ip:port for DNS and TCP, the host for ICMP). */
  target: string;
  /** service_vip | endpoint | peer | static | loopback | resolv_conf ... */
  targetKind: string;
  /** Node the target lives on; "" when unknown (Prometheus has no target_node on DNS series). */
  targetNode: string;
  /** Runs in the window (DNS: lookups; TCP: connects; ICMP: sweeps). */
  runs: number;
  /** Runs that failed, by reason (timeout, network_error, refused, no_reply ...). */
  failures: Record<string, number>;
  /** Wall-clock ms of the earliest failed (or stalled) run in the window; null when none. */
  firstBadMs: number | null;
  /** Where the probe ran: "host" for a hostNetwork pod; absent (or "pod") on the pod network. */
  vantage?: string;
  /** TCP and ICMP: the first bad hop of the latest trace of this path (trace on failure); absent when none. */
  badHop?: BadHop;
}

/** Where a traced path goes bad: the hop's TTL, its address when the trace has it, and why. */
export interface BadHop {
  hop: number;
  address: string | null;
  /** loss | unreachable | no_reply_beyond | mtu | blackhole */
  reason: string;
}

/** True for rows probed from the host network (the host-network DaemonSet). */
export function fromHost(o: { vantage?: string }): boolean {
  return o.vantage === 'host';
}

export interface DnsObservation extends ObservationBase {
  kind: 'dns';
  transport: string;
  mode: string;
  /** cluster | external | other */
  nameClass: string;
  /** Lookups answered only after a timed-out attempt. */
  stalls: number;
  /** The latest lookup failed (daemon: its last run; fleet: netprobe_probe_success == 0). */
  lastFailed: boolean;
}

export interface TcpObservation extends ObservationBase {
  kind: 'tcp';
}

export interface IcmpObservation extends ObservationBase {
  kind: 'icmp';
  /** Largest DF size answered on the latest sweep; null when nothing answered (or no sweep). */
  ceilingBytes: number | null;
  expectedBytes: number | null;
  /** The latest sweep saw sizes above the ceiling vanish with no "fragmentation needed". */
  blackhole: boolean;
  /** MTU of the source's interface on the route to the target; null when not known. */
  interfaceMtuBytes: number | null;
}

export type Observation = DnsObservation | TcpObservation | IcmpObservation;

export interface NodeObservation {
  sourceNode: string;
  /** Creation time of the node (Kubernetes), ms since the epoch; null when not known. */
  createdMs: number | null;
}

export interface Observations {
  nowMs: number;
  /** true for the fleet (Prometheus) view: cross-node comparisons and F8 apply. */
  fleet: boolean;
  dns: DnsObservation[];
  tcp: TcpObservation[];
  icmp: IcmpObservation[];
  /** Every source node seen, with its age when known. */
  nodes: NodeObservation[];
}

/**
 * The bars every rule uses. A window needs MIN_RUNS runs before it says
 * anything; "failing" and "clean" leave a gap between them so one lost packet
 * under load neither raises nor clears a verdict.
 */
export const BARS = {
  minRuns: 3,
  /** Share of runs failed (or stalled) for a series to count as failing. */
  failing: 0.3,
  /** At or below this share a series counts as clean (the comparison that rules a verdict in). */
  clean: 0.17,
  /** F2: the VIP must fail this much more than the failing share of endpoints explains. */
  vipMargin: 0.3,
  /** F8: nodes created less than this long ago are young. */
  youngMs: 6 * 3600_000,
} as const;

export function failed(o: ObservationBase): number {
  let n = 0;
  for (const k in o.failures) n += o.failures[k]!;
  return n;
}

export function failRatio(o: ObservationBase): number {
  return o.runs > 0 ? failed(o) / o.runs : 0;
}

export function stallRatio(o: DnsObservation): number {
  return o.runs > 0 ? o.stalls / o.runs : 0;
}

export function enough(o: ObservationBase): boolean {
  return o.runs >= BARS.minRuns;
}

/** Failing: enough runs, at least two failures, share at the failing bar. */
export function isFailing(o: ObservationBase): boolean {
  return enough(o) && failed(o) >= 2 && failRatio(o) >= BARS.failing;
}

export function isClean(o: ObservationBase): boolean {
  return enough(o) && failRatio(o) <= BARS.clean;
}

/** Sums observations (e.g. one server over name classes or modes) into one. */
export function sum<T extends ObservationBase>(rows: readonly T[]): { runs: number; failed: number; firstBadMs: number | null } {
  let runs = 0;
  let bad = 0;
  let firstBadMs: number | null = null;
  for (const r of rows) {
    runs += r.runs;
    bad += failed(r);
    if (r.firstBadMs !== null && (firstBadMs === null || r.firstBadMs < firstBadMs)) firstBadMs = r.firstBadMs;
  }
  return { runs, failed: bad, firstBadMs };
}

export function earliest(rows: readonly { firstBadMs: number | null }[], fallback: number): number {
  let t: number | null = null;
  for (const r of rows) if (r.firstBadMs !== null && (t === null || r.firstBadMs < t)) t = r.firstBadMs;
  return t ?? fallback;
}

/** "198.19.0.10:53" -> "198.19.0.10"; "[fd00::1]:53" -> "fd00::1"; a bare host stays. */
export function hostOf(label: string): string {
  const v6 = /^\[(.+)\]:\d+$/.exec(label);
  if (v6) return v6[1]!;
  const v4 = /^([^:]+):\d+$/.exec(label);
  return v4 ? v4[1]! : label;
}

export function emptyObservations(nowMs: number, fleet: boolean): Observations {
  return { nowMs, fleet, dns: [], tcp: [], icmp: [], nodes: [] };
}
