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
}

export class ResultStore {
  readonly #last = new Map<string, StoredResult>();
  readonly #expected = new Set<string>();

  /** The (probe, target) keys currently scheduled; readiness waits for each. */
  expect(keys: Iterable<string>): void {
    this.#expected.clear();
    for (const key of keys) this.#expected.add(key);
    for (const key of this.#last.keys()) if (!this.#expected.has(key)) this.#last.delete(key);
  }

  put(key: string, result: StoredResult): void {
    if (this.#expected.has(key)) this.#last.set(key, result);
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
    return [...this.#last.values()].sort((a, b) => a.probe.localeCompare(b.probe) || a.target.id.localeCompare(b.target.id));
  }
}
