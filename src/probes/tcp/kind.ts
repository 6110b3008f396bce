// The `tcp` entry of the probe registry: schema, targets, options, run, verdict.
import type { ProbeKindDef } from '../types.ts';
import { tcpProbeSchema, type TcpProbeConfig } from './config.ts';
import { runTcp } from './run.ts';
import { tcpOptions, tcpTargets } from './targets.ts';
import type { TcpOptions, TcpResult, TcpTarget } from './types.ts';
import { tcpVerdict } from './verdict.ts';

/** Worst case of one run: every connect waits its full timeout, plus slack. */
export function tcpDeadlineMs(options: TcpOptions): number {
  return (options.count - 1) * options.intervalMs + options.count * options.timeoutMs + 1000;
}

export const tcpKind: ProbeKindDef<'tcp', TcpProbeConfig, TcpTarget, TcpOptions, TcpResult> = {
  kind: 'tcp',
  schema: tcpProbeSchema,
  targets: (config) => tcpTargets(config),
  options: (config, env) => tcpOptions(config, env.readFile),
  run: runTcp,
  deadlineMs: tcpDeadlineMs,
  verdict: tcpVerdict,
};
