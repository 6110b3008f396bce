// Bookkeeping shared by the size walk and the MTU search: what each echo
// request became, per size, and the verdicts drawn from those counts.
import type { EchoOutcome } from '../../native/icmp.ts';
import type { FragNeeded, SizeStats } from './types.ts';

export class SizeTally {
  readonly #stats = new Map<number, SizeStats>();
  readonly #frag = new Map<string, FragNeeded>();
  localMtu: number | null = null;
  /** errno codes of local send failures (detail only, never a label). */
  readonly sendErrors = new Set<string>();

  at(size: number): SizeStats {
    let s = this.#stats.get(size);
    if (!s) {
      s = { size, sent: 0, replies: 0, rttSeconds: [], timeouts: 0, fragNeeded: 0, localTooBig: 0, errors: 0, abandoned: 0 };
      this.#stats.set(size, s);
    }
    return s;
  }

  has(size: number): boolean {
    return this.#stats.has(size);
  }

  record(size: number, outcome: EchoOutcome): void {
    const s = this.at(size);
    // Local refusals never reached the wire; everything else did.
    if (outcome.kind !== 'local_too_big' && outcome.kind !== 'send_error') s.sent++;
    switch (outcome.kind) {
      case 'reply':
        s.replies++;
        s.rttSeconds.push(outcome.rttMs / 1000);
        break;
      case 'timeout':
        s.timeouts++;
        break;
      case 'frag_needed': {
        s.fragNeeded++;
        const key = `${outcome.hop}/${outcome.mtu}`;
        if (!this.#frag.has(key)) this.#frag.set(key, { hop: outcome.hop, mtu: outcome.mtu });
        break;
      }
      case 'local_too_big':
        s.localTooBig++;
        if (outcome.localMtu !== null) this.localMtu = outcome.localMtu;
        break;
      case 'unreachable':
        s.errors++;
        break;
      case 'send_error':
        s.errors++;
        this.sendErrors.add(outcome.code);
        break;
      case 'aborted':
        s.abandoned++;
        break;
    }
  }

  get hasFragNeeded(): boolean {
    return this.#frag.size > 0;
  }

  get fragNeeded(): FragNeeded[] {
    return [...this.#frag.values()].sort((a, b) => a.mtu - b.mtu || a.hop.localeCompare(b.hop));
  }

  get sizes(): SizeStats[] {
    return [...this.#stats.values()].sort((a, b) => a.size - b.size);
  }

  get probesSent(): number {
    let n = 0;
    for (const s of this.#stats.values()) n += s.sent;
    return n;
  }

  /** Largest size with at least one reply. */
  largestAnswered(): number | null {
    let best: number | null = null;
    for (const s of this.#stats.values()) if (s.replies > 0 && (best === null || s.size > best)) best = s.size;
    return best;
  }

  /** Smallest size above `floor` that was tried and never answered. */
  smallestFailedAbove(floor: number | null): number | null {
    let best: number | null = null;
    for (const s of this.#stats.values()) {
      const tried = s.sent - s.abandoned + s.localTooBig + s.errors > 0;
      if (s.replies > 0 || !tried || (floor !== null && s.size <= floor)) continue;
      if (best === null || s.size < best) best = s.size;
    }
    return best;
  }

  /** Some request at a size the path carries went unanswered (plain packet loss). */
  lossAtOrBelow(ceiling: number | null): boolean {
    if (ceiling === null) return false;
    for (const s of this.#stats.values()) if (s.size <= ceiling && s.timeouts > 0) return true;
    return false;
  }
}

/**
 * A black hole: the smallest failing size above the ceiling failed in silence
 * (timeouts only) and no "fragmentation needed" report or local MTU explains
 * why sizes from there on do not pass.
 */
export function isBlackhole(tally: SizeTally, ceiling: number | null, firstFailing: number | null): boolean {
  if (ceiling === null || firstFailing === null) return false;
  if (!tally.has(firstFailing)) {
    // The bound came from a report (frag-needed or local MTU), not from silence.
    return false;
  }
  const s = tally.at(firstFailing);
  if (s.timeouts === 0 || s.fragNeeded > 0 || s.localTooBig > 0 || s.errors > 0) return false;
  const explained = (mtu: number) => mtu >= ceiling && mtu < firstFailing;
  if (tally.fragNeeded.some((f) => f.mtu > 0 && explained(f.mtu))) return false;
  if (tally.localMtu !== null && explained(tally.localMtu)) return false;
  return true;
}
