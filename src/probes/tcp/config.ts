// Config schema of `kind: tcp` probes, and nothing else (config loading
// loads it; socket code stays out). Defaults live in the schema (count 3,
// interval 1s, timeout 2s); targets.ts expands a parsed config.
import * as z from 'zod/mini';
import { baseProbeShape, describe, durationBetween, fail, parseHostPort, SPACING_MAX_MS, TIMEOUT_BOUNDS } from '../../config/common.ts';
import { TCP_BOUNDS, TCP_DEFAULTS } from './defaults.ts';
import { targetLabel } from './targets.ts';

/** Where Kubernetes mounts the CA that signs the API server's certificate. */
export const SERVICE_ACCOUNT_CA = '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt';

const ADDRESS_MESSAGE = (text: string) => `expected HOST:PORT with a port from 1 to 65535, got "${text}"`;
const NODE_RE = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;

// The union only tells the two shapes apart; the address is checked after it
// so a bad "HOST:PORT" gets its own message rather than zod's "Invalid input".
const targetEntry = z.pipe(
  z.union([
    z.string(),
    z.strictObject({
      address: describe(z.string(), '"HOST:PORT" (or "[IPv6]:PORT"), port 1 to 65535.'),
      node: describe(z.optional(z.string()), 'Kubernetes node the target lives on (`target_node` label); default "".'),
    }),
  ]),
  z.transform((entry: string | { address: string; node?: string | undefined }, ctx) => {
    const { address, node } = typeof entry === 'string' ? { address: entry, node: undefined } : entry;
    const parsed = parseHostPort(address.trim(), 0);
    if (!parsed) return fail(ctx, ADDRESS_MESSAGE(address));
    if (node !== undefined && !NODE_RE.test(node)) {
      return fail(ctx, `must be a Kubernetes node name (lowercase a-z, 0-9, "-", "."), got "${node}"`);
    }
    return { ...parsed, node: node ?? '' };
  }),
);

export const tcpProbeSchema = z
  .strictObject({
    ...baseProbeShape,
    kind: describe(
      z.literal('tcp'),
      'paping-style TCP connect checks: `count` connects per run to each target, each timed; optional TLS handshake.',
    ),
    targets: describe(
      z.array(targetEntry).check(z.minLength(1, 'at least one target is required')),
      '"HOST:PORT" (or "[IPv6]:PORT") strings, or { address: "HOST:PORT", node } objects; `node` fills the target_node label.',
    ),
    count: describe(
      z._default(z.number().check(z.int(), z.minimum(TCP_BOUNDS.count.min), z.maximum(TCP_BOUNDS.count.max)), TCP_DEFAULTS.count),
      `Connects per run (paping -c), ${TCP_BOUNDS.count.min} to ${TCP_BOUNDS.count.max}; the run succeeds when all connect.`,
    ),
    interval: describe(
      z.prefault(durationBetween(0, SPACING_MAX_MS), TCP_DEFAULTS.interval),
      'Time between the starts of consecutive connects in a run, 0s to 60s; "0s" = back-to-back.',
    ),
    timeout: describe(
      z.prefault(durationBetween(TIMEOUT_BOUNDS.min, TIMEOUT_BOUNDS.max), TCP_DEFAULTS.timeout),
      'Give up on one connect after this long, 10ms to 60s (counted as result="timeout").',
    ),
    tls: describe(
      z.optional(
        z.strictObject({
          ca: describe(
            z._default(z.string().check(z.minLength(1)), SERVICE_ACCOUNT_CA),
            'Path of the CA bundle (PEM) the server certificate must chain to, read at each (re)load; default the service account CA.',
          ),
          serverName: describe(
            z.optional(z.string().check(z.regex(/^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$/, 'must be a DNS name'))),
            'Name the certificate must be valid for (and SNI); default the target host, checked against the IP SANs.',
          ),
        }),
      ),
      'After each connect, a TLS handshake verified against `ca` (connected = TCP + verified handshake); results tls_untrusted, tls_error.',
    ),
    targetKind: describe(
      z._default(z.string().check(z.regex(/^[a-z_]{1,32}$/, 'must be 1-32 characters of a-z or "_"')), TCP_DEFAULTS.targetKind),
      '`target_kind` label of these targets (static, service_vip, endpoint, peer, loopback...).',
    ),
  })
  .check(
    z.superRefine((probe, ctx) => {
      const seen = new Set<string>();
      probe.targets.forEach((t, i) => {
        const label = targetLabel(t.host, t.port);
        if (seen.has(label)) ctx.addIssue({ code: 'custom', path: ['targets', i], message: `duplicate target "${label}"` });
        seen.add(label);
      });
    }),
  );

export type TcpProbeConfig = z.output<typeof tcpProbeSchema>;
