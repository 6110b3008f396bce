// Every timed run of the scheduler waits here: one min-heap by due time and
// one Node timer armed for the earliest. When it fires, everything due within
// COALESCE_MS runs from that single wake-up. With one setTimeout per run, 200
// targets on hashed phases woke the process ~200 times a second (each timer a
// Timeout object in a per-delay list); here they share wake-ups, and a run
// costs one heap push instead of a timer.
import type { Clock } from '../util/clock.ts';

/**
 * Runs due this close together share one wake-up. A run may so start up to
 * this much before its slot (never after it for this reason); small next to
 * any interval the schema allows, large next to a dispatch (~0.05 ms).
 */
export const COALESCE_MS = 5;

interface Item<T> {
  due: number;
  seq: number;
  value: T;
}

export class WakeQueue<T> {
  readonly #clock: Clock;
  readonly #fire: (value: T, due: number) => void;
  readonly #heap: Item<T>[] = [];
  #seq = 0;
  #timer: NodeJS.Timeout | undefined;
  #timerDue = Number.POSITIVE_INFINITY;
  #stopped = false;
  #firing = false;
  /** Timer wake-ups so far (for tests and benches: how well runs coalesce). */
  wakeups = 0;

  /** `fire` is called once per item, in due order; it must not throw. */
  constructor(clock: Clock, fire: (value: T, due: number) => void) {
    this.#clock = clock;
    this.#fire = fire;
  }

  get size(): number {
    return this.#heap.length;
  }

  /** Queues `value` for wall-clock time `due`. Cancelling is the caller's: it ignores stale values when fired. */
  push(due: number, value: T): void {
    if (this.#stopped) return;
    const heap = this.#heap;
    const item: Item<T> = { due, seq: this.#seq++, value };
    let i = heap.push(item) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(item, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = item;
    if (due < this.#timerDue && !this.#firing) this.#arm();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#heap.length = 0;
  }

  #pop(): Item<T> {
    const heap = this.#heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= heap.length) break;
        const r = l + 1;
        const child = r < heap.length && before(heap[r]!, heap[l]!) ? r : l;
        if (!before(heap[child]!, last)) break;
        heap[i] = heap[child]!;
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }

  #arm(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerDue = Number.POSITIVE_INFINITY;
    if (this.#stopped || this.#heap.length === 0) return;
    const due = this.#heap[0]!.due;
    this.#timerDue = due;
    this.#timer = setTimeout(this.#wake, Math.max(0, due - this.#clock.wallNow()));
    this.#timer.unref?.();
  }

  readonly #wake = (): void => {
    this.#timer = undefined;
    this.#timerDue = Number.POSITIVE_INFINITY;
    this.wakeups++;
    const horizon = this.#clock.wallNow() + COALESCE_MS;
    this.#firing = true;
    try {
      // Items pushed while firing (the next slot of a run just fired) are at
      // least one interval away, so this loop ends; the bound is for safety.
      for (let n = this.#heap.length; n > 0 && this.#heap.length > 0 && this.#heap[0]!.due <= horizon; n--) {
        const item = this.#pop();
        this.#fire(item.value, item.due);
      }
    } finally {
      this.#firing = false;
    }
    this.#arm();
  };
}

function before(a: Item<unknown>, b: Item<unknown>): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}
