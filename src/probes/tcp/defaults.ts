// Defaults and bounds of `kind: tcp` probes, shared by the schema
// (config.ts) and `netprobe tcp`'s help text, so both say the same.

export const TCP_DEFAULTS = {
  /** Connects per run (paping -c). */
  count: 3,
  interval: '1s',
  timeout: '2s',
  targetKind: 'static',
} as const;

/** Inclusive bounds of the whole-number keys. */
export const TCP_BOUNDS = {
  count: { min: 1, max: 1000 },
} as const;
