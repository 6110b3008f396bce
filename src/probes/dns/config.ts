import { isIP } from 'node:net';
import { z } from 'zod';
import { baseProbeShape, durationBetween, parseHostPort, TIMEOUT_BOUNDS } from '../../config/common.ts';
import { DNS_MODES, DNS_TRANSPORTS, NAME_CLASSES } from './types.ts';

const nameEntry = z.union([
  z.string().min(1).transform((name) => ({ name, class: classify(name) })),
  z.strictObject({ name: z.string().min(1), class: z.enum(NAME_CLASSES).optional() }).transform((n) => ({
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
  kind: z.literal('dns'),
  /**
   * Servers: "IP[:PORT]", or "resolv.conf" for every nameserver in the resolver
   * file (its timeout/attempts/ndots/search/single-request, single-request-reopen, use-vc options apply
   * unless set here), or "embedded" for netprobe's own local responder.
   */
  servers: z.array(serverEntry).min(1).default(['resolv.conf']),
  /** Where "resolv.conf" servers come from. */
  resolvConf: z.string().default('/etc/resolv.conf'),
  names: z.array(nameEntry).min(1),
  transport: z.enum(DNS_TRANSPORTS).optional(),
  mode: z.enum(DNS_MODES).optional(),
  qtypes: z.array(z.enum(['A', 'AAAA', 'SRV', 'TXT', 'MX', 'NS', 'SOA', 'CNAME', 'PTR'])).min(1).default(['A', 'AAAA']),
  /** Per attempt, 10ms to 60s. */
  timeout: durationBetween(TIMEOUT_BOUNDS.min, TIMEOUT_BOUNDS.max).optional(),
  attempts: z.number().int().min(1).max(10).optional(),
  tcpFallback: z.boolean().default(true),
  /** Apply the resolv.conf search list and ndots (as the pod's libc would). */
  search: z.boolean().default(false),
  /** Extra label for the target kind of explicit servers (service_vip, endpoint, nodelocal, static). */
  targetKind: z.string().regex(/^[a-z_]{1,32}$/).default('static'),
});

export type DnsProbeConfig = z.output<typeof dnsProbeSchema>;
