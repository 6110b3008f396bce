// Fault injectors for the Service VIP lab, each with its undo. Every fault is a
// real kernel or process state change (nftables rules, routes, a stopped
// server), never a mock: the probe sees what it would see on a broken node.
import type { ServiceVipLab } from './service-vip.ts';

const CONNTRACK_RACE_TABLE = 'np_f1';

export interface ConntrackRaceOptions {
  /**
   * Chance that a racing second query is lost, in (0, 1]. 1 (default) loses it
   * every time: the deterministic form of the race; 0.5 loses about half.
   */
  probability?: number;
}

/** The F1 rule set for the DNS server's namespace. */
export function conntrackRaceRuleset(probability = 1): string {
  if (!(probability > 0 && probability <= 1)) throw new Error(`injectConntrackRace: probability must be in (0, 1], got ${probability}`);
  const percent = Math.round(probability * 100);
  const chance = percent >= 100 ? '' : ` numgen random mod 100 < ${percent}`;
  return [
    `table inet ${CONNTRACK_RACE_TABLE} {`,
    '  chain pre {',
    // After conntrack (-200), so the flow's packet counters are known.
    '    type filter hook prerouting priority 0; policy accept;',
    // A second query on a flow that has not been answered yet: what loses the
    // conntrack insert race when A and AAAA leave one socket back-to-back through DNAT.
    `    udp dport 53 ct original packets 2 ct reply packets 0${chance} drop`,
    '  }',
    '}',
  ].join('\n');
}

/**
 * F1, the conntrack insert race on UDP DNS. The drop sits in the receiver's
 * namespace: in the sender's own OUTPUT hook a drop returns EPERM to the socket
 * instead of a silent loss.
 */
export async function injectConntrackRace(vipLab: ServiceVipLab, options: ConntrackRaceOptions = {}): Promise<void> {
  await removeConntrackRace(vipLab);
  await vipLab.lab.nft(vipLab.dnsNs, conntrackRaceRuleset(options.probability));
}

export async function removeConntrackRace(vipLab: ServiceVipLab): Promise<void> {
  await deleteTableIfPresent(vipLab, vipLab.dnsNs, 'inet', CONNTRACK_RACE_TABLE);
}

/** F2: kube-proxy's translation gone on this node; queries to the VIP go nowhere and time out. */
export async function removeVipDnat(vipLab: ServiceVipLab): Promise<void> {
  await deleteTableIfPresent(vipLab, vipLab.nodeNs, 'ip', 'kp');
}

export async function restoreVipDnat(vipLab: ServiceVipLab): Promise<void> {
  await removeVipDnat(vipLab);
  await vipLab.lab.nft(vipLab.nodeNs, vipLab.healthy.dnatRuleset);
}

/** F3: the route to the DNS pods' subnet (another node's pod CIDR) is missing. */
export async function deleteRoute(vipLab: ServiceVipLab): Promise<void> {
  await vipLab.lab.deleteRoute(vipLab.nodeNs, vipLab.healthy.podRoute.dst);
}

export async function restoreRoute(vipLab: ServiceVipLab): Promise<void> {
  const { dst, gateway } = vipLab.healthy.podRoute;
  await vipLab.lab.addRoute(vipLab.nodeNs, dst, { gateway });
}

/** F7: one DNS replica down (its IP still routed; queries get port unreachable). */
export async function stopDnsServer(vipLab: ServiceVipLab, replica = 0): Promise<void> {
  const server = vipLab.dnsServers[replica];
  if (!server) throw new Error(`stopDnsServer: no replica ${replica}`);
  await server.relay?.stop();
  await server.process.stop();
}

const UPSTREAM_OUTAGE_TABLE = 'np_f6';

/**
 * F6: the upstream resolver stops answering (dropped silently on arrival, so the
 * DNS pods wait and the client times out). Cluster names keep resolving.
 * Needs a lab built with `upstream: true`.
 */
export async function breakUpstream(vipLab: ServiceVipLab): Promise<void> {
  const upstream = requireUpstream(vipLab);
  await restoreUpstream(vipLab);
  await vipLab.lab.nft(
    upstream.ns,
    [
      `table inet ${UPSTREAM_OUTAGE_TABLE} {`,
      '  chain in {',
      '    type filter hook input priority 0; policy accept;',
      '    udp dport 53 drop',
      '    tcp dport 53 drop',
      '  }',
      '}',
    ].join('\n'),
  );
}

export async function restoreUpstream(vipLab: ServiceVipLab): Promise<void> {
  await deleteTableIfPresent(vipLab, requireUpstream(vipLab).ns, 'inet', UPSTREAM_OUTAGE_TABLE);
}

function requireUpstream(vipLab: ServiceVipLab): NonNullable<ServiceVipLab['upstream']> {
  if (!vipLab.upstream) throw new Error('F6 needs a Service VIP lab built with { upstream: true }');
  return vipLab.upstream;
}

async function deleteTableIfPresent(vipLab: ServiceVipLab, ns: string, family: string, table: string): Promise<void> {
  const listed = await vipLab.lab.nftCommand(ns, ['list', 'table', family, table], { allowFailure: true });
  if (listed.code === 0) await vipLab.lab.nftCommand(ns, ['delete', 'table', family, table]);
}
