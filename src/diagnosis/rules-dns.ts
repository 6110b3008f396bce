// DNS rules, per source node: F6 (upstream), F7 (one replica), F1 (conntrack
// race), F2 (VIP not translated). Run in this order: each marks what it
// explains, so a later rule does not turn an explained symptom into a verdict
// of its own (external names failing under F6 are not a VIP problem; the VIP's
// failing share under F7 is not F2; parallel stalls under F1 are not loss).
import { byNode, evidence, explain, groupBy, how, unexplained, verdict, type RuleContext } from './evidence.ts';
import { BARS, earliest, failRatio, isClean, sum, type DnsObservation } from './observations.ts';
import type { Evidence } from './types.ts';
import { f1Steps, f2Steps, f6Steps, f7Steps } from './steps.ts';

type Agg = { runs: number; failed: number; firstBadMs: number | null };

const ratio = (a: Agg): number => (a.runs > 0 ? a.failed / a.runs : 0);
const aggFailing = (a: Agg): boolean => a.runs >= BARS.minRuns && a.failed >= 2 && ratio(a) >= BARS.failing;
const aggClean = (a: Agg): boolean => a.runs >= BARS.minRuns && ratio(a) <= BARS.clean;

/** F6: on one server, external names fail while cluster names answer. */
export function ruleF6(ctx: RuleContext): void {
  for (const [node, rows] of byNode(unexplained(ctx, ctx.obs.dns))) {
    const servers: string[] = [];
    const ev = [];
    const explained: DnsObservation[] = [];
    // The VIP spreads lookups over the replicas; with one replica down its failures
    // split by class at random and can look like F6 over a few runs. So where this
    // node probes the endpoints, F6 on the VIP needs an endpoint showing the split too
    // (every CoreDNS pod forwards to the same upstream).
    // Cluster names must be answering now, too: a replica that just died still has a
    // window of answered cluster lookups behind its first failures.
    const answering = (list: readonly DnsObservation[]): boolean => aggClean(sum(list)) && !list.some((r) => r.lastFailed);
    const split = (list: readonly DnsObservation[]): boolean =>
      aggFailing(sum(list.filter((r) => r.nameClass === 'external'))) && answering(list.filter((r) => r.nameClass === 'cluster'));
    const epGroups = [...groupBy(rows.filter((r) => r.targetKind === 'endpoint'), (r) => r.target).values()];
    const endpointsAgree = epGroups.length === 0 || epGroups.some(split);
    for (const [server, list] of groupBy(rows, (r) => r.target)) {
      if (list[0]!.targetKind === 'service_vip' && !endpointsAgree) continue;
      const external = list.filter((r) => r.nameClass === 'external');
      const cluster = list.filter((r) => r.nameClass === 'cluster');
      const ext = sum(external);
      const clu = sum(cluster);
      if (!aggFailing(ext) || !answering(cluster)) continue;
      servers.push(server);
      explained.push(...external);
      ev.push(evidence(`${node}: external-name lookups failing via ${server}`, ratio(ext), '>=', BARS.failing, 'ratio'));
      ev.push(evidence(`${node}: cluster-name lookups failing via ${server}`, ratio(clu), '<=', BARS.clean, 'ratio'));
    }
    if (servers.length === 0) continue;
    explain(ctx, explained);
    ctx.verdicts.push(
      verdict({
        failure: 'F6',
        title: `upstream DNS broken: external names time out via ${servers.join(', ')} while cluster names resolve`,
        scope: 'node',
        node,
        targets: servers,
        since: earliest(explained, ctx.obs.nowMs),
        evidence: ev,
        steps: f6Steps(servers),
      }),
    );
  }
}

/** Endpoint rows of one node, summed per endpoint. */
function endpoints(rows: readonly DnsObservation[]): Map<string, { rows: DnsObservation[]; agg: Agg }> {
  const out = new Map<string, { rows: DnsObservation[]; agg: Agg }>();
  for (const [target, list] of groupBy(rows.filter((r) => r.targetKind === 'endpoint'), (r) => r.target)) out.set(target, { rows: list, agg: sum(list) });
  return out;
}

/** Nodes where F7 holds, for F1 (a dead replica behind the VIP stalls reopen-mode retries too). */
const F7_NODES = new WeakMap<RuleContext, Set<string>>();

