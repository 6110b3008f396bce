// Every probe kind's config schema, for the config loader. Kept apart from
// the registry so validating a config never loads socket code.
import { dnsProbeSchema } from './dns/config.ts';
import { icmpProbeSchema } from './icmp/config.ts';
import { tcpProbeSchema } from './tcp/config.ts';

export const KIND_SCHEMAS = [dnsProbeSchema, tcpProbeSchema, icmpProbeSchema] as const;
