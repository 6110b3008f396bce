// Path rules, per source node: F5 (PMTU black hole), F4 (MTU mismatch), F9
// (port closed / filtered), F3 (route or tunnel to other nodes). F5 runs
// before F4 because a black hole also leaves the ceiling below the expected
// MTU: one fault, one verdict.
import { byNode, evidence, explain, groupBy, hopEvidence, unexplained, verdict, type RuleContext } from './evidence.ts';
import { BARS, earliest, failRatio, failed, hostOf, isClean, isFailing, type IcmpObservation, type Observation } from './observations.ts';
import { f3OverlaySteps, f3Steps, f3UnderlaySteps, f4Steps, f5Steps, f9Steps } from './steps.ts';
import type { Evidence } from './types.ts';

/** F5: sizes above the ceiling vanish without "fragmentation needed". */
export function ruleF5(ctx: RuleContext): void {
  for (const [node, rows] of byNode(unexplained(ctx, ctx.obs.icmp).filter((r) => r.blackhole && r.runs > 0))) {
    const targets = rows.map((r) => r.target);
    const ev: Evidence[] = [];
    for (const r of rows) {
      ev.push(evidence(`${node}: sizes above the ceiling to ${r.target} vanish without frag-needed (blackhole)`, 1, '==', 1, 'bool'));
      if (r.ceilingBytes !== null) ev.push(evidence(`${node}: path MTU ceiling to ${r.target}`, r.ceilingBytes, '>=', 0, 'bytes'));
      ev.push(...hopEvidence(node, r));
    }
    explain(ctx, rows);
    ctx.verdicts.push(
      verdict({
        failure: 'F5',
        title: `PMTU black hole towards ${targets.join(', ')}: packets above ${rows[0]!.ceilingBytes ?? '?'} bytes vanish, no fragmentation-needed comes back`,
        scope: 'target',
        node,
        targets,
        since: earliest(rows, ctx.obs.nowMs),
        evidence: ev,
        steps: f5Steps(rows[0]!.target, rows[0]!.ceilingBytes),
      }),
    );
  }
}

function mtuMismatch(r: IcmpObservation): boolean {
  if (r.ceilingBytes === null || r.runs === 0) return false;
  return (r.expectedBytes !== null && r.ceilingBytes < r.expectedBytes) || (r.interfaceMtuBytes !== null && r.interfaceMtuBytes > r.ceilingBytes);
}

/** F4: the measured ceiling is below the expected MTU, or the pod's interface MTU is above the ceiling. */
export function ruleF4(ctx: RuleContext): void {
  for (const [node, rows] of byNode(unexplained(ctx, ctx.obs.icmp).filter(mtuMismatch))) {
    const ev: Evidence[] = [];
    for (const r of rows) {
      if (r.expectedBytes !== null) ev.push(evidence(`${node}: path MTU ceiling to ${r.target} vs expected`, r.ceilingBytes!, '<', r.expectedBytes, 'bytes'));
      if (r.interfaceMtuBytes !== null) ev.push(evidence(`${node}: interface MTU on the route to ${r.target} vs ceiling`, r.interfaceMtuBytes, '>', r.ceilingBytes!, 'bytes'));
      ev.push(...hopEvidence(node, r));
    }
    explain(ctx, rows);
    const first = rows[0]!;
    const what =
      first.interfaceMtuBytes !== null && first.interfaceMtuBytes > first.ceilingBytes!
        ? `pod interface MTU ${first.interfaceMtuBytes} above the ${first.ceilingBytes}-byte path ceiling`
        : `path carries ${first.ceilingBytes} bytes, ${first.expectedBytes} expected`;
    ctx.verdicts.push(
      verdict({
        failure: 'F4',
        title: `MTU mismatch towards ${rows.map((r) => r.target).join(', ')}: ${what}`,
        scope: 'target',
        node,
        targets: rows.map((r) => r.target),
        // A sweep is deterministic: the ceiling held since the sweep that saw it.
        since: earliest(rows, ctx.obs.nowMs),
        evidence: ev,
        steps: f4Steps(first.target, first.expectedBytes, first.ceilingBytes, first.interfaceMtuBytes),
      }),
    );
  }
}

