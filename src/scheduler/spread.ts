import { hash32 } from '../util/hash.ts';

/**
 * A stable offset in [0, window) for one (source node, target) pair, so a
 * thousand probe pods started together do not all hit CoreDNS in the same
 * second, and each pair keeps its slot across restarts.
 */
export function phaseOffset(sourceNode: string, targetKey: string, windowMs: number): number {
  if (windowMs <= 0) return 0;
  return hash32(`${sourceNode}\0${targetKey}`) % Math.floor(windowMs);
}

/** The first instant >= now that is `offset` past a multiple of `every` (wall-clock grid). */
export function nextSlot(nowMs: number, everyMs: number, offsetMs: number): number {
  const base = Math.floor((nowMs - offsetMs) / everyMs) * everyMs + offsetMs;
  return base >= nowMs ? base : base + everyMs;
}

/**
 * New targets' first runs start at most this many a second (on average);
 * the start-up window grows with their number.
 */
export const STARTUP_RUNS_PER_SECOND = 500;

/**
 * The window over which `count` new targets spread their first runs: long
 * enough to keep to STARTUP_RUNS_PER_SECOND, never longer than the interval
 * (by then steady state spreads them anyway). 5 targets: 10 ms; 1,000: 2 s;
 * 10^5 at 30 s: 30 s.
 */
export function startupWindow(count: number, everyMs: number): number {
  return Math.min(everyMs, (count / STARTUP_RUNS_PER_SECOND) * 1000);
}
