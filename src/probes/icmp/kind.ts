// The `icmp` entry of the probe registry: schema, targets, options, run, verdict.
import type { ProbeKindDef } from '../registry.ts';
import { icmpDeadlineMs, icmpOptions, icmpProbeSchema, icmpTargets, type IcmpProbeConfig } from './config.ts';
import { closeSharedIcmpEngines, sharedIcmpEngine } from './engine.ts';
import { runIcmp } from './run.ts';
import type { IcmpOptions, IcmpResult, IcmpTarget } from './types.ts';

export const icmpKind: ProbeKindDef<IcmpProbeConfig, IcmpTarget, IcmpOptions, IcmpResult> = {
  kind: 'icmp',
  schema: icmpProbeSchema,
  targets: (config) => icmpTargets(config),
  options: (config) => icmpOptions(config),
  run: (target, options, ctx) => runIcmp(target, options, ctx),
  deadlineMs: icmpDeadlineMs,
  verdict: (result) => ({ success: result.reason === 'ok', reason: result.reason }),
  // One socket per requested mode for the whole process; the log says which one the kernel gave.
  prepare: (configs) =>
    [...new Set(configs.map((c) => c.socket))].map((requested) => {
      const engine = sharedIcmpEngine(requested);
      return { msg: 'ICMP socket open', socket: engine.mode, requested, ident: engine.ident };
    }),
  release: closeSharedIcmpEngines,
};