/** F7: one (or some) CoreDNS endpoints fail from a node while another answers. */
export function ruleF7(ctx: RuleContext): void {
  const nodes = new Set<string>();
  F7_NODES.set(ctx, nodes);
  for (const [node, rows] of byNode(unexplained(ctx, ctx.obs.dns))) {
    const eps = endpoints(rows);
    // Fleet: an endpoint other nodes reach cleanly is alive; failing from here is the path (F3, F8), not the replica.
    const aliveElsewhere = (t: string): boolean =>
      ctx.obs.fleet && ctx.obs.dns.some((o) => o.sourceNode !== node && o.target === t && o.targetKind === 'endpoint' && isClean(o));
    const failing = [...eps].filter(([t, e]) => aggFailing(e.agg) && !aliveElsewhere(t));
    const clean = [...eps].filter(([, e]) => aggClean(e.agg));
    if (failing.length === 0 || clean.length === 0) continue;
    nodes.add(node);
    const ev = [
      ...failing.map(([t, e]) => evidence(`${node}: lookups failing at endpoint ${t}`, ratio(e.agg), '>=', BARS.failing, 'ratio')),
      ...clean.map(([t, e]) => evidence(`${node}: lookups failing at endpoint ${t}`, ratio(e.agg), '<=', BARS.clean, 'ratio')),
    ];
    const vip = sum(rows.filter((r) => r.targetKind === 'service_vip'));
    if (vip.runs > 0) ev.push(evidence(`${node}: lookups failing via the Service VIP (explained: share of replicas down)`, ratio(vip), '>=', 0, 'ratio'));
    const failingRows = failing.flatMap(([, e]) => e.rows);
    explain(ctx, failingRows);
    const targets = failing.map(([t]) => t);
    ctx.verdicts.push(
      verdict({
        failure: 'F7',
        title: `CoreDNS replica unhealthy: ${targets.join(', ')} failing while ${clean.map(([t]) => t).join(', ')} answer`,
        scope: 'target',
        node,
        targets,
        since: earliest(failingRows, ctx.obs.nowMs),
        evidence: ev,
        steps: f7Steps(targets),
      }),
    );
  }
}

const COMPARISONS = new Set(['udp/reopen', 'udp/sequential', 'udp/single', 'tcp']);

/** F1: parallel (one socket, A+AAAA) stalls on a server while reopen-mode / TCP lookups to it do not. */
export function ruleF1(ctx: RuleContext): void {
  const f7 = F7_NODES.get(ctx) ?? new Set<string>();
  for (const [node, rows] of byNode(unexplained(ctx, ctx.obs.dns))) {
    const found = { firing: new Finding(), unknown: new Finding() };
    for (const [server, list] of groupBy(rows, (r) => r.target)) {
      const parallel = list.filter((r) => r.transport === 'udp' && r.mode === 'parallel');
      let runs = 0;
      let stalls = 0;
      for (const r of parallel) {
        runs += r.runs;
        stalls += r.stalls;
      }
      const pRatio = runs > 0 ? stalls / runs : 0;
      if (runs < BARS.minRuns || stalls < 2 || pRatio < BARS.failing) continue;
      const groups = [...groupBy(list.filter((r) => COMPARISONS.has(how(r))), how)].map(([h, g]) => {
        const n = g.reduce((t, r) => t + r.runs, 0);
        const s = g.reduce((t, r) => t + r.stalls, 0);
        return { how: h, runs: n, ratio: n > 0 ? s / n : 0 };
      });
      const usable = groups.filter((g) => g.runs >= BARS.minRuns);
      const here = evidence(`${node}: stalled lookups ${server} udp/parallel`, pRatio, '>=', BARS.failing, 'ratio');
      if (usable.length === 0) {
        found.unknown.add(server, parallel, [here]);
        continue;
      }
      // Under F7 a retry from a fresh socket may land on the dead replica too,
      // so reopen-mode stalls are excused there; TCP (no retry over UDP) is not.
      const excused = (g: { how: string; ratio: number }): boolean => f7.has(node) && g.how.startsWith('udp/') && g.ratio > BARS.clean;
      const clean = usable.filter((g) => g.ratio <= BARS.clean);
      const dirty = usable.filter((g) => g.ratio > BARS.clean && !excused(g));
      if (clean.length === 0 || dirty.length > 0) continue; // stalls everywhere: loss, not the race
      const ev = [here];
      for (const g of usable) {
        ev.push(
          excused(g)
            ? evidence(`${node}: stalled lookups ${server} ${g.how} (explained by F7)`, g.ratio, '>=', 0, 'ratio')
            : evidence(`${node}: stalled lookups ${server} ${g.how}`, g.ratio, '<=', BARS.clean, 'ratio'),
        );
      }
      found.firing.add(server, parallel, ev);
    }
    for (const status of ['firing', 'unknown'] as const) {
      const f = found[status];
      if (f.servers.length === 0) continue;
      explain(ctx, f.rows);
      const servers = f.servers.join(', ');
      ctx.verdicts.push(
        verdict({
          failure: 'F1',
          title:
            status === 'unknown'
              ? `lookups via ${servers} stall in parallel mode; with no reopen/TCP probe to compare, the conntrack race cannot be told from loss`
              : `conntrack insert race on UDP DNS via ${servers}: parallel A+AAAA lookups stall, reopen/TCP do not`,
          scope: 'node',
          node,
          targets: f.servers,
          since: earliest(f.rows, ctx.obs.nowMs),
          evidence: f.evidence,
          steps: f1Steps(f.servers),
          ...(status === 'unknown' ? { status, needs: 'a udp reopen-mode or tcp probe of the same server from the same node' } : {}),
        }),
      );
    }
  }
}

