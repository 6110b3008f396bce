// Small builders shared by the rules: evidence rows and per-node verdicts.
import type { Evidence, FailureMode, NextStep, Verdict, VerdictScope } from './types.ts';
import type { BadHop, Observation, Observations } from './observations.ts';

export function evidence(signal: string, value: number, comparison: Evidence['comparison'], threshold: number, unit: string): Evidence {
  const v = round(value);
  const holds =
    comparison === '>=' ? v >= threshold : comparison === '<=' ? v <= threshold : comparison === '>' ? v > threshold : comparison === '<' ? v < threshold : v === threshold;
  return { signal, value: v, threshold, comparison, unit, holds };
}

/** Ratios and seconds to 3 decimals: evidence is read by people. */
export function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** What a rule sees and leaves behind: observations an earlier verdict explains are skipped by later rules. */
export interface RuleContext {
  obs: Observations;
  explained: Set<Observation>;
  verdicts: Verdict[];
  /** The host-network rows beside the pod network's `obs` (F3 compares the two); absent on the host pass. */
  host?: Observations;
}

/** Evidence row for the first bad hop of a traced path: which hop, its address when known, and why. */
export function hopEvidence(node: string, r: { target: string; badHop?: BadHop }): Evidence[] {
  if (!r.badHop) return [];
  const at = r.badHop.address ? ` (${r.badHop.address})` : '';
  return [evidence(`${node}: trace to ${r.target}: first bad hop ${r.badHop.hop}${at}, ${r.badHop.reason.replace(/_/g, ' ')}`, r.badHop.hop, '>=', 1, 'hop')];
}

export function unexplained<T extends Observation>(ctx: RuleContext, rows: readonly T[]): T[] {
  return rows.filter((r) => !ctx.explained.has(r));
}

export function explain(ctx: RuleContext, rows: Iterable<Observation>): void {
  for (const r of rows) ctx.explained.add(r);
}

export function byNode<T extends { sourceNode: string }>(rows: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    let list = out.get(r.sourceNode);
    if (!list) out.set(r.sourceNode, (list = []));
    list.push(r);
  }
  return out;
}

export function groupBy<T>(rows: readonly T[], key: (r: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    let list = out.get(k);
    if (!list) out.set(k, (list = []));
    list.push(r);
  }
  return out;
}

export interface VerdictParts {
  failure: FailureMode;
  title: string;
  scope: VerdictScope;
  node: string;
  targets: readonly string[];
  since: number;
  evidence: Evidence[];
  steps: NextStep[];
  status?: 'firing' | 'unknown';
  needs?: string;
}

export function verdict(p: VerdictParts): Verdict {
  return {
    failure: p.failure,
    title: p.title,
    scope: p.scope,
    source_nodes: [p.node],
    targets: [...new Set(p.targets)].sort(),
    since: p.since,
    status: p.status ?? 'firing',
    ...(p.needs ? { needs: p.needs } : {}),
    evidence: p.evidence,
    next_steps: p.steps,
  };
}

/** "udp/parallel" or "tcp" for display. */
export function how(o: { transport: string; mode: string }): string {
  return o.transport === 'tcp' ? 'tcp' : `${o.transport}/${o.mode}`;
}
