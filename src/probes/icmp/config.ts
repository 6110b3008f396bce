// Config schema of `kind: icmp` probes (echo at sizes and/or the path-MTU
// search) and its expansion into targets and options. Defaults live here.
import { isIPv6 } from 'node:net';
import { z } from 'zod';
import { baseProbeShape, durationBetween, SPACING_MAX_MS, TIMEOUT_BOUNDS } from '../../config/common.ts';
import { MAX_PACKET, MIN_PACKET, MIN_PACKET6 } from '../../native/icmp.ts';
import { icmpTarget } from './target.ts';
import type { IcmpOptions, IcmpTarget } from './types.ts';

const NODE_RE = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;
const HOST_RE = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$/;

/** An IP packet size: 20-byte IPv4 header + 8-byte ICMP header + payload. */
const packetSize = z
  .number()
  .int('must be a whole number of bytes')
  .min(MIN_PACKET, `must be at least ${MIN_PACKET} (IPv4 + ICMP headers)`)
  .max(MAX_PACKET, `must be at most ${MAX_PACKET}`);

const targetEntry = z
  .union([z.string(), z.strictObject({ host: z.string(), node: z.string().optional() })])
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

const searchSchema = z.strictObject({
  min: packetSize.default(68),
  max: packetSize.default(1500),
  /** Candidate sizes in flight at once. */
  parallel: z.number().int().min(1).max(64).default(8),
  /** Requests per candidate size, sent together (a size passes if any is answered). */
  attempts: z.number().int().min(1).max(5).default(2),
});

export const icmpProbeSchema = z
  .strictObject({
    ...baseProbeShape,
    kind: z.literal('icmp'),
    /** IPv4 or IPv6 addresses or names (resolved to IPv4), or { host, node } objects. */
    targets: z.array(targetEntry).min(1, 'at least one target is required'),
    /** IP packet sizes echoed `count` times each with DF set; [] for the search alone. */
    sizes: z.array(packetSize).default([84]),
    /** Search the exact ceiling between min and max (default 68..1500). */
    search: searchSchema.optional(),
    /** The path MTU this path should carry (gauge netprobe_path_mtu_expected_bytes). */
    expectedMtu: packetSize.optional(),
    count: z.number().int().min(1).max(100).default(3),
    /** Time between the requests of one size, 0s to 60s. */
    interval: durationBetween(0, SPACING_MAX_MS).default(200),
    /** Per-request timeout, 10ms to 60s; silence past it is loss, or a black hole above the ceiling. */
    timeout: durationBetween(TIMEOUT_BOUNDS.min, TIMEOUT_BOUNDS.max).default(1000),
    /** auto: ICMP datagram socket when net.ipv4.ping_group_range allows, else raw (CAP_NET_RAW). */
    socket: z.enum(['auto', 'raw', 'dgram']).default('auto'),
    /** `target_kind` label of these targets (static, peer, loopback...). */
    targetKind: z.string().regex(/^[a-z_]{1,32}$/, 'must be 1-32 characters of a-z or "_"').default('static'),
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

export { icmpTarget };

export function icmpTargets(config: IcmpProbeConfig): IcmpTarget[] {
  return config.targets.map((t) => icmpTarget(t.host, config.targetKind, t.node));
}

export function icmpOptions(config: IcmpProbeConfig): IcmpOptions {
  return {
    sizes: [...new Set(config.sizes)].sort((a, b) => a - b),
    count: config.count,
    intervalMs: config.interval,
    timeoutMs: config.timeout,
    search: config.search ?? null,
    expectedMtu: config.expectedMtu ?? null,
    socket: config.socket,
  };
}

/**
 * Upper bound of one run: the walk's spacing plus one timeout, or a search in
 * which a few rounds of silence each cost a timeout (loss on a black-hole
 * path), plus slack. Past it the run is aborted and reported as such.
 */
export function icmpDeadlineMs(options: IcmpOptions): number {
  const walk = options.sizes.length > 0 ? (options.count - 1) * options.intervalMs + options.timeoutMs : 0;
  const search = options.search ? 4 * options.timeoutMs : 0;
  return Math.max(walk, search) + 1000;
}
