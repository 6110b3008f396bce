// Config schema of `kind: dns` probes, and nothing else; targets.ts expands
// a parsed config into targets and resolver options (config over resolv.conf
// over the defaults in defaults.ts).
import { isIP } from 'node:net';
import { z } from 'zod';
import { baseProbeShape, durationBetween, parseHostPort, TIMEOUT_BOUNDS } from '../../config/common.ts';
import { DNS_BOUNDS, DNS_DEFAULTS, DNS_QTYPES } from './defaults.ts';
import { DNS_MODES, DNS_TRANSPORTS, NAME_CLASSES } from './types.ts';

const nameEntry = z.union([
  z.string().min(1).transform((name) => ({ name, class: classify(name) })),
  z.strictObject({
    name: z.string().min(1).describe('The name to look up.'),
    class: z
      .enum(NAME_CLASSES)
      .optional()
      .describe('`name_class` label; default from the name: cluster (under cluster.local or .svc), external (dotted), other.'),
  }).transform((n) => ({
    name: n.name,
    class: n.class ?? classify(n.name),
  })),
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
const serverEntry = z.string().superRefine((text, ctx) => {
  if (text === 'resolv.conf' || text === 'embedded') return;
  const parsed = parseHostPort(text, 53);
  if (parsed && isIP(parsed.host) !== 0) return;
  ctx.addIssue({ code: 'custom', message: `expected IP[:PORT], "resolv.conf" or "embedded", got "${text}" (host names are not resolved)` });
});

export const dnsProbeSchema = z.strictObject({
  ...baseProbeShape,
  kind: z.literal('dns').describe('DNS lookups as a pod resolver makes them: every name against every server, each run one lookup per target.'),
  servers: z
    .array(serverEntry)
    .min(1)
    .default([...DNS_DEFAULTS.servers])
    .describe(
      '"IP[:PORT]" (port 53 by default; host names are refused), "resolv.conf" for every nameserver in `resolvConf` (its timeout, attempts, ndots, search, single-request, single-request-reopen and use-vc options apply unless set here), or "embedded" for netprobe\'s own loopback responder.',
    ),
  resolvConf: z.string().default(DNS_DEFAULTS.resolvConf).describe('Path of the resolver file the "resolv.conf" server and `search: true` read, at each (re)load.'),
  names: z
    .array(nameEntry)
    .min(1)
    .describe('Names to look up: strings, or { name, class } objects; each (server, name) pair is one target.'),
  transport: z
    .enum(DNS_TRANSPORTS)
    .optional()
    .describe(`udp or tcp. Default: tcp when resolv.conf says use-vc (with the "resolv.conf" server), else ${DNS_DEFAULTS.transport}.`),
  mode: z
    .enum(DNS_MODES)
    .optional()
    .describe(
      `What goes on the wire: single (first qtype only), parallel (all qtypes in one sendmmsg, as glibc), sequential (glibc single-request), reopen (a socket per query, as Go). Default: from resolv.conf's single-request options (with the "resolv.conf" server), else ${DNS_DEFAULTS.mode}.`,
    ),
  qtypes: z
    .array(z.enum(DNS_QTYPES))
    .min(1)
    .default([...DNS_DEFAULTS.qtypes])
    .describe('Query types asked for each name; `mode: single` asks only the first.'),
  timeout: durationBetween(TIMEOUT_BOUNDS.min, TIMEOUT_BOUNDS.max)
    .optional()
    .describe(`Per-attempt timeout, 10ms to 60s. Default: resolv.conf's timeout (with the "resolv.conf" server), else ${DNS_DEFAULTS.timeoutMs / 1000}s.`),
  attempts: z
    .number()
    .int()
    .min(DNS_BOUNDS.attempts.min)
    .max(DNS_BOUNDS.attempts.max)
    .optional()
    .describe(
      `Tries per query, ${DNS_BOUNDS.attempts.min} to ${DNS_BOUNDS.attempts.max}. Default: resolv.conf's attempts (with the "resolv.conf" server), else ${DNS_DEFAULTS.attempts}.`,
    ),
  tcpFallback: z.boolean().default(DNS_DEFAULTS.tcpFallback).describe('Retry a truncated (TC) UDP answer over TCP, as resolvers do; false takes it as it came.'),
  search: z
    .boolean()
    .default(DNS_DEFAULTS.search)
    .describe("Apply resolv.conf's search list and ndots to the names, as the pod's libc would (counted in netprobe_dns_queries_per_lookup)."),
  targetKind: z
    .string()
    .regex(/^[a-z_]{1,32}$/)
    .default(DNS_DEFAULTS.targetKind)
    .describe('`target_kind` label of explicit and "embedded" servers (service_vip, endpoint, nodelocal, static...); "resolv.conf" servers are resolv_conf.'),
});

export type DnsProbeConfig = z.output<typeof dnsProbeSchema>;
