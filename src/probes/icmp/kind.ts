// The `icmp` entry of the probe registry: schema, targets, options, run, verdict.
import { isIPv6 } from 'node:net';
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
  prepare: (configs) => {
    const wanted = new Set<string>();
    for (const c of configs) {
      wanted.add(`${c.socket}/4`);
      if (c.targets.some((t) => isIPv6(t.host))) wanted.add(`${c.socket}/6`);
    }
    return [...wanted].map((key) => {
      const [requested, family] = key.split('/') as ['auto' | 'raw' | 'dgram', string];
      const engine = sharedIcmpEngine(requested, family === '6' ? 6 : 4);
      return { msg: 'ICMP socket open', socket: engine.mode, requested, family: engine.family, ident: engine.ident };
    });
  },
  release: closeSharedIcmpEngines,
};
