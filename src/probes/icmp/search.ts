// Exact path-MTU ceiling between `min` and `max`, searched with several sizes
// in flight at once.
//
// Why it is fast: answers come back at very different speeds. Sizes the path
// carries are answered in one round trip; sizes a hop refuses come back as
// "fragmentation needed" in one round trip too, and that report names the
// MTU, which is then tried next (usually the answer). Only silence (a black
// hole, or loss) costs a full timeout. So the search always probes the gap
// between the largest answered size and the smallest size still in flight,
// without waiting for slower sizes above: it narrows from below at the speed
// of round trips, and a black-hole path costs about one timeout in all.
import type { EchoOutcome, IcmpPinger } from '../../native/icmp.ts';
import type { SizeTally } from './tally.ts';
import type { MtuSearchOptions } from './types.ts';

/** What one candidate size came to, over its attempts. */
export type SizeVerdict = 'reply' | 'frag_needed' | 'local_too_big' | 'unreachable' | 'send_error' | 'timeout' | 'aborted';

// When copies of a size disagree, the most telling outcome wins.
const RANK: Record<EchoOutcome['kind'], number> = {
  reply: 0,
  frag_needed: 1,
  local_too_big: 2,
  unreachable: 3,
  send_error: 4,
  timeout: 5,
  aborted: 6,
};

export interface SearchProgress {
  size: number;
  verdict: SizeVerdict;
  /** Largest size answered so far (null: none yet). */
  answered: number | null;
  /** Smallest size known to fail so far (null: none yet). */
  failing: number | null;
  /** For frag_needed: who reported it and the MTU it gave; for local_too_big: the local MTU. */
  hop?: string;
  mtu?: number;
}

export interface SearchParams extends MtuSearchOptions {
  timeoutMs: number;
  /** Sizes worth trying first (the expected MTU...). */
  hints?: number[];
  /** Upper bound on distinct sizes tried, so a path that keeps changing cannot loop. */
  maxSizes?: number;
  onProgress?: (p: SearchProgress) => void;
}

export interface SearchOutcome {
  /** Largest size answered, null when not even `min` was. */
  ceiling: number | null;
  /** Smallest size known to fail, null when `max` was answered. */
  firstFailing: number | null;
  /** The ceiling is exact: firstFailing = ceiling + 1, or ceiling = max. */
  exact: boolean;
  sizesTried: number;
}

/** Evenly spaced points strictly inside (low, high), at most `n`. */
export function spread(low: number, high: number, n: number): number[] {
  const room = high - low - 1;
  if (room <= 0 || n <= 0) return [];
  const k = Math.min(n, room);
  const points: number[] = [];
  for (let i = 1; i <= k; i++) points.push(low + Math.round((i * (high - low)) / (k + 1)));
  return [...new Set(points)].filter((p) => p > low && p < high);
}