/** F9: connects refused (RST), or timing out while ICMP to the same host answers. */
export function ruleF9(ctx: RuleContext): void {
  for (const [node, rows] of byNode(unexplained(ctx, ctx.obs.tcp))) {
    const icmp = ctx.obs.icmp.filter((r) => r.sourceNode === node);
    const hits: { row: (typeof rows)[number]; ev: Evidence[] }[] = [];
    for (const r of rows) {
      if (!isFailing(r)) continue;
      const refused = (r.failures.refused ?? 0) / r.runs;
      if ((r.failures.refused ?? 0) >= 2 && refused >= BARS.failing) {
        hits.push({ row: r, ev: [evidence(`${node}: connects to ${r.target} refused (RST: nothing listens, or a REJECT rule)`, refused, '>=', BARS.failing, 'ratio')] });
        continue;
      }
      const ping = icmp.filter((i) => hostOf(i.target) === hostOf(r.target) && isClean(i));
      const timeouts = (r.failures.timeout ?? 0) / r.runs;
      if (ping.length > 0 && timeouts >= BARS.failing) {
        hits.push({
          row: r,
          ev: [
            evidence(`${node}: connects to ${r.target} time out`, timeouts, '>=', BARS.failing, 'ratio'),
            evidence(`${node}: ICMP echo to ${hostOf(r.target)} lost`, failRatio(ping[0]!), '<=', BARS.clean, 'ratio'),
          ],
        });
      }
    }
    if (hits.length === 0) continue;
    explain(ctx, hits.map((h) => h.row));
    const targets = hits.map((h) => h.row.target);
    ctx.verdicts.push(
      verdict({
        failure: 'F9',
        title: `port closed or filtered: TCP connects to ${targets.join(', ')} fail while the host is reachable`,
        scope: 'target',
        node,
        targets,
        since: earliest(hits.map((h) => h.row), ctx.obs.nowMs),
        evidence: hits.flatMap((h) => h.ev),
        steps: f9Steps(targets[0]!),
      }),
    );
  }
}

/** Reasons that mean "no way there", as opposed to an answer that says no (refused, nxdomain, servfail). */
const PATH_REASONS = new Set(['timeout', 'network_error', 'unreachable', 'error', 'no_reply', 'loss', 'send_error']);

function pathFailing(r: Observation): boolean {
  if (!isFailing(r)) return false;
  let pathy = 0;
  for (const k in r.failures) if (PATH_REASONS.has(k)) pathy += r.failures[k]!;
  return pathy * 2 >= failed(r);
}

/**
 * F3: targets on other nodes fail while something to compare with stays clean:
 * a target on the same node, targets on other nodes, or (fleet) other source
 * nodes reaching the same targets.
 */
