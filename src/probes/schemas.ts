// Every probe kind's config schema, for the config loader. Kept apart from
// the registry so validating a config never loads socket code.
import type { ZodMiniType as ZodType } from 'zod/mini';
import { dnsProbeSchema } from './dns/config.ts';
import { icmpProbeSchema } from './icmp/config.ts';
import { KIND_NAMES, type KindName } from './kind-names.ts';
import { tcpProbeSchema } from './tcp/config.ts';

/** Kind -> schema; each schema's `kind` literal must be its key. */
export const SCHEMAS = {
  dns: dnsProbeSchema,
  tcp: tcpProbeSchema,
  icmp: icmpProbeSchema,
} satisfies { [K in KindName]: ZodType<{ kind: K }> };

type KindSchema = (typeof SCHEMAS)[KindName];

/** The schemas in KIND_NAMES order, as z.discriminatedUnion takes them. */
export const KIND_SCHEMAS = KIND_NAMES.map((kind) => SCHEMAS[kind]) as unknown as readonly [KindSchema, ...KindSchema[]];
