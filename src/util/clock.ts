// Time as the daemon, the scheduler and the probes read it: passed in, never
// global, so tests drive a fake one.

export interface Clock {
  /** Monotonic milliseconds, for durations. */
  now(): number;
  /** Wall-clock milliseconds since the epoch, for timestamps. */
  wallNow(): number;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
};
