// Fleet rules: F8 (a young node failing where the older fleet is clean), and
// the merge of per-node verdicts into one verdict per failure mode. F8 runs
// after the per-node rules because it explains them: the young node's F2/F3
// are symptoms of "joined broken", so they are folded into F8 instead of
// paging on their own.
import { evidence, verdict, type RuleContext } from './evidence.ts';
import { BARS, failRatio, isClean, isFailing, type Observation } from './observations.ts';
import { f8Steps } from './steps.ts';
import type { Evidence, Verdict } from './types.ts';

const key = (r: Observation): string => `${r.kind}|${r.probe}|${r.target}|${r.kind === 'dns' ? `${r.transport}|${r.mode}|${r.nameClass}` : ''}`;

/** Per node: the (probe, target) rows it fails that no other node probing them fails (and one runs clean). */
function nodeSpecific(all: readonly Observation[]): Map<string, { row: Observation; peers: Observation[] }[]> {
  const byKey = new Map<string, Observation[]>();
  for (const r of all) {
    const k = key(r);
    let list = byKey.get(k);
    if (!list) byKey.set(k, (list = []));
    list.push(r);
  }
  const out = new Map<string, { row: Observation; peers: Observation[] }[]>();
  for (const rows of byKey.values()) {
    for (const r of rows) {
      if (!isFailing(r)) continue;
      const peers = rows.filter((p) => p.sourceNode !== r.sourceNode);
      // Peers fading out of an earlier fault (below failing, not yet clean) still count as a healthy fleet.
      if (!peers.some(isClean) || peers.some(isFailing)) continue;
      let list = out.get(r.sourceNode);
      if (!list) out.set(r.sourceNode, (list = []));
      list.push({ row: r, peers });
    }
  }
  return out;
}

export function ruleF8(ctx: RuleContext): void {
  const { obs } = ctx;
  if (!obs.fleet || obs.nodes.length < 2) return;
  const created = new Map(obs.nodes.map((n) => [n.sourceNode, n.createdMs]));
  const specific = nodeSpecific([...obs.dns, ...obs.tcp, ...obs.icmp]);
  const young = new Set<string>();
  for (const [node, hits] of specific) {
    const createdMs = created.get(node) ?? null;
    const rows = hits.map((h) => h.row);
    const ev: Evidence[] = rows.map((r) => evidence(`${node}: ${r.kind} ${r.probe} to ${r.target} failing`, failRatio(r), '>=', BARS.failing, 'ratio'));
    const peerNodes = [...new Set(hits.flatMap((h) => h.peers.map((p) => p.sourceNode)))];
    ev.push(evidence(`older nodes probing the same targets clean (${peerNodes.join(', ')})`, peerNodes.length, '>=', 1, 'count'));
    const since = Math.min(...rows.map((r) => r.firstBadMs ?? obs.nowMs));
    if (createdMs === null) {
      ctx.verdicts.push(
        verdict({
          failure: 'F8',
          title: `${node} fails where the rest of the fleet is clean; its age is unknown, so a broken new node cannot be confirmed`,
          scope: 'node',
          node,
          targets: rows.map((r) => r.target),
          since,
          evidence: ev,
          steps: f8Steps([node]),
          status: 'unknown',
          needs: 'netprobe_node_created_timestamp_seconds (netprobe with Kubernetes discovery) or kube_node_created (kube-state-metrics) for this node',
        }),
      );
      continue;
    }
    const ageMs = obs.nowMs - createdMs;
    if (ageMs >= BARS.youngMs) continue;
    // The "fleet" it is compared with must be older: the peers' ages, where known.
    const older = peerNodes.filter((p) => (created.get(p) ?? null) !== null && created.get(p)! < createdMs);
    if (older.length === 0) continue;
    ev.unshift(evidence(`${node}: node age`, ageMs / 1000, '<', BARS.youngMs / 1000, 'seconds'));
    young.add(node);
    ctx.verdicts.push(
      verdict({
        failure: 'F8',
        title: `new node ${node} (joined ${Math.round(ageMs / 60_000)} min ago) is broken: it fails where the older fleet is clean`,
        scope: 'node',
        node,
        targets: rows.map((r) => r.target),
        since,
        evidence: ev,
        steps: f8Steps([node]),
      }),
    );
  }
  // Fold the young nodes' other verdicts into F8.
  const kept: Verdict[] = [];
  for (const v of ctx.verdicts) {
    if (v.failure === 'F8' || !v.source_nodes.some((n) => young.has(n))) {
      kept.push(v);
      continue;
    }
    const rest = v.source_nodes.filter((n) => !young.has(n));
    const f8 = ctx.verdicts.find((x) => x.failure === 'F8' && x.status === 'firing' && x.source_nodes.some((n) => v.source_nodes.includes(n)));
    f8?.evidence.push(evidence(`explained: ${v.failure} on ${v.source_nodes.filter((n) => young.has(n)).join(', ')} (${v.title})`, 1, '==', 1, 'bool'));
    if (rest.length > 0) kept.push({ ...v, source_nodes: rest });
  }
  ctx.verdicts.splice(0, ctx.verdicts.length, ...kept);
}

/** One verdict per (failure, status): nodes and targets unioned, evidence kept, since the earliest. */
export function merge(verdicts: readonly Verdict[], allNodes: number, fleet: boolean): Verdict[] {
  const out = new Map<string, Verdict>();
  for (const v of verdicts) {
    const k = `${v.failure}|${v.status}`;
    const m = out.get(k);
    if (!m) {
      out.set(k, { ...v, source_nodes: [...v.source_nodes], targets: [...v.targets], evidence: [...v.evidence], next_steps: [...v.next_steps] });
      continue;
    }
    m.source_nodes = [...new Set([...m.source_nodes, ...v.source_nodes])].sort();
    m.targets = [...new Set([...m.targets, ...v.targets])].sort();
    m.since = Math.min(m.since, v.since);
    m.evidence.push(...v.evidence);
    const commands = new Set(m.next_steps.map((s) => s.command));
    for (const s of v.next_steps) if (!commands.has(s.command)) m.next_steps.push(s);
    m.next_steps = m.next_steps.slice(0, 6);
  }
  const merged = [...out.values()];
  for (const v of merged) {
    if (v.source_nodes.length > 1) v.title = `${v.source_nodes.length} nodes: ${v.title}`;
    if (fleet && allNodes > 1 && v.source_nodes.length === allNodes) v.scope = 'fleet';
  }
  return merged.sort((a, b) => a.failure.localeCompare(b.failure) || a.status.localeCompare(b.status));
}
