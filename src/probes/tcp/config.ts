// Config schema of `kind: tcp` probes and its expansion into targets and
// options. Defaults live in the schema (count 3, interval 1s, timeout 2s).
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { baseProbeShape, durationBetween, parseHostPort, SPACING_MAX_MS, TIMEOUT_BOUNDS } from '../../config/common.ts';
import type { TcpOptions, TcpTarget } from './types.ts';

/** Where Kubernetes mounts the CA that signs the API server's certificate. */
export const SERVICE_ACCOUNT_CA = '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt';

const ADDRESS_MESSAGE = (text: string) => `expected HOST:PORT with a port from 1 to 65535, got "${text}"`;
const NODE_RE = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;

// The union only tells the two shapes apart; the address is checked after it
// so a bad "HOST:PORT" gets its own message rather than zod's "Invalid input".
const targetEntry = z
  .union([
    z.string(),
    z.strictObject({
      address: z.string(),
      /** Node the target lives on (`target_node` label), when known. */
      node: z.string().optional(),
    }),
  ])
  .transform((entry, ctx) => {
    const { address, node } = typeof entry === 'string' ? { address: entry, node: undefined } : entry;
    const parsed = parseHostPort(address.trim(), 0);
    if (!parsed) {
      ctx.addIssue({ code: 'custom', message: ADDRESS_MESSAGE(address) });
      return z.NEVER;
    }
    if (node !== undefined && !NODE_RE.test(node)) {
      ctx.addIssue({ code: 'custom', message: `must be a Kubernetes node name (lowercase a-z, 0-9, "-", "."), got "${node}"` });
      return z.NEVER;
    }
    return { ...parsed, node: node ?? '' };
  });

export const tcpProbeSchema = z
  .strictObject({
    ...baseProbeShape,
    kind: z.literal('tcp'),
    targets: z
      .array(targetEntry)
      .min(1, 'at least one target is required')
      .describe('"HOST:PORT" (or "[IPv6]:PORT") strings, or { address: "HOST:PORT", node } objects; `node` fills the target_node label.'),
    count: z.number().int().min(1).max(1000).default(3).describe('Connects per run (paping -c); the run succeeds when all connect.'),
    interval: durationBetween(0, SPACING_MAX_MS)
      .prefault('1s')
      .describe('Time between the starts of consecutive connects in a run, 0s to 60s; "0s" = back-to-back.'),
    timeout: durationBetween(TIMEOUT_BOUNDS.min, TIMEOUT_BOUNDS.max)
      .prefault('2s')
      .describe('Give up on one connect after this long, 10ms to 60s (counted as result="timeout").'),
    tls: z
      .strictObject({
        ca: z.string().min(1).default(SERVICE_ACCOUNT_CA).describe('CA bundle (PEM) the server certificate must chain to; default the service account CA.'),
        serverName: z
          .string()
          .regex(/^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$/, 'must be a DNS name')
          .optional()
          .describe('Name the certificate must be valid for (and SNI); default the target host, checked against the IP SANs.'),
      })
      .optional()
      .describe('After each connect, a TLS handshake verified against `ca` (connected = TCP + verified handshake); results tls_untrusted, tls_error.'),
    targetKind: z
      .string()
      .regex(/^[a-z_]{1,32}$/, 'must be 1-32 characters of a-z or "_"')
      .default('static')
      .describe('`target_kind` label of these targets (static, service_vip, endpoint, peer, loopback...).'),
  })
  .superRefine((probe, ctx) => {
    const seen = new Set<string>();
    probe.targets.forEach((t, i) => {
      const label = targetLabel(t.host, t.port);
      if (seen.has(label)) ctx.addIssue({ code: 'custom', path: ['targets', i], message: `duplicate target "${label}"` });
      seen.add(label);
    });
  });

export type TcpProbeConfig = z.output<typeof tcpProbeSchema>;

/** The `target` label: host:port, IPv6 hosts in brackets. */
export function targetLabel(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export function tcpTarget(host: string, port: number, kind = 'static', node = ''): TcpTarget {
  const label = targetLabel(host, port);
  return { id: `tcp://${label}`, label, kind, node, host, port };
}

export function tcpTargets(config: TcpProbeConfig): TcpTarget[] {
  return config.targets.map((t) => tcpTarget(t.host, t.port, config.targetKind, t.node));
}

/**
 * The CA is read here, when the config is (re)loaded: an unreadable CA is a
 * setup error naming the probe and key, never a failed handshake counted
 * against the network. `readFile` comes from the daemon (tests inject one).
 */
export function tcpOptions(config: TcpProbeConfig, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): TcpOptions {
  const options: TcpOptions = { count: config.count, intervalMs: config.interval, timeoutMs: config.timeout };
  if (config.tls) {
    let ca: string;
    try {
      ca = readFile(config.tls.ca);
    } catch (error) {
      throw new Error(`probe "${config.name}": tls.ca: cannot read ${config.tls.ca}: ${(error as Error).message}`);
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`probe "${config.name}": tls.ca: ${config.tls.ca} holds no PEM certificate`);
    options.tls = { caFile: config.tls.ca, ca, serverName: config.tls.serverName ?? null };
  }
  return options;
}

/** Worst case of one run: every connect waits its full timeout, plus slack. */
export function tcpDeadlineMs(options: TcpOptions): number {
  return (options.count - 1) * options.intervalMs + options.count * options.timeoutMs + 1000;
}
