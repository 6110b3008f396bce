// Config schema of `kind: dns` probes, and nothing else; targets.ts expands
// a parsed config into targets and resolver options (config over resolv.conf
// over the defaults in defaults.ts).
import { isIP } from 'node:net';
import * as z from 'zod/mini';
import { baseProbeShape, describe, durationBetween, parseHostPort, TIMEOUT_BOUNDS } from '../../config/common.ts';
import { DNS_BOUNDS, DNS_DEFAULTS, DNS_QTYPES } from './defaults.ts';
import { DNS_MODES, DNS_TRANSPORTS, NAME_CLASSES } from './types.ts';

const nameEntry = z.union([
  z.pipe(
    z.string().check(z.minLength(1)),
    z.transform((name: string) => ({ name, class: classify(name) })),
  ),
  z.pipe(
    z.strictObject({
      name: describe(z.string().check(z.minLength(1)), 'The name to look up.'),
      class: describe(
        z.optional(z.enum(NAME_CLASSES)),
        '`name_class` label; default from the name: cluster (under cluster.local or .svc), external (dotted), other.',
      ),
    }),
    z.transform((n: { name: string; class?: (typeof NAME_CLASSES)[number] | undefined }) => ({
      name: n.name,
      class: n.class ?? classify(n.name),
    })),
  ),
]);

/** Names under cluster.local (or .svc / .cluster.local forms) are "cluster"; dotted names are external. */
export function classify(name: string): 'cluster' | 'external' | 'other' {
  const n = name.toLowerCase().replace(/\.$/, '');
  if (n.endsWith('.cluster.local') || n.endsWith('.svc') || n === 'kubernetes.default') return 'cluster';
  if (n.includes('.')) return 'external';
  return 'other';
}

// A host name as a server would be looked up through the very resolver under
// test (and through the machine's resolver on every reload): refused here.
const serverEntry = z.string().check(
  z.superRefine((text, ctx) => {
    if (text === 'resolv.conf' || text === 'embedded') return;
    const parsed = parseHostPort(text, 53);
    if (parsed && isIP(parsed.host) !== 0) return;
    ctx.addIssue({ code: 'custom', message: `expected IP[:PORT], "resolv.conf" or "embedded", got "${text}" (host names are not resolved)` });
  }),
);

export const dnsProbeSchema = z.strictObject({
  ...baseProbeShape,
  kind: describe(
    z.literal('dns'),
    'DNS lookups as a pod resolver makes them: every name against every server, each run one lookup per target.',
  ),
  servers: describe(
    z._default(z.array(serverEntry).check(z.minLength(1)), [...DNS_DEFAULTS.servers]),
    '"IP[:PORT]" (port 53 by default; host names are refused), "resolv.conf" for every nameserver in `resolvConf` (its timeout, attempts, ndots, search, single-request, single-request-reopen and use-vc options apply unless set here), or "embedded" for netprobe\'s own loopback responder.',
  ),
  resolvConf: describe(
    z._default(z.string(), DNS_DEFAULTS.resolvConf),
    'Path of the resolver file the "resolv.conf" server and `search: true` read, at each (re)load.',
  ),
  names: describe(
    z.array(nameEntry).check(z.minLength(1)),
    'Names to look up: strings, or { name, class } objects; each (server, name) pair is one target.',
  ),
  transport: describe(
    z.optional(z.enum(DNS_TRANSPORTS)),
    `udp or tcp. Default: tcp when resolv.conf says use-vc (with the "resolv.conf" server), else ${DNS_DEFAULTS.transport}.`,
  ),
  mode: describe(
    z.optional(z.enum(DNS_MODES)),
    `What goes on the wire: single (first qtype only), parallel (all qtypes in one sendmmsg, as glibc), sequential (glibc single-request), reopen (a socket per query, as Go). Default: from resolv.conf's single-request options (with the "resolv.conf" server), else ${DNS_DEFAULTS.mode}.`,
  ),
  qtypes: describe(
    z._default(z.array(z.enum(DNS_QTYPES)).check(z.minLength(1)), [...DNS_DEFAULTS.qtypes]),
    'Query types asked for each name; `mode: single` asks only the first.',
  ),
  timeout: describe(
    z.optional(durationBetween(TIMEOUT_BOUNDS.min, TIMEOUT_BOUNDS.max)),
    `Per-attempt timeout, 10ms to 60s. Default: resolv.conf's timeout (with the "resolv.conf" server), else ${DNS_DEFAULTS.timeoutMs / 1000}s.`,
  ),
  attempts: describe(
    z.optional(z.number().check(z.int(), z.minimum(DNS_BOUNDS.attempts.min), z.maximum(DNS_BOUNDS.attempts.max))),
    `Tries per query, ${DNS_BOUNDS.attempts.min} to ${DNS_BOUNDS.attempts.max}. Default: resolv.conf's attempts (with the "resolv.conf" server), else ${DNS_DEFAULTS.attempts}.`,
  ),
  tcpFallback: describe(
    z._default(z.boolean(), DNS_DEFAULTS.tcpFallback),
    'Retry a truncated (TC) UDP answer over TCP, as resolvers do; false takes it as it came.',
  ),
  search: describe(
    z._default(z.boolean(), DNS_DEFAULTS.search),
    "Apply resolv.conf's search list and ndots to the names, as the pod's libc would (counted in netprobe_dns_queries_per_lookup).",
  ),
  targetKind: describe(
    z._default(z.string().check(z.regex(/^[a-z_]{1,32}$/)), DNS_DEFAULTS.targetKind),
    '`target_kind` label of explicit and "embedded" servers (service_vip, endpoint, nodelocal, static...); "resolv.conf" servers are resolv_conf.',
  ),
});

export type DnsProbeConfig = z.output<typeof dnsProbeSchema>;
