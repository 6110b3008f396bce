// Config schema of `kind: icmp` probes (echo at sizes and/or the path-MTU
// search), and nothing else; targets.ts expands a parsed config. The default
// values come from defaults.ts, which `netprobe mtu` reads without zod.
import { isIPv6 } from 'node:net';
import * as z from 'zod/mini';
import { baseProbeShape, describe, durationBetween, fail, SPACING_MAX_MS, TIMEOUT_BOUNDS } from '../../config/common.ts';
import { MAX_PACKET, MIN_PACKET, MIN_PACKET6 } from '../../native/icmp.ts';
import { ICMP_BOUNDS, ICMP_DEFAULTS, ICMP_SOCKETS } from './defaults.ts';

const NODE_RE = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;
const HOST_RE = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$/;

/** An IP packet size: 20-byte IPv4 header + 8-byte ICMP header + payload. */
const packetSize = z.number().check(
  z.int('must be a whole number of bytes'),
  z.minimum(MIN_PACKET, `must be at least ${MIN_PACKET} (IPv4 + ICMP headers)`),
  z.maximum(MAX_PACKET, `must be at most ${MAX_PACKET}`),
);

const targetEntry = z.pipe(
  z.union([
    z.string(),
    z.strictObject({
      host: describe(z.string(), 'IPv4 or IPv6 address, or a name (resolved to IPv4 at each run).'),
      node: describe(z.optional(z.string()), 'Kubernetes node the target lives on (`target_node` label); default "".'),
    }),
  ]),
  z.transform((entry: string | { host: string; node?: string | undefined }, ctx) => {
    const { host, node } = typeof entry === 'string' ? { host: entry.trim(), node: undefined } : { host: entry.host.trim(), node: entry.node };
    if (!HOST_RE.test(host) && !isIPv6(host)) return fail(ctx, `expected an IPv4 or IPv6 address or a host name, got "${host}"`);
    if (node !== undefined && !NODE_RE.test(node)) {
      return fail(ctx, `must be a Kubernetes node name (lowercase a-z, 0-9, "-", "."), got "${node}"`);
    }
    return { host, node: node ?? '' };
  }),
);

const searchSchema = describe(
  z.strictObject({
    min: describe(
      z._default(packetSize, ICMP_DEFAULTS.search.min),
      `Smallest IP packet size the search considers, bytes (headers included), ${MIN_PACKET} to ${MAX_PACKET} (IPv6 targets: from ${MIN_PACKET6}).`,
    ),
    max: describe(
      z._default(packetSize, ICMP_DEFAULTS.search.max),
      `Largest IP packet size the search considers, bytes, up to ${MAX_PACKET}; the ceiling reported is at most this.`,
    ),
    parallel: describe(
      z._default(
        z.number().check(z.int(), z.minimum(ICMP_BOUNDS.parallel.min), z.maximum(ICMP_BOUNDS.parallel.max)),
        ICMP_DEFAULTS.search.parallel,
      ),
      `Candidate sizes in flight at once while the search narrows, ${ICMP_BOUNDS.parallel.min} to ${ICMP_BOUNDS.parallel.max}.`,
    ),
    attempts: describe(
      z._default(
        z.number().check(z.int(), z.minimum(ICMP_BOUNDS.attempts.min), z.maximum(ICMP_BOUNDS.attempts.max)),
        ICMP_DEFAULTS.search.attempts,
      ),
      `Requests per candidate size, sent together, ${ICMP_BOUNDS.attempts.min} to ${ICMP_BOUNDS.attempts.max}; a size passes when any is answered (tolerates loss).`,
    ),
  }),
  'Binary-search the exact path-MTU ceiling between `min` and `max` (`search: {}` for the defaults); gauges netprobe_path_mtu_*.',
);

