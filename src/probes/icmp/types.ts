// Plain data of the ICMP / path-MTU probe. All sizes are IP packet sizes:
// 20-byte IPv4 header + 8-byte ICMP header + payload (what `ping -s N` calls
// N + 28; for IPv6 a 40-byte header, N + 48), so a size compares directly
// with an interface or path MTU.
import type { IcmpPinger, IcmpSocketMode } from '../../native/icmp.ts';
import type { TargetInfo } from '../types.ts';

export interface IcmpTarget extends TargetInfo {
  /** IPv4 or IPv6 address, or a name resolved (IPv4) at each run. */
  host: string;
}

export interface MtuSearchOptions {
  /** Smallest and largest IP packet size to consider. */
  min: number;
  max: number;
  /** Candidate sizes sent at once while the search narrows. */
  parallel: number;
  /** Requests per candidate size, sent together; a size passes when any is answered (tolerates loss). */
  attempts: number;
}

export interface IcmpOptions {
  /** Sizes echoed `count` times each (RTT and loss per size); may be empty when `search` is set. */
  sizes: number[];
  count: number;
  /** Time between the requests of one size, milliseconds. */
  intervalMs: number;
  /** Per-request timeout, milliseconds: silence longer than this is a loss (or a black hole). */
  timeoutMs: number;
  /** Binary-search the exact ceiling between min and max. */
  search: MtuSearchOptions | null;
  /** Path MTU the config expects (netprobe_path_mtu_expected_bytes); null = not set. */
  expectedMtu: number | null;
  /** Which ICMP socket to open (auto: datagram when ping_group_range allows, else raw). */
  socket: 'auto' | IcmpSocketMode;
  /** The engine to send through; the process-wide one for `socket` when absent (tests pass fakes). */
  engine?: IcmpPinger;
}

export interface FragNeeded {
  /** Address of the hop that sent "fragmentation needed". */
  hop: string;
  /** Next-hop MTU it reported (0 = it did not say). */
  mtu: number;
}

/** What happened at one size, over all requests of the run (echo and search). */
export interface SizeStats {
  size: number;
  sent: number;
  replies: number;
  /** Round-trip times of the replies, seconds. */
  rttSeconds: number[];
  timeouts: number;
  fragNeeded: number;
  localTooBig: number;
  /** Other ICMP errors (unreachable, time exceeded) and local send errors. */
  errors: number;
  /** Still in flight when the search had its answer; neither answered nor lost. */
  abandoned: number;
}

/**
 * Bounded failure reasons (the `result` label of netprobe_probe_runs_total):
 * - ok: answered, at or above the expected MTU, no black hole;
 * - no_reply: no size was answered at all;
 * - loss: some requests at sizes the path carries went unanswered;
 * - mtu_below_expected: the ceiling is below `expectedMtu`;
 * - blackhole: sizes above the ceiling vanish without "fragmentation needed";
 * - send_error: the local kernel refused to send (no route, EPERM from a local rule...);
 * - resolve_error: the target name did not resolve to an IPv4 address;
 * - aborted: the run was cancelled (deadline, shutdown).
 */
export const ICMP_REASONS = [
  'ok',
  'no_reply',
  'loss',
  'mtu_below_expected',
  'blackhole',
  'send_error',
  'resolve_error',
  'aborted',
] as const;
export type IcmpReason = (typeof ICMP_REASONS)[number];

export interface IcmpResult {
  reason: IcmpReason;
  /** Address actually probed. */
  address: string;
  socket: IcmpSocketMode | null;
  /** Largest size answered with DF set (exact when searched); null when nothing was answered. */
  ceilingBytes: number | null;
  /** Smallest size known not to pass (answered by nothing, frag-needed or local refusal); null if none failed. */
  firstFailingBytes: number | null;
  expectedBytes: number | null;
  /** Sizes above the ceiling vanished with no frag-needed (and no local refusal) to explain it. */
  blackhole: boolean;
  /** Distinct (hop, mtu) pairs that reported "fragmentation needed". */
  fragNeeded: FragNeeded[];
  /** MTU of the outgoing interface, when the kernel refused a size locally. */
  localMtu: number | null;
  /** Echo requests that left this host (local refusals not included). */
  probesSent: number;
  /** Interface the route to the target leaves by, and its MTU (route-mtu.ts); null when unknown. */
  interfaceName: string | null;
  interfaceMtu: number | null;
  searched: boolean;
  /** Per-size statistics of the configured sizes (the walk), ascending. */
  sizes: SizeStats[];
  /** Per-size statistics of the candidate sizes the search tried, ascending. */
  searchSizes: SizeStats[];
  durationSeconds: number;
  /** Human-readable detail for failures; never a label. */
  error?: string;
}
