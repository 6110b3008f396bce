// Defaults and bounds of `kind: icmp` probes, apart from the schema so that
// `netprobe mtu` applies the same ones without loading zod (a third of its
// start-up, bench/footprint). config.ts builds the schema from these values.

export const ICMP_SOCKETS = ['auto', 'raw', 'dgram'] as const;

export const ICMP_DEFAULTS = {
  /** IP packet sizes echoed (bytes). */
  sizes: [84],
  count: 3,
  intervalMs: 200,
  timeoutMs: 1000,
  socket: 'auto',
  targetKind: 'static',
  search: { min: 68, max: 1500, parallel: 8, attempts: 2 },
} as const;

/** Inclusive bounds of the whole-number keys. */
export const ICMP_BOUNDS = {
  count: { min: 1, max: 100 },
  parallel: { min: 1, max: 64 },
  attempts: { min: 1, max: 5 },
} as const;
