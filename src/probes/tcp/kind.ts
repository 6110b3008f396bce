// The `tcp` entry of the probe registry: schema, targets, options, run, verdict.
import type { ProbeKindDef } from '../registry.ts';
import { tcpDeadlineMs, tcpOptions, tcpProbeSchema, tcpTargets, type TcpProbeConfig } from './config.ts';
import { runTcp } from './run.ts';
import type { TcpOptions, TcpResult, TcpTarget } from './types.ts';
import { tcpVerdict } from './verdict.ts';

export const tcpKind: ProbeKindDef<TcpProbeConfig, TcpTarget, TcpOptions, TcpResult> = {
  kind: 'tcp',
  schema: tcpProbeSchema,
  targets: (config) => tcpTargets(config),
  options: (config, env) => tcpOptions(config, env.readFile),
  run: runTcp,
  deadlineMs: tcpDeadlineMs,
  verdict: tcpVerdict,
};
