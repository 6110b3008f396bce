// The verdict engine: observations in, verdicts out. Pure and synchronous, so
// the daemon (its own window of runs) and `netprobe diagnose` (Prometheus)
// share every rule, and tests need no sockets. Rule order matters: each rule
// marks the observations it explains, and later rules skip them (see
// docs/diagnosis.md for what each verdict requires and what rules it out).
import type { RuleContext } from './evidence.ts';
import { merge, ruleF8 } from './fleet.ts';
import { fromHost, type Observation, type Observations } from './observations.ts';
import { ruleF1, ruleF2, ruleF6, ruleF7 } from './rules-dns.ts';
import { ruleF3, ruleF4, ruleF5, ruleF9 } from './rules-path.ts';
import type { Verdict } from './types.ts';

const RULES: readonly ((ctx: RuleContext) => void)[] = [ruleF6, ruleF5, ruleF4, ruleF7, ruleF1, ruleF9, ruleF3, ruleF2, ruleF8];

/**
 * Two passes: the pod network's rows first, with the host network's rows at
 * hand for F3 (overlay vs underlay); then the host network's rows that no pod
 * verdict used, for faults only the host-network DaemonSet sees. A daemon sees
 * one vantage, so one of the two passes has nothing to do.
 */
export function diagnose(obs: Observations): Verdict[] {
  const pod = view(obs, false);
  const host = view(obs, true);
  const explained = new Set<Observation>();
  const podCtx: RuleContext = { obs: pod, explained, verdicts: [], ...(hasRows(host) ? { host } : {}) };
  for (const rule of RULES) rule(podCtx);
  const hostCtx: RuleContext = { obs: host, explained, verdicts: [] };
  if (hasRows(host)) for (const rule of RULES) rule(hostCtx);
  const hostVerdicts = hostCtx.verdicts.map((v) => ({ ...v, title: `host network: ${v.title}` }));
  const nodes = new Set([...obs.nodes.map((n) => n.sourceNode), ...[...obs.dns, ...obs.tcp, ...obs.icmp].map((r) => r.sourceNode)]);
  return merge([...podCtx.verdicts, ...hostVerdicts], nodes.size, obs.fleet);
}

function view(obs: Observations, host: boolean): Observations {
  const pick = <T extends Observation>(rows: readonly T[]): T[] => rows.filter((r) => fromHost(r) === host);
  return { ...obs, dns: pick(obs.dns), tcp: pick(obs.tcp), icmp: pick(obs.icmp) };
}

function hasRows(obs: Observations): boolean {
  return obs.dns.length + obs.tcp.length + obs.icmp.length > 0;
}
