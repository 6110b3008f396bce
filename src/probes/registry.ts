// Probe kind -> its config schema, target expansion, options, run function
// and verdict. The daemon goes through this table; the config loader through
// its schemas-only view (schemas.ts), the run-once commands through their
// kind's entry (or, for `netprobe mtu`, the zod-free files it is made of).
import { dnsKind } from './dns/kind.ts';
import { icmpKind } from './icmp/kind.ts';
import type { KindName } from './kind-names.ts';
import { tcpKind } from './tcp/kind.ts';
import type { ProbeKindDef } from './types.ts';

export type { ProbeKindDef, TargetEnv } from './types.ts';

// biome-ignore lint/suspicious/noExplicitAny: a table of kinds with different types
export type AnyKindDef = ProbeKindDef<KindName, any, any, any, any>;

export const KINDS: Readonly<Record<KindName, AnyKindDef>> = {
  dns: dnsKind,
  tcp: tcpKind,
  icmp: icmpKind,
  // biome-ignore lint/suspicious/noExplicitAny: each entry's kind must be its key
} satisfies { [K in KindName]: ProbeKindDef<K, any, any, any, any> };
