// How long the event loop was stalled (not scheduled: CPU starvation, a long
// GC, a blocking call) while a probe run was in flight. A timeout timer that
// fires after such a stall fires in the same loop turn as the answer that
// arrived in time, before it is read: the "timeout" is the daemon's own,
// so the run is skipped and counted as such instead of reported.

/** Beat period; gaps beyond it are stalls. */
const BEAT_MS = 100;
/** Gaps shorter than this are timer jitter on a busy machine, not stalls. */
const NOISE_MS = 50;

export class StallMeter {
  #last = performance.now();
  #total = 0;
  readonly #timer: NodeJS.Timeout;

  constructor() {
    this.#timer = setInterval(() => {
      const now = performance.now();
      const gap = now - this.#last - BEAT_MS;
      if (gap > NOISE_MS) this.#total += gap;
      this.#last = now;
    }, BEAT_MS);
    this.#timer.unref();
  }

  /** Stalled milliseconds so far, the stall going on right now included. */
  read(): number {
    const gap = performance.now() - this.#last - BEAT_MS;
    return this.#total + (gap > NOISE_MS ? gap : 0);
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
