// The `dns` entry of the probe registry: schema, targets, options, run, verdict.
import type { ProbeKindDef } from '../types.ts';
import { dnsProbeSchema, type DnsProbeConfig } from './config.ts';
import { runDns } from './run.ts';
import { dnsSender } from './socket.ts';
import { dnsOptions, dnsTargets } from './targets.ts';
import type { DnsOptions, DnsResult, DnsTarget } from './types.ts';
import { dnsVerdict } from './verdict.ts';

/**
 * Worst case of one lookup: every query type one after the other, every
 * attempt timing out, a truncated answer retried over TCP with its own
 * attempts, for every search-list candidate; plus slack.
 */
export function dnsDeadlineMs(o: DnsOptions): number {
  const perName = o.timeoutMs * o.attempts * o.qtypes.length * (o.tcpFallback && o.transport === 'udp' ? 2 : 1);
  return perName * (o.search.length + 1) + 1000;
}

export const dnsKind: ProbeKindDef<'dns', DnsProbeConfig, DnsTarget, DnsOptions, DnsResult> = {
  kind: 'dns',
  schema: dnsProbeSchema,
  targets: (config, env) => dnsTargets(config, env),
  options: (config, env) => dnsOptions(config, env),
  run: runDns,
  deadlineMs: dnsDeadlineMs,
  verdict: dnsVerdict,
  // Says at start-up which UDP sender runs: the addon's sendmmsg (glibc's
  // syscall pattern) or the dgram fallback, and why.
  prepare: () => {
    const { sender, reason } = dnsSender();
    return [{ msg: 'dns udp sender', sender, ...(reason === undefined ? {} : { reason }) }];
  },
};
