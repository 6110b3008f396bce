// Duration bounds shared by the probe kinds, apart from the zod pieces in
// common.ts so that `netprobe mtu` checks its flags against the same bounds
// without loading zod.

/**
 * Node timers overflow above 2^31 - 1 ms (~24.8 days): setTimeout then fires
 * after 1 ms, so an unbounded duration turns into a busy loop or an instant
 * timeout. Every configured duration is bounded well below it.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Bounds shared by the probe kinds: a run is scheduled at most every 24 h, one attempt waits at most 60 s. */
export const EVERY_BOUNDS = { min: 1000, max: 86_400_000 } as const;
export const TIMEOUT_BOUNDS = { min: 10, max: 60_000 } as const;
export const DEADLINE_BOUNDS = { min: 10, max: 3_600_000 } as const;
/** Spacing inside one run (between connects, between echo requests). */
export const SPACING_MAX_MS = 60_000;
