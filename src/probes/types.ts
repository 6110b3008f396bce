// The contract every probe kind implements. Probes make one attempt (one DNS
// lookup, one paping run, one MTU sweep) and return plain data; they never
// throw for network failures and never import metrics or exporters.

import type { Clock } from '../util/clock.ts';

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