class Finding {
  servers: string[] = [];
  rows: DnsObservation[] = [];
  evidence: Evidence[] = [];
  add(server: string, rows: DnsObservation[], ev: Evidence[]): void {
    this.servers.push(server);
    this.rows.push(...rows);
    this.evidence.push(...ev);
  }
}

/** F2: the Service VIP fails from a node while that node's direct endpoint probes answer. */
export function ruleF2(ctx: RuleContext): void {
  for (const [node, all] of byNode(ctx.obs.dns)) {
    const rows = unexplained(ctx, all);
    const vips = groupBy(rows.filter((r) => r.targetKind === 'service_vip'), (r) => r.target);
    const eps = endpoints(all.filter((r) => r.nameClass !== 'external' || !ctx.explained.has(r)));
    const measured = [...eps.values()].filter((e) => e.agg.runs >= BARS.minRuns);
    // Endpoints not clean (not only those already failing): a replica that just died has a failure or
    // two before it counts as failing, and the VIP's share of it must not look like F2 meanwhile.
    const failingShare = measured.length > 0 ? measured.filter((e) => !aggClean(e.agg)).length / measured.length : 0;
    const clean = [...eps].filter(([, e]) => aggClean(e.agg));
    for (const [vip, list] of vips) {
      const v = sum(list);
      const bar = Math.max(0.5, failingShare + BARS.vipMargin);
      // The VIP's share over all its series, or, when every endpoint is clean and the latest
      // lookup of every VIP series failed, its worst series: series at 30 s intervals carry
      // minutes of healthy history that would otherwise hold a fresh fault under the bar for
      // a minute or more. (With a replica down, F7, the VIP fails by chance: no shortcut.)
      const allLatestFailed = failingShare === 0 && list.every((r) => r.lastFailed);
      const worst = allLatestFailed ? Math.max(0, ...list.filter((r) => r.runs >= BARS.minRuns).map((r) => failRatio(r))) : 0;
      const share = Math.max(ratio(v), worst);
      if (!(v.runs >= BARS.minRuns && v.failed >= 2 && share >= bar)) continue;
      const ev = [evidence(`${node}: lookups failing via the Service VIP ${vip}${share > ratio(v) ? ' (worst series; the latest lookup of each failed)' : ''}`, share, '>=', bar, 'ratio')];
      if (eps.size === 0) {
        explain(ctx, list);
        ctx.verdicts.push(
          verdict({
            failure: 'F2',
            title: `lookups via the Service VIP ${vip} fail; no direct endpoint probe to tell kube-proxy from CoreDNS`,
            scope: 'node',
            node,
            targets: [vip],
            since: v.firstBadMs ?? ctx.obs.nowMs,
            evidence: ev,
            steps: f2Steps([vip], node),
            status: 'unknown',
            needs: 'direct CoreDNS endpoint probes (target_kind endpoint, e.g. servers: [kubernetes:dns-endpoints]) from the same node',
          }),
        );
        continue;
      }
      if (clean.length === 0) continue; // endpoints fail too (or too few runs yet): not the translation (F3, F7 or CoreDNS down)
      for (const [t, e] of clean) ev.push(evidence(`${node}: lookups failing at endpoint ${t} (direct, no NAT)`, ratio(e.agg), '<=', BARS.clean, 'ratio'));
      explain(ctx, list);
      ctx.verdicts.push(
        verdict({
          failure: 'F2',
          title: `Service VIP ${vip} not translated on ${node}: lookups via the VIP fail while the CoreDNS pods answer directly`,
          scope: 'node',
          node,
          targets: [vip],
          since: v.firstBadMs ?? ctx.obs.nowMs,
          evidence: ev,
          steps: f2Steps([vip], node),
        }),
      );
    }
  }
}
