// A three-hop path for `netprobe trace` and mtr, dual-stack:
//
//   client --1500-- r1 --1500-- r2 --midMtu-- far
//   hop 1 = r1, hop 2 = r2, hop 3 = far
//
// r2 is the middle hop: it lowers the MTU (its link to far), drops a share of
// what reaches it (loss starting at hop 2), or filters its own
// frag-needed / Packet Too Big (a black hole at hop 2). IPv6 uses
// 2001:db8::/32 inside the namespaces only. ICMP rate limits are off on every
// router so fast rounds are not mistaken for loss.
import type { Lab } from './lab.ts';

export interface HopLab {
  lab: Lab;
  clientNs: string;
  r1Ns: string;
  r2Ns: string;
  farNs: string;
  /** Hop addresses as the client sees them (the router's address facing the client). */
  hops: [string, string, string];
  hops6: [string, string, string];
  farIp: string;
  farIp6: string;
  midMtu: number;
}

const TABLE = 'np_hops';

export async function buildHopLab(lab: Lab, options: { midMtu?: number } = {}): Promise<HopLab> {
  const midMtu = options.midMtu ?? 1500;
  const clientNs = await lab.addNamespace('client');
  const r1Ns = await lab.addNamespace('r1');
  const r2Ns = await lab.addNamespace('r2');
  const farNs = await lab.addNamespace('far');
  const links = [
    { a: clientNs, b: r1Ns, v4: ['198.18.10.1/30', '198.18.10.2/30'], v6: ['2001:db8:10::1/64', '2001:db8:10::2/64'], mtu: 1500 },
    { a: r1Ns, b: r2Ns, v4: ['198.18.11.1/30', '198.18.11.2/30'], v6: ['2001:db8:11::1/64', '2001:db8:11::2/64'], mtu: 1500 },
    { a: r2Ns, b: farNs, v4: ['198.18.12.1/30', '198.18.12.2/30'], v6: ['2001:db8:12::1/64', '2001:db8:12::2/64'], mtu: midMtu },
  ];
  for (const ns of [clientNs, r1Ns, r2Ns, farNs]) {
    // No duplicate-address detection delay, no router solicitations of their own.
    await lab.sysctl(ns, 'net.ipv6.conf.all.accept_dad', '0');
    await lab.sysctl(ns, 'net.ipv6.conf.default.accept_dad', '0');
    await lab.sysctl(ns, 'net.ipv4.icmp_ratelimit', '0');
    await lab.sysctl(ns, 'net.ipv6.icmp.ratelimit', '0');
  }
  for (const l of links) {
    const pair = await lab.addVeth({ ns: l.a, address: l.v4[0], mtu: l.mtu }, { ns: l.b, address: l.v4[1], mtu: l.mtu });
    await lab.exec(l.a, ['ip', '-6', 'address', 'add', l.v6[0]!, 'dev', pair.a, 'nodad']);
    await lab.exec(l.b, ['ip', '-6', 'address', 'add', l.v6[1]!, 'dev', pair.b, 'nodad']);
  }
  const route = async (ns: string, args: string[]) => lab.exec(ns, ['ip', ...args]);
  await route(clientNs, ['route', 'add', 'default', 'via', '198.18.10.2']);
  await route(clientNs, ['-6', 'route', 'add', 'default', 'via', '2001:db8:10::2']);
  await route(r1Ns, ['route', 'add', '198.18.12.0/30', 'via', '198.18.11.2']);
  await route(r1Ns, ['-6', 'route', 'add', '2001:db8:12::/64', 'via', '2001:db8:11::2']);
  await route(r2Ns, ['route', 'add', '198.18.10.0/30', 'via', '198.18.11.1']);
  await route(r2Ns, ['-6', 'route', 'add', '2001:db8:10::/64', 'via', '2001:db8:11::1']);
  await route(farNs, ['route', 'add', 'default', 'via', '198.18.12.1']);
  await route(farNs, ['-6', 'route', 'add', 'default', 'via', '2001:db8:12::1']);
  for (const ns of [r1Ns, r2Ns]) {
    await lab.sysctl(ns, 'net.ipv4.ip_forward', '1');
    await lab.sysctl(ns, 'net.ipv6.conf.all.forwarding', '1');
  }
  return {
    lab,
    clientNs,
    r1Ns,
    r2Ns,
    farNs,
    hops: ['198.18.10.2', '198.18.11.2', '198.18.12.2'],
    hops6: ['2001:db8:10::2', '2001:db8:11::2', '2001:db8:12::2'],
    farIp: '198.18.12.2',
    farIp6: '2001:db8:12::2',
    midMtu,
  };
}

/**
 * Faults on r2, the middle hop (replacing any earlier one):
 * - loss: drops every `lossEvery`-th packet arriving from the client side
 *   (deterministic, so a short run still shows it), its own answers included;
 * - silentTooBig: drops the frag-needed / Packet Too Big it generates (black hole);
 * - forward: drops (silence past hop 2) or rejects with host-unreachable what
 *   it would forward to far. Its own "time exceeded" still goes out: a router
 *   checks the TTL before the forward hook.
 */
export async function setMiddleHopFault(
  h: HopLab,
  fault: { lossEvery?: number; silentTooBig?: boolean; forward?: 'drop' | 'reject' },
): Promise<void> {
  await clearMiddleHopFault(h);
  const rules: string[] = [];
  if (fault.forward !== undefined) {
    const verdict = fault.forward === 'drop' ? 'drop' : 'reject with icmpx type host-unreachable';
    rules.push('  chain forward_filter {', '    type filter hook forward priority 0; policy accept;');
    rules.push(`    ip daddr 198.18.12.2 ${verdict}`, `    ip6 daddr 2001:db8:12::2 ${verdict}`, '  }');
  }
  if (fault.lossEvery !== undefined) {
    rules.push('  chain pre {', '    type filter hook prerouting priority -300; policy accept;');
    rules.push(`    ip saddr 198.18.10.1 numgen inc mod ${fault.lossEvery} 0 drop`);
    rules.push(`    ip6 saddr 2001:db8:10::1 numgen inc mod ${fault.lossEvery} 0 drop`);
    rules.push('  }');
  }
  if (fault.silentTooBig) {
    rules.push('  chain out {', '    type filter hook output priority 0; policy accept;');
    rules.push('    icmp type destination-unreachable icmp code frag-needed drop');
    rules.push('    icmpv6 type packet-too-big drop');
    rules.push('  }');
  }
  await h.lab.nft(h.r2Ns, [`table inet ${TABLE} {`, ...rules, '}'].join('\n'));
}

export async function clearMiddleHopFault(h: HopLab): Promise<void> {
  const listed = await h.lab.nftCommand(h.r2Ns, ['list', 'table', 'inet', TABLE], { allowFailure: true });
  if (listed.code === 0) await h.lab.nftCommand(h.r2Ns, ['delete', 'table', 'inet', TABLE]);
}
