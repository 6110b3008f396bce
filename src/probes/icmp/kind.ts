// The `icmp` entry of the probe registry: schema, targets, options, run, verdict.
import { isIPv6 } from 'node:net';
import type { ProbeKindDef } from '../types.ts';
import { icmpProbeSchema, type IcmpProbeConfig } from './config.ts';
import { closeSharedIcmpEngines, sharedIcmpEngine } from './engine.ts';
import { runIcmp } from './run.ts';
import { icmpOptions, icmpTargets } from './targets.ts';
import type { IcmpOptions, IcmpResult, IcmpTarget } from './types.ts';
import { icmpVerdict } from './verdict.ts';

/**
 * Upper bound of one run: the walk's spacing plus one timeout, or a search in
 * which a few rounds of silence each cost a timeout (loss on a black-hole
 * path), plus slack. Past it the run is aborted and reported as such.
 */
export function icmpDeadlineMs(options: IcmpOptions): number {
  const walk = options.sizes.length > 0 ? (options.count - 1) * options.intervalMs + options.timeoutMs : 0;
  const search = options.search ? 4 * options.timeoutMs : 0;
  return Math.max(walk, search) + 1000;
}

export const icmpKind: ProbeKindDef<'icmp', IcmpProbeConfig, IcmpTarget, IcmpOptions, IcmpResult> = {
  kind: 'icmp',
  schema: icmpProbeSchema,
  targets: (config) => icmpTargets(config),
  options: (config) => icmpOptions(config),
  run: (target, options, ctx) => runIcmp(target, options, ctx),
  deadlineMs: icmpDeadlineMs,
  verdict: icmpVerdict,
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
