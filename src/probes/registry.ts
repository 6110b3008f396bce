// Probe kind -> its config schema, target expansion, options and run function.
// The daemon, the CLI and the config loader all go through this table.
import type { ZodType } from 'zod';
import { dnsProbeSchema, type DnsProbeConfig } from './dns/config.ts';
import { runDns } from './dns/run.ts';
import { dnsOptions, dnsTargets } from './dns/targets.ts';
import type { DnsOptions, DnsResult, DnsTarget } from './dns/types.ts';
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
}

const dns: ProbeKindDef<DnsProbeConfig, DnsTarget, DnsOptions, DnsResult> = {
  kind: 'dns',
  schema: dnsProbeSchema,
  targets: (config, env) => dnsTargets(config, env),
  options: (config, env) => dnsOptions(config, env),
  run: runDns,
  // A whole lookup: every query type, every attempt, every search-list candidate, plus slack.
  deadlineMs: (o) => o.timeoutMs * o.attempts * o.qtypes.length * Math.max(1, o.search.length + 1) + 1000,
  verdict: (r) => ({ success: r.outcome === 'success', reason: r.outcome }),
};

// biome-ignore lint/suspicious/noExplicitAny: a table of kinds with different types
export type AnyKindDef = ProbeKindDef<any, any, any, any>;

export const KINDS: Record<string, AnyKindDef> = {
  dns,
  tcp: tcpKind,
  icmp: icmpKind,
};
