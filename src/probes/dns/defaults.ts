// Defaults and bounds of `kind: dns` probes, shared by the schema
// (config.ts), the option builder (targets.ts: config over resolv.conf over
// these) and `netprobe dns`'s help text, so all three say the same.

export const DNS_QTYPES = ['A', 'AAAA', 'SRV', 'TXT', 'MX', 'NS', 'SOA', 'CNAME', 'PTR'] as const;

export const DNS_DEFAULTS = {
  servers: ['resolv.conf'],
  resolvConf: '/etc/resolv.conf',
  qtypes: ['A', 'AAAA'],
  /** Applied when neither the config nor resolv.conf sets them. */
  transport: 'udp',
  mode: 'parallel',
  timeoutMs: 5000,
  attempts: 2,
  tcpFallback: true,
  search: false,
  /** ndots without a search list (resolv.conf's default). */
  ndots: 1,
  targetKind: 'static',
} as const;

/** Inclusive bounds of the whole-number keys. */
export const DNS_BOUNDS = {
  attempts: { min: 1, max: 10 },
} as const;
