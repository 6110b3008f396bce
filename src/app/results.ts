// Last result per probe and target, for /api/results and readiness.
import type { TargetInfo } from '../probes/types.ts';

export interface StoredResult {
  probe: string;
  kind: string;
  target: TargetInfo;
  success: boolean;
  reason: string;
  startedAt: string;
  durationSeconds: number;
  result: unknown;
  /** The last trace-on-failure of this target (src/app/path-tracer.ts), when one was made. */
  trace?: unknown;
  /** pod | host, when NETPROBE_VANTAGE is set. */
  vantage?: string;
}

/**
 * What is kept per run: the wall-clock start as a number, turned into an ISO
 * string only when /api/results is read (thousands of runs a second, a
 * handful of reads).
 */
interface Kept {
  probe: string;
  kind: string;
  target: TargetInfo;
  success: boolean;
  reason: string;
  startedAtMs: number;
  durationSeconds: number;
  result: unknown;
  /** Start of the first run of the current success/failure streak. */
  sinceMs: number;
  /** Ring of the last HISTORY run durations and outcomes (the status page's sparkline). */
  latencies: Float32Array;
  oks: Uint8Array;
  /** Runs recorded so far (ring position = runs % HISTORY). */
  runs: number;
}

/** Runs kept per target for the sparkline: bounded, 160 bytes a target. */
export const HISTORY = 32;

/** One target's row on the status page: the last result plus its recent history. */
export interface TargetHistory {
  probe: string;
  kind: string;
  target: TargetInfo;
  success: boolean;
  reason: string;
  startedAtMs: number;
  durationSeconds: number;
  sinceMs: number;
  /** Oldest first, at most HISTORY entries. */
  recent: { seconds: number; ok: boolean }[];
}

export class ResultStore {
  readonly #last = new Map<string, Kept>();
  readonly #expected = new Set<string>();
  /** Looks up the last path trace of a key (set by the daemon). */
  traces: ((key: string) => unknown) | undefined;
  vantage: string | undefined;

  /** The (probe, target) keys currently scheduled; readiness waits for each. */
  expect(keys: Iterable<string>): void {
    this.#expected.clear();
    for (const key of keys) this.#expected.add(key);
    for (const key of this.#last.keys()) if (!this.#expected.has(key)) this.#last.delete(key);
  }

  put(
    key: string,
    probe: string,
    kind: string,
    target: TargetInfo,
    success: boolean,
    reason: string,
    startedAtMs: number,
    durationSeconds: number,
    result: unknown,
  ): void {
    if (!this.#expected.has(key)) return;
    const kept = this.#last.get(key);
    if (kept) {
      if (kept.success !== success) kept.sinceMs = startedAtMs;
      const slot = kept.runs++ % HISTORY;
      kept.latencies[slot] = durationSeconds;
      kept.oks[slot] = success ? 1 : 0;
      // Updated in place: one long-lived record per target instead of a new
      // one every run that lives exactly one interval (promoted garbage).
      kept.probe = probe;
      kept.kind = kind;
      kept.target = target;
      kept.success = success;
      kept.reason = reason;
      kept.startedAtMs = startedAtMs;
      kept.durationSeconds = durationSeconds;
      kept.result = result;
    } else {
      const latencies = new Float32Array(HISTORY);
      const oks = new Uint8Array(HISTORY);
      latencies[0] = durationSeconds;
      oks[0] = success ? 1 : 0;
      this.#last.set(key, { probe, kind, target, success, reason, startedAtMs, durationSeconds, result, sinceMs: startedAtMs, latencies, oks, runs: 1 });
    }
  }

  /** Ready once every scheduled (probe, target) has completed at least one run. */
  get ready(): boolean {
    for (const key of this.#expected) if (!this.#last.has(key)) return false;
    return true;
  }

  get missing(): number {
    let n = 0;
    for (const key of this.#expected) if (!this.#last.has(key)) n++;
    return n;
  }

  all(): StoredResult[] {
    return [...this.#last.entries()]
      .map(([key, k]) => {
        const out: StoredResult = {
          probe: k.probe,
          kind: k.kind,
          target: k.target,
          success: k.success,
          reason: k.reason,
          startedAt: new Date(k.startedAtMs).toISOString(),
          durationSeconds: k.durationSeconds,
          result: k.result,
        };
        if (this.vantage) out.vantage = this.vantage;
        const trace = this.traces?.(key);
        if (trace !== undefined) out.trace = trace;
        return out;
      })
      .sort((a, b) => a.probe.localeCompare(b.probe) || a.target.id.localeCompare(b.target.id));
  }

  /** Every target's last result with its streak start and recent runs, for the status page. */
  history(): TargetHistory[] {
    return [...this.#last.values()]
      .map((k) => {
        const n = Math.min(k.runs, HISTORY);
        const recent: { seconds: number; ok: boolean }[] = [];
        for (let i = k.runs - n; i < k.runs; i++) recent.push({ seconds: k.latencies[i % HISTORY]!, ok: k.oks[i % HISTORY] === 1 });
        return {
          probe: k.probe,
          kind: k.kind,
          target: k.target,
          success: k.success,
          reason: k.reason,
          startedAtMs: k.startedAtMs,
          durationSeconds: k.durationSeconds,
          sinceMs: k.sinceMs,
          recent,
        };
      })
      .sort((a, b) => a.probe.localeCompare(b.probe) || a.target.id.localeCompare(b.target.id));
  }
}
