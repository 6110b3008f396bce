// Config schema of `kind: icmp` probes (echo at sizes and/or the path-MTU
// search), and nothing else; targets.ts expands a parsed config. The default
// values come from defaults.ts, which `netprobe mtu` reads without zod.
import { isIPv6 } from 'node:net';
import { z } from 'zod';
import { baseProbeShape, durationBetween, SPACING_MAX_MS, TIMEOUT_BOUNDS } from '../../config/common.ts';
import { MAX_PACKET, MIN_PACKET, MIN_PACKET6 } from '../../native/icmp.ts';
import { ICMP_BOUNDS, ICMP_DEFAULTS, ICMP_SOCKETS } from './defaults.ts';

const NODE_RE = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;
const HOST_RE = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$/;

/** An IP packet size: 20-byte IPv4 header + 8-byte ICMP header + payload. */
const packetSize = z
  .number()
  .int('must be a whole number of bytes')
  .min(MIN_PACKET, `must be at least ${MIN_PACKET} (IPv4 + ICMP headers)`)
  .max(MAX_PACKET, `must be at most ${MAX_PACKET}`);

const targetEntry = z
  .union([z.string(), z.strictObject({
      host: z.string().describe('IPv4 or IPv6 address, or a name (resolved to IPv4 at each run).'),
      node: z.string().optional().describe('Kubernetes node the target lives on (`target_node` label); default "".'),
    })])
  .transform((entry, ctx) => {
    const { host, node } = typeof entry === 'string' ? { host: entry.trim(), node: undefined } : { host: entry.host.trim(), node: entry.node };
    if (!HOST_RE.test(host) && !isIPv6(host)) {
      ctx.addIssue({ code: 'custom', message: `expected an IPv4 or IPv6 address or a host name, got "${host}"` });
      return z.NEVER;
    }
    if (node !== undefined && !NODE_RE.test(node)) {
      ctx.addIssue({ code: 'custom', message: `must be a Kubernetes node name (lowercase a-z, 0-9, "-", "."), got "${node}"` });
      return z.NEVER;
    }
    return { host, node: node ?? '' };
  });

const searchSchema = z
  .strictObject({
    min: packetSize.default(ICMP_DEFAULTS.search.min).describe(`Smallest IP packet size the search considers, bytes (headers included), ${MIN_PACKET} to ${MAX_PACKET} (IPv6 targets: from ${MIN_PACKET6}).`),
    max: packetSize.default(ICMP_DEFAULTS.search.max).describe(`Largest IP packet size the search considers, bytes, up to ${MAX_PACKET}; the ceiling reported is at most this.`),
    parallel: z
      .number()
      .int()
      .min(ICMP_BOUNDS.parallel.min)
      .max(ICMP_BOUNDS.parallel.max)
      .default(ICMP_DEFAULTS.search.parallel)
      .describe(`Candidate sizes in flight at once while the search narrows, ${ICMP_BOUNDS.parallel.min} to ${ICMP_BOUNDS.parallel.max}.`),
    attempts: z
      .number()
      .int()
      .min(ICMP_BOUNDS.attempts.min)
      .max(ICMP_BOUNDS.attempts.max)
      .default(ICMP_DEFAULTS.search.attempts)
      .describe(`Requests per candidate size, sent together, ${ICMP_BOUNDS.attempts.min} to ${ICMP_BOUNDS.attempts.max}; a size passes when any is answered (tolerates loss).`),
  })
  .describe('Binary-search the exact path-MTU ceiling between `min` and `max` (`search: {}` for the defaults); gauges netprobe_path_mtu_*.');

export const icmpProbeSchema = z
  .strictObject({
    ...baseProbeShape,
    kind: z.literal('icmp').describe('ICMP echo with Don\'t Fragment set: RTT and loss per size, and/or the path-MTU search.'),
    targets: z
      .array(targetEntry)
      .min(1, 'at least one target is required')
      .describe('IPv4 or IPv6 addresses or names (resolved to IPv4 at each run), or { host, node } objects; `node` fills the target_node label.'),
    sizes: z
      .array(packetSize)
      .default([...ICMP_DEFAULTS.sizes])
      .describe(`IP packet sizes (bytes, headers included, ${MIN_PACKET} to ${MAX_PACKET}) echoed \`count\` times each with DF set; [] for the search alone.`),
    search: searchSchema.optional(),
    expectedMtu: packetSize
      .optional()
      .describe('The path MTU this path should carry, bytes (gauge netprobe_path_mtu_expected_bytes; a ceiling below it is a finding). Default: not set.'),
    count: z
      .number()
      .int()
      .min(ICMP_BOUNDS.count.min)
      .max(ICMP_BOUNDS.count.max)
      .default(ICMP_DEFAULTS.count)
      .describe(`Echo requests per size in a run, ${ICMP_BOUNDS.count.min} to ${ICMP_BOUNDS.count.max}.`),
    interval: durationBetween(0, SPACING_MAX_MS)
      .prefault(`${ICMP_DEFAULTS.intervalMs}ms`)
      .describe('Time between the requests of one size, 0s to 60s.'),
    timeout: durationBetween(TIMEOUT_BOUNDS.min, TIMEOUT_BOUNDS.max)
      .prefault(`${ICMP_DEFAULTS.timeoutMs}ms`)
      .describe('Per-request timeout, 10ms to 60s; silence past it is loss, or a black hole above the ceiling.'),
    socket: z
      .enum(ICMP_SOCKETS)
      .default(ICMP_DEFAULTS.socket)
      .describe('auto: ICMP datagram socket when net.ipv4.ping_group_range allows, else raw (needs CAP_NET_RAW); raw or dgram force one.'),
    targetKind: z
      .string()
      .regex(/^[a-z_]{1,32}$/, 'must be 1-32 characters of a-z or "_"')
      .default(ICMP_DEFAULTS.targetKind)
      .describe('`target_kind` label of these targets (static, peer, loopback...), 1-32 characters of a-z or "_".'),
  })
  .superRefine((probe, ctx) => {
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
  });

export type IcmpProbeConfig = z.output<typeof icmpProbeSchema>;
