// The contract every probe kind implements. Probes make one attempt (one DNS
// lookup, one paping run, one MTU sweep) and return plain data; they never
// throw for network failures and never import metrics or exporters.

import type { ZodMiniType as ZodType } from 'zod/mini';
import type { Clock } from '../util/clock.ts';
import type { KindName } from './kind-names.ts';

// Clock lives in src/util (the scheduler takes it too, and imports nothing of probes).
export { type Clock, systemClock } from '../util/clock.ts';

export interface ProbeContext {
  /** Aborted when the daemon stops or the run exceeds its deadline. */
  signal: AbortSignal;
  clock: Clock;
}

/** Who or what a probe run is aimed at; becomes bounded metric labels. */
export interface TargetInfo {
  /** Stable identity, unique within one probe (e.g. "udp://10.96.0.10:53"). */
  id: string;
  /** Human label used as the `target` / `server` metric label (ip:port or host:port). */
  label: string;
  /** service_vip | endpoint | nodelocal | static | peer | loopback ... (bounded set). */
  kind: string;
  /** Node the target lives on, when known (peers, endpoints); "" otherwise. */
  node: string;
}

export type ProbeFn<Target, Options, Result> = (
  target: Target,
  options: Options,
  ctx: ProbeContext,
) => Promise<Result>;

// The entry of one kind in the registry (src/probes/registry.ts): each kind's kind.ts
// builds one, against this contract rather than against the table that lists them.
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

