// Fake time for tests at a probe's network seam: vitest's fake setTimeout and
// Date, a probe clock that reads them, and a driver that runs a promise to its
// end by jumping from timer to timer. Nothing else is faked: nextTick,
// promises and setImmediate stay real, so socket-like fakes behave as Node's.
import { vi } from 'vitest';
import type { Clock } from '../../src/probes/types.ts';

/** Starts fake time at 0; undo with vi.useRealTimers() (afterEach). */
export function useFakeTime(): Clock {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: 0 });
  return { now: () => Date.now(), wallNow: () => Date.now() };
}

/**
 * Settles `work` on fake time: lets pending ticks and promises run, then
 * jumps to the next timer, until `work` settles (at most `maxSteps` jumps).
 */
export async function onFakeTime<T>(work: Promise<T>, maxSteps = 10_000): Promise<T> {
  let settled = false;
  work.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let i = 0; i < maxSteps && !settled; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    if (!settled) await vi.advanceTimersToNextTimerAsync();
  }
  if (!settled) throw new Error(`onFakeTime: still pending after ${maxSteps} timer jumps`);
  return work;
}
