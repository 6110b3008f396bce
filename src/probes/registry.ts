// Probe kind -> its config schema, target expansion, options and run function.
// The daemon, the CLI and the config loader all go through this table.
import type { ZodType } from 'zod';
import { dnsKind } from './dns/kind.ts';
import { icmpKind } from './icmp/kind.ts';
import { tcpKind } from './tcp/kind.ts';
import type { ProbeFn, TargetInfo } from './types.ts';

/** What target expansion may consult besides the probe's own config. */
export interface TargetEnv {
  /** Reads a file such as /etc/resolv.conf (injected for tests). */
  readFile(path: string): string;
  /** Address of netprobe's own loopback DNS responder, when it runs. */
  embeddedDns?: { host: string; port: number };
}

export interface ProbeKindDef<Config, Target extends TargetInfo, Options, Result> {
  kind: string;
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
export type AnyKindDef = ProbeKindDef<any, any, any, any>;

export const KINDS: Record<string, AnyKindDef> = {
  dns: dnsKind,
  tcp: tcpKind,
  icmp: icmpKind,
};