export function ruleF3(ctx: RuleContext): void {
  const all: Observation[] = [...ctx.obs.dns, ...ctx.obs.tcp, ...ctx.obs.icmp];
  for (const [node, rows] of byNode(all)) {
    const known = rows.filter((r) => r.targetNode !== '');
    const cross = unexplained(ctx, known).filter((r) => r.targetNode !== node && pathFailing(r));
    if (cross.length === 0) continue;
    const failingNodes = new Set(cross.map((r) => r.targetNode));
    const sameNode = known.filter((r) => r.targetNode === node && isClean(r));
    const otherNodes = known.filter((r) => r.targetNode !== node && !failingNodes.has(r.targetNode) && isClean(r));
    const crossTargets = new Set(cross.map((r) => `${r.kind}|${r.probe}|${r.target}`));
    const othersReach = ctx.obs.fleet
      ? all.filter((r) => r.sourceNode !== node && crossTargets.has(`${r.kind}|${r.probe}|${r.target}`) && isClean(r))
      : [];
    // Names with no node (the VIP, resolv.conf servers) that fail with "no route" on this node: the same fault seen by DNS.
    const unrouted = unexplained(ctx, rows).filter((r) => r.targetNode === '' && r.kind === 'dns' && isFailing(r) && (r.failures.network_error ?? 0) * 2 >= failed(r));
    const ev: Evidence[] = [];
    for (const r of cross) ev.push(evidence(`${node}: ${r.kind} ${r.probe} to ${r.target} on ${r.targetNode} failing`, failRatio(r), '>=', BARS.failing, 'ratio'));
    if (sameNode.length > 0) ev.push(evidence(`${node}: same-node targets clean`, sameNode.length, '>=', 1, 'count'));
    if (otherNodes.length > 0) ev.push(evidence(`${node}: targets on other nodes (${[...new Set(otherNodes.map((r) => r.targetNode))].join(', ')}) clean`, otherNodes.length, '>=', 1, 'count'));
    if (othersReach.length > 0) ev.push(evidence(`other nodes (${[...new Set(othersReach.map((r) => r.sourceNode))].join(', ')}) reach the same targets cleanly`, othersReach.length, '>=', 1, 'count'));
    for (const r of unrouted) ev.push(evidence(`${node}: dns ${r.probe} via ${r.target} fails with network_error (no route)`, failRatio(r), '>=', BARS.failing, 'ratio'));
    for (const r of cross) ev.push(...hopEvidence(node, r));
    // The underlay's view of the same nodes: their own addresses (target_kind node), probed from
    // this pod (the pod DaemonSet's nodes-* probes) or from this node's host-network pod. Clean
    // there while pods fail is the overlay; failing there too is the underlay. The host network's
    // rows to pod IPs (pods-tcp) are evidence only: they cross the overlay as well.
    const hostRows = ctx.host ? [...ctx.host.tcp, ...ctx.host.icmp].filter((r) => r.sourceNode === node && failingNodes.has(r.targetNode)) : [];
    const underlay = [...known.filter((r) => r.targetKind === 'node' && failingNodes.has(r.targetNode)), ...hostRows.filter((r) => r.targetKind === 'node')];
    const underlayFailing = underlay.filter(pathFailing);
    const underlayClean = underlay.filter(isClean);
    const podToPod = cross.some((r) => r.targetKind !== 'node');
    // Only pod targets failing say anything about a layer: a node address failing alone compares with nothing.
    const layer = !podToPod ? undefined : underlayFailing.length > 0 ? 'underlay' : underlayClean.length > 0 ? 'overlay' : undefined;
    // Pod-vantage node rows are in `cross` already; the host network's get their own lines.
    for (const r of underlayFailing.filter((u) => u.vantage === 'host')) {
      ev.push(evidence(`${node} (host network): ${r.kind} ${r.probe} to ${r.target} on ${r.targetNode} failing too`, failRatio(r), '>=', BARS.failing, 'ratio'), ...hopEvidence(`${node} (host network)`, r));
    }
    if (layer === 'overlay') {
      for (const [who, rs] of byVantage(underlayClean)) ev.push(evidence(`${who}: the same nodes' own addresses reached cleanly`, rs.length, '>=', 1, 'count'));
      const hostToPods = hostRows.filter((r) => r.targetKind !== 'node' && pathFailing(r));
      if (hostToPods.length > 0) ev.push(evidence(`${node} (host network): pods on ${[...new Set(hostToPods.map((r) => r.targetNode))].join(', ')} fail from the host network too`, hostToPods.length, '>=', 1, 'count'));
    }
    const compared = sameNode.length + otherNodes.length + othersReach.length > 0 || layer !== undefined;
    explain(ctx, [...cross, ...unrouted]);
    if (ctx.host) explain(ctx, hostRows);
    const targets = [...new Set(cross.map((r) => r.target))];
    const nodes = [...failingNodes].join(', ');
    const title =
      layer === 'overlay'
        ? `pod network (overlay) broken from ${node} to pods on ${nodes}: the nodes' own addresses answer, pods do not`
        : layer === 'underlay'
          ? `node network (underlay) broken from ${node} to ${nodes}: the nodes' own addresses fail as well as their pods`
          : compared
            ? `no route or tunnel from ${node} to pods on ${nodes}: cross-node traffic fails, the rest answers`
            : `everything from ${node} to other nodes fails and nothing nearer was probed to compare`;
    const steps =
      layer === 'overlay'
        ? f3OverlaySteps(targets, node, [...failingNodes])
        : layer === 'underlay'
          ? f3UnderlaySteps([...new Set(underlayFailing.map((r) => r.target))], [...failingNodes])
          : f3Steps(targets, [...failingNodes]);
    ctx.verdicts.push(
      verdict({
        failure: 'F3',
        title,
        scope: 'node',
        node,
        targets,
        since: earliest(cross, ctx.obs.nowMs),
        evidence: ev,
        steps,
        ...(compared ? {} : { status: 'unknown' as const, needs: 'a probe of a target on the same node, the host-network DaemonSet (overlays/host-network), or the fleet view (netprobe diagnose --prometheus URL)' }),
      }),
    );
  }
}


/** Rows by where they ran: "NODE" (the pod network) or "NODE (host network)". */
function byVantage(rows: readonly Observation[]): Map<string, Observation[]> {
  const out = new Map<string, Observation[]>();
  for (const r of rows) {
    const who = r.vantage === 'host' ? `${r.sourceNode} (host network)` : r.sourceNode;
    out.set(who, [...(out.get(who) ?? []), r]);
  }
  return out;
}