export const icmpProbeSchema = z
  .strictObject({
    ...baseProbeShape,
    kind: describe(z.literal('icmp'), 'ICMP echo with Don\'t Fragment set: RTT and loss per size, and/or the path-MTU search.'),
    targets: describe(
      z.array(targetEntry).check(z.minLength(1, 'at least one target is required')),
      'IPv4 or IPv6 addresses or names (resolved to IPv4 at each run), or { host, node } objects; `node` fills the target_node label.',
    ),
    sizes: describe(
      z._default(z.array(packetSize), [...ICMP_DEFAULTS.sizes]),
      `IP packet sizes (bytes, headers included, ${MIN_PACKET} to ${MAX_PACKET}) echoed \`count\` times each with DF set; [] for the search alone.`,
    ),
    search: z.optional(searchSchema),
    expectedMtu: describe(
      z.optional(packetSize),
      'The path MTU this path should carry, bytes (gauge netprobe_path_mtu_expected_bytes; a ceiling below it is a finding). Default: not set.',
    ),
    count: describe(
      z._default(z.number().check(z.int(), z.minimum(ICMP_BOUNDS.count.min), z.maximum(ICMP_BOUNDS.count.max)), ICMP_DEFAULTS.count),
      `Echo requests per size in a run, ${ICMP_BOUNDS.count.min} to ${ICMP_BOUNDS.count.max}.`,
    ),
    interval: describe(
      z.prefault(durationBetween(0, SPACING_MAX_MS), `${ICMP_DEFAULTS.intervalMs}ms`),
      'Time between the requests of one size, 0s to 60s.',
    ),
    timeout: describe(
      z.prefault(durationBetween(TIMEOUT_BOUNDS.min, TIMEOUT_BOUNDS.max), `${ICMP_DEFAULTS.timeoutMs}ms`),
      'Per-request timeout, 10ms to 60s; silence past it is loss, or a black hole above the ceiling.',
    ),
    socket: describe(
      z._default(z.enum(ICMP_SOCKETS), ICMP_DEFAULTS.socket),
      'auto: ICMP datagram socket when net.ipv4.ping_group_range allows, else raw (needs CAP_NET_RAW); raw or dgram force one.',
    ),
    targetKind: describe(
      z._default(z.string().check(z.regex(/^[a-z_]{1,32}$/, 'must be 1-32 characters of a-z or "_"')), ICMP_DEFAULTS.targetKind),
      '`target_kind` label of these targets (static, peer, loopback...), 1-32 characters of a-z or "_".',
    ),
  })
  .check(
    z.superRefine((probe, ctx) => {
      if (probe.sizes.length === 0 && !probe.search) {
        ctx.addIssue({ code: 'custom', path: ['sizes'], message: 'nothing to probe: give at least one size, or a search' });
      }
      if (probe.search && probe.search.min > probe.search.max) {
        ctx.addIssue({ code: 'custom', path: ['search', 'min'], message: `search.min (${probe.search.min}) is above search.max (${probe.search.max})` });
      }
      // An IPv6 packet has a 40-byte header: sizes below 48 cannot be sent to IPv6 targets.
      if (probe.targets.some((t) => isIPv6(t.host))) {
        probe.sizes.forEach((size, i) => {
          if (size < MIN_PACKET6) ctx.addIssue({ code: 'custom', path: ['sizes', i], message: `must be at least ${MIN_PACKET6} for IPv6 targets (IPv6 + ICMPv6 headers), got ${size}` });
        });
        if (probe.search && probe.search.min < MIN_PACKET6) {
          ctx.addIssue({ code: 'custom', path: ['search', 'min'], message: `must be at least ${MIN_PACKET6} for IPv6 targets, got ${probe.search.min}` });
        }
      }
      const seen = new Set<string>();
      probe.targets.forEach((t, i) => {
        if (seen.has(t.host)) ctx.addIssue({ code: 'custom', path: ['targets', i], message: `duplicate target "${t.host}"` });
        seen.add(t.host);
      });
    }),
  );

export type IcmpProbeConfig = z.output<typeof icmpProbeSchema>;