export async function searchCeiling(
  pinger: IcmpPinger,
  addr: string,
  params: SearchParams,
  tally: SizeTally,
  signal: AbortSignal,
): Promise<SearchOutcome> {
  const { min, max, parallel, attempts, timeoutMs } = params;
  const maxSizes = params.maxSizes ?? 128;
  const answered = new Set<number>();
  const failed = new Map<number, SizeVerdict>();
  const inFlight = new Set<number>();
  const settled: { size: number; verdict: SizeVerdict; hop?: string; mtu?: number }[] = [];
  const details = new Map<number, { hop?: string; mtu?: number }>();
  let hints = [...(params.hints ?? [])];
  let reportBound = Number.POSITIVE_INFINITY; // from frag-needed / local MTU: sizes >= this fail
  let tried = 0;
  let wake: (() => void) | undefined;
  // Stragglers still in flight when the answer is known are cancelled.
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal.addEventListener('abort', onAbort, { once: true });

  let slowestAnswerMs = 0;
  const probeSize = async (size: number): Promise<SizeVerdict> => {
    const started = performance.now();
    let best: SizeVerdict = 'aborted';
    let replied = false;
    const done = new AbortController();
    const cancel = () => done.abort();
    stop.signal.addEventListener('abort', cancel, { once: true });
    await Promise.all(
      Array.from({ length: attempts }, async () => {
        const outcome = await pinger.echo(addr, size, timeoutMs, done.signal);
        tally.record(size, outcome);
        // Round-trip time of anything the network answered: the scale for "presumed silent".
        if (outcome.kind === 'reply' || outcome.kind === 'frag_needed' || outcome.kind === 'unreachable') {
          slowestAnswerMs = Math.max(slowestAnswerMs, performance.now() - started);
        }
        if (outcome.kind === 'frag_needed') details.set(size, { hop: outcome.hop, mtu: outcome.mtu });
        if (outcome.kind === 'local_too_big' && outcome.localMtu !== null) details.set(size, { mtu: outcome.localMtu });
        if (outcome.kind === 'frag_needed' && outcome.mtu > 0 && outcome.mtu < size) {
          reportBound = Math.min(reportBound, outcome.mtu + 1);
          hints.push(outcome.mtu);
        }
        if (outcome.kind === 'local_too_big' && outcome.localMtu !== null && outcome.localMtu < size) {
          reportBound = Math.min(reportBound, outcome.localMtu + 1);
          hints.push(outcome.localMtu);
        }
        if (RANK[outcome.kind] < RANK[best]) best = outcome.kind;
        // One answered copy settles the size; the others need not be waited for.
        if (outcome.kind === 'reply' && !replied) {
          replied = true;
          done.abort();
        }
      }),
    );
    stop.signal.removeEventListener('abort', cancel);
    return best;
  };

  const launchedAt = new Map<number, number>();
  const launch = (size: number) => {
    inFlight.add(size);
    launchedAt.set(size, performance.now());
    tried++;
    void probeSize(size).then((verdict) => {
      inFlight.delete(size);
      settled.push({ size, verdict, ...(verdict === 'frag_needed' || verdict === 'local_too_big' ? details.get(size) : {}) });
      wake?.();
    });
  };

  const lowest = () => Math.max(min - 1, ...answered);
  const failing = (lo: number) => {
    let hi = max + 1;
    for (const size of failed.keys()) if (size > lo && size < hi) hi = size;
    // A report at or below an answered size is stale (the path changed): ignore it.
    if (reportBound > lo && reportBound < hi) hi = reportBound;
    return hi;
  };
  // A size in flight for longer than a few round trips is presumed silent:
  // the search goes on below it instead of waiting out its timeout.
  const patienceMs = () => Math.min(timeoutMs / 4, Math.max(2, 4 * slowestAnswerMs + 1));

  try {
    // First wave: both ends, the hints, and evenly spaced sizes between.
    const first = new Set<number>([min, max]);
    for (const h of hints) if (h >= min && h <= max && first.size < parallel) first.add(h);
    hints = [];
    for (const p of spread(min, max, Math.max(0, parallel - first.size))) first.add(p);
    for (const size of [...first].sort((a, b) => a - b)) launch(size);

    for (;;) {
      if (signal.aborted) break;
      const lo = lowest();
      const hi = failing(lo);
      if (hi <= min) break; // even the smallest size fails
      if (hi === lo + 1) break; // exact
      // The gap worth probing ends at the smallest size still in flight above lo.
      let upper = hi;
      let youngest = Number.POSITIVE_INFINITY;
      const now = performance.now();
      for (const size of inFlight) {
        if (size <= lo || size >= hi) continue;
        upper = Math.min(upper, size);
        youngest = Math.min(youngest, now - launchedAt.get(size)!);
      }
      const wait = patienceMs() - youngest; // > 0: some size may still answer soon
      hints = hints.filter((h) => h > lo && h < hi && !failed.has(h) && !answered.has(h) && !inFlight.has(h));
      const useful = [...new Set(hints.filter((h) => h < upper))];
      if (upper - lo > 1 && tried < maxSizes && (useful.length > 0 || wait <= 0)) {
        // A reported MTU is tried at once, alone: it is usually the answer.
        const next = useful.length > 0 ? useful : spread(lo, upper, parallel);
        hints = hints.filter((h) => !useful.includes(h));
        for (const size of next.slice(0, maxSizes - tried)) launch(size);
        continue;
      }
      if (inFlight.size === 0) break; // out of budget, nothing left to learn
      await new Promise<void>((resolve) => {
        wake = resolve;
        if (settled.length > 0) resolve();
        else if (wait > 0 && Number.isFinite(wait) && upper - lo > 1) setTimeout(resolve, Math.ceil(wait));
      });
      wake = undefined;
      // Take every verdict that arrived in the same batch before deciding again.
      for (const { size, verdict, ...detail } of settled.splice(0)) {
        if (verdict === 'reply') answered.add(size);
        else if (verdict !== 'aborted') failed.set(size, verdict);
        params.onProgress?.({ size, verdict, answered: answered.size > 0 ? lowest() : null, failing: nullIfOpen(failing(lowest())), ...detail });
      }
    }
  } finally {
    stop.abort();
    signal.removeEventListener('abort', onAbort);
  }
  // Let cancelled stragglers record themselves as abandoned before the tally is read.
  while (inFlight.size > 0) {
    await new Promise<void>((resolve) => {
      wake = resolve;
      if (inFlight.size === 0) resolve();
    });
  }

  const lo = lowest();
  const ceiling = lo >= min ? lo : null;
  const hi = failing(lo);
  const firstFailing = hi <= max ? hi : null;
  return { ceiling, firstFailing, exact: ceiling !== null && (firstFailing === ceiling + 1 || ceiling === max), sizesTried: tried };

  function nullIfOpen(hi: number): number | null {
    return hi <= max ? hi : null;
  }
}
