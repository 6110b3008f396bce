// Probe kind -> its config schema, target expansion, options, run function
// and verdict. The daemon goes through this table; the config loader through
// its schemas-only view (schemas.ts), the run-once commands through their
// kind's entry (or, for `netprobe mtu`, the zod-free files it is made of).
import type { ZodType } from 'zod';
import { dnsKind } from './dns/kind.ts';
import { icmpKind } from './icmp/kind.ts';
import type { KindName } from './kind-names.ts';
import { tcpKind } from './tcp/kind.ts';
import type { ProbeFn, TargetInfo } from './types.ts';

/** What target expansion may consult besides the probe's own config. */
export interface TargetEnv {
  /** Reads a file such as /etc/resolv.conf (injected for tests). */
  readFile(path: string): string;
  /** Address of netprobe's own loopback DNS responder, when it runs. */
  embeddedDns?: { host: string; port: number };
}

export interface ProbeKindDef<Kind extends KindName, Config extends { kind: Kind }, Target extends TargetInfo, Options, Result> {
  kind: Kind;
  schema: ZodType<Config>;
  targets(config: Config, env: TargetEnv): Target[];
  options(config: Config, env: TargetEnv): Options;
  run: ProbeFn<Target, Options, Result>;
  /** Upper bound of one run when the config sets no `deadline`. */
  deadlineMs(options: Options): number;
  verdict(result: Result): { success: boolean; reason: string };
  /**
   * Acquires process-wide resources for these probe configs up front (the ICMP
   * socket), so a missing privilege is a setup error at start, not a failed
   * run later. Returns what to log about them.
   */
  prepare?(configs: Config[]): Record<string, unknown>[];
  /** Releases what prepare acquired (daemon stop). */
  release?(): void;
}

// biome-ignore lint/suspicious/noExplicitAny: a table of kinds with different types
export type AnyKindDef = ProbeKindDef<KindName, any, any, any, any>;

export const KINDS: Readonly<Record<KindName, AnyKindDef>> = {
  dns: dnsKind,
  tcp: tcpKind,
  icmp: icmpKind,
  // biome-ignore lint/suspicious/noExplicitAny: each entry's kind must be its key
} satisfies { [K in KindName]: ProbeKindDef<K, any, any, any, any> };
