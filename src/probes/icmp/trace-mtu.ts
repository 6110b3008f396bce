// Which hop lowers the path MTU: the end-to-end ceiling search (search.ts),
// then the hop is the one that reported "fragmentation needed" / Packet Too
// Big, or, when nothing reports (a black hole), the last hop that a packet
// one byte above the ceiling still reaches (it answers "time exceeded" at its
// TTL), which is the one that cannot forward it onwards. A router checks the
// TTL before the MTU, so the TTL-limited copy answers even from the culprit.
import type { IcmpPinger } from '../../native/icmp.ts';
import { searchCeiling } from './search.ts';
import { isBlackhole, SizeTally } from './tally.ts';
import type { HopMtu, TraceHop } from './trace.ts';
import type { FragNeeded } from './types.ts';

export interface TraceMtuParams {
  address: string;
  family: 4 | 6;
  min: number;
  max: number;
  timeoutMs: number;
}

export interface TraceMtuOutcome {
  /** Largest size answered end to end; null when not even `min` was. */
  ceiling: number | null;
  firstFailing: number | null;
  blackhole: boolean;
  fragNeeded: FragNeeded[];
  /** MTU of the local outgoing interface, when the kernel refused a size itself. */
  localMtu: number | null;
  /** TTL of the hop that lowers the ceiling (0: this host's own interface); null when nothing is lowered or unknown. */
  hop: number | null;
}

/** Sends `size` at TTL 1..upto (twice each) and returns the largest TTL whose hop answered. */
async function reachOf(pinger: IcmpPinger, p: TraceMtuParams, size: number, upto: number, signal: AbortSignal): Promise<number> {
  const timeExceeded = p.family === 6 ? 3 : 11;
  const answered = await Promise.all(
    Array.from({ length: upto }, async (_, i) => {
      const outcomes = await Promise.all([0, 1].map(() => pinger.echo(p.address, size, p.timeoutMs, signal, { ttl: i + 1 })));
      return outcomes.some((o) => o.kind === 'unreachable' && o.icmpType === timeExceeded) ? i + 1 : 0;
    }),
  );
  return Math.max(0, ...answered);
}

/** Runs the search and marks the hop that lowers the MTU on `hops` (its `mtu` field). */
export async function traceMtu(pinger: IcmpPinger, p: TraceMtuParams, hops: TraceHop[], signal: AbortSignal): Promise<TraceMtuOutcome> {
  const tally = new SizeTally();
  const found = await searchCeiling(pinger, p.address, { min: p.min, max: p.max, parallel: 8, attempts: 2, timeoutMs: p.timeoutMs }, tally, signal);
  const { ceiling, firstFailing } = found;
  const blackhole = isBlackhole(tally, ceiling, firstFailing);
  const out: TraceMtuOutcome = { ceiling, firstFailing, blackhole, fragNeeded: tally.fragNeeded, localMtu: tally.localMtu, hop: null };
  if (ceiling === null || firstFailing === null || signal.aborted) return out;

  const mark = (ttl: number, mtu: HopMtu) => {
    out.hop = ttl;
    const hop = hops.find((h) => h.ttl === ttl);
    if (hop) hop.mtu = mtu;
  };
  if (tally.localMtu !== null && tally.localMtu === ceiling) {
    out.hop = 0;
    return out;
  }
  // The report that explains the ceiling: its MTU is the ceiling (or at least not above the failing size).
  const report = tally.fragNeeded.find((f) => f.mtu === ceiling) ?? tally.fragNeeded.find((f) => f.mtu > 0 && f.mtu < firstFailing);
  if (report) {
    const hop = hops.find((h) => h.addresses.includes(report.hop));
    if (hop) {
      mark(hop.ttl, { reported: report.mtu, ceiling, blackhole: false });
      return out;
    }
  }
  const upto = hops.length;
  if (upto === 0) return out;
  const reached = await reachOf(pinger, p, firstFailing, upto, signal);
  if (reached > 0 && reached < upto) mark(reached, { reported: report?.mtu ?? null, ceiling, blackhole });
  return out;
}
