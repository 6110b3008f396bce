// The verdict engine: observations in, verdicts out. Pure and synchronous, so
// the daemon (its own window of runs) and `netprobe diagnose` (Prometheus)
// share every rule, and tests need no sockets. Rule order matters: each rule
// marks the observations it explains, and later rules skip them (see
// docs/diagnosis.md for what each verdict requires and what rules it out).
import type { RuleContext } from './evidence.ts';
import { merge, ruleF8 } from './fleet.ts';
import type { Observations } from './observations.ts';
import { ruleF1, ruleF2, ruleF6, ruleF7 } from './rules-dns.ts';
import { ruleF3, ruleF4, ruleF5, ruleF9 } from './rules-path.ts';
import type { Verdict } from './types.ts';

const RULES: readonly ((ctx: RuleContext) => void)[] = [ruleF6, ruleF5, ruleF4, ruleF7, ruleF1, ruleF9, ruleF3, ruleF2, ruleF8];

export function diagnose(obs: Observations): Verdict[] {
  const ctx: RuleContext = { obs, explained: new Set(), verdicts: [] };
  for (const rule of RULES) rule(ctx);
  const nodes = new Set([...obs.nodes.map((n) => n.sourceNode), ...[...obs.dns, ...obs.tcp, ...obs.icmp].map((r) => r.sourceNode)]);
  return merge(ctx.verdicts, nodes.size, obs.fleet);
}
