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
      this.#last.set(key, { probe, kind, target, success, reason, startedAtMs, durationSeconds, result });
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
}
