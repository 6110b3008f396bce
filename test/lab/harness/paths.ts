// Topologies for path-MTU work (F4, F5):
//
//   router lab:  client --1500-- router --farMtu-- far
//   tunnel lab:  left ==underlay veth 1500== right, plus a vxlan/ipip tunnel between them
//
// The router lab is where a hop sends "fragmentation needed" (or, with
// dropFragNeeded, silently does not); the tunnel lab gives real encapsulation
// overhead (VXLAN 50 B, IP-in-IP 20 B).
import type { Lab } from './lab.ts';

export interface RouterLabOptions {
  /** MTU of the router<->far link (both ends). Default 1400. */
  farMtu?: number;
  /** F5: the router drops the ICMP "fragmentation needed" it generates (a PMTU black hole). */
  dropFragNeeded?: boolean;
}

export interface RouterLab {
  lab: Lab;
  clientNs: string;
  routerNs: string;
  farNs: string;
  clientIp: string;
  /** The router's address facing the client: the source of "frag needed". */
  routerClientIp: string;
  routerFarIp: string;
  farIp: string;
  farMtu: number;
  links: { clientToRouter: { client: string; router: string }; routerToFar: { router: string; far: string } };
}

const PMTU_BLACKHOLE_TABLE = 'np_f5';

export async function buildRouterLab(lab: Lab, options: RouterLabOptions = {}): Promise<RouterLab> {
  const farMtu = options.farMtu ?? 1400;
  if (!Number.isInteger(farMtu) || farMtu < 576 || farMtu > 1500) throw new Error(`buildRouterLab: farMtu must be 576..1500, got ${farMtu}`);
  const clientNs = await lab.addNamespace('client');
  const routerNs = await lab.addNamespace('router');
  const farNs = await lab.addNamespace('far');
  const clientToRouter = await lab.addVeth({ ns: clientNs, address: '198.18.1.1/30' }, { ns: routerNs, address: '198.18.1.2/30' });
  const routerToFar = await lab.addVeth(
    { ns: routerNs, address: '198.18.2.1/30', mtu: farMtu },
    { ns: farNs, address: '198.18.2.2/30', mtu: farMtu },
  );
  await lab.addRoute(clientNs, 'default', { gateway: '198.18.1.2' });
  await lab.addRoute(farNs, 'default', { gateway: '198.18.2.1' });
  await lab.sysctl(routerNs, 'net.ipv4.ip_forward', '1');
  // The per-destination ICMP rate limit would turn a fast MTU sweep's frag-needed
  // replies into silence, which looks exactly like a black hole.
  await lab.sysctl(routerNs, 'net.ipv4.icmp_ratelimit', '0');
  const routerLab: RouterLab = {
    lab,
    clientNs,
    routerNs,
    farNs,
    clientIp: '198.18.1.1',
    routerClientIp: '198.18.1.2',
    routerFarIp: '198.18.2.1',
    farIp: '198.18.2.2',
    farMtu,
    links: { clientToRouter: { client: clientToRouter.a, router: clientToRouter.b }, routerToFar: { router: routerToFar.a, far: routerToFar.b } },
  };
  if (options.dropFragNeeded) await injectPmtuBlackhole(routerLab);
  return routerLab;
}

/** F5 on an existing router lab: drop ICMP type 3 code 4 leaving or crossing the router. */
export async function injectPmtuBlackhole(routerLab: RouterLab): Promise<void> {
  await removePmtuBlackhole(routerLab);
  await routerLab.lab.nft(
    routerLab.routerNs,
    [
      `table inet ${PMTU_BLACKHOLE_TABLE} {`,
      '  chain frag_out {',
      '    type filter hook output priority 0; policy accept;',
      '    icmp type destination-unreachable icmp code frag-needed drop',
      '  }',
      '  chain frag_fwd {',
      '    type filter hook forward priority 0; policy accept;',
      '    icmp type destination-unreachable icmp code frag-needed drop',
      '  }',
      '}',
    ].join('\n'),
  );
}

export async function removePmtuBlackhole(routerLab: RouterLab): Promise<void> {
  const { lab, routerNs } = routerLab;
  const listed = await lab.nftCommand(routerNs, ['list', 'table', 'inet', PMTU_BLACKHOLE_TABLE], { allowFailure: true });
  if (listed.code === 0) await lab.nftCommand(routerNs, ['delete', 'table', 'inet', PMTU_BLACKHOLE_TABLE]);
}

export type TunnelType = 'vxlan' | 'ipip';

/** Thrown when the running kernel lacks a device type (e.g. CONFIG_NET_IPIP unset). */
export class LabUnsupportedError extends Error {
  readonly code = 'LAB_UNSUPPORTED';
  constructor(message: string) {
    super(message);
    this.name = 'LabUnsupportedError';
  }
}

export interface TunnelLabOptions {
  type: TunnelType;
  /** Underlay MTU (both ends); default 1500, the host NIC. */
  underlayMtu?: number;
}

export interface TunnelLab {
  lab: Lab;
  type: TunnelType;
  leftNs: string;
  rightNs: string;
  /** Underlay (host NIC) addresses. */
  leftUnderlayIp: string;
  rightUnderlayIp: string;
  /** Addresses on the tunnel device (pod-network side). */
  leftIp: string;
  rightIp: string;
  /** Tunnel device name inside each namespace. */
  tunnelDev: string;
  /** MTU the kernel gave the tunnel device: underlay minus encapsulation overhead. */
  tunnelMtu: number;
  underlayMtu: number;
}

const TUNNEL_DEV = 'nptun0';

export async function buildTunnelLab(lab: Lab, options: TunnelLabOptions): Promise<TunnelLab> {
  const underlayMtu = options.underlayMtu ?? 1500;
  const leftNs = await lab.addNamespace('left');
  const rightNs = await lab.addNamespace('right');
  const underlay = await lab.addVeth(
    { ns: leftNs, address: '198.18.3.1/30', mtu: underlayMtu },
    { ns: rightNs, address: '198.18.3.2/30', mtu: underlayMtu },
  );
  const ends = [
    { ns: leftNs, dev: underlay.a, local: '198.18.3.1', remote: '198.18.3.2', address: '198.18.4.1/30' },
    { ns: rightNs, dev: underlay.b, local: '198.18.3.2', remote: '198.18.3.1', address: '198.18.4.2/30' },
  ];
  for (const end of ends) {
    const typeArgs =
      options.type === 'vxlan'
        ? ['type', 'vxlan', 'id', '42', 'local', end.local, 'remote', end.remote, 'dstport', '4789', 'dev', end.dev]
        : ['type', 'ipip', 'local', end.local, 'remote', end.remote, 'dev', end.dev];
    const added = await lab.exec(end.ns, ['ip', 'link', 'add', TUNNEL_DEV, ...typeArgs], { allowFailure: true });
    if (added.code !== 0) {
      if (/unknown device type|not supported/i.test(added.stderr)) {
        throw new LabUnsupportedError(`buildTunnelLab: this kernel cannot create ${options.type} devices (${added.stderr.trim()})`);
      }
      throw new Error(`buildTunnelLab: ip link add ${options.type} failed: ${added.stderr.trim()}`);
    }
    await lab.exec(end.ns, ['ip', 'address', 'add', end.address, 'dev', TUNNEL_DEV]);
    await lab.exec(end.ns, ['ip', 'link', 'set', TUNNEL_DEV, 'up']);
  }
  const shown = await lab.exec(leftNs, ['ip', '-j', 'link', 'show', TUNNEL_DEV]);
  const tunnelMtu = (JSON.parse(shown.stdout) as Array<{ mtu: number }>)[0]?.mtu;
  if (tunnelMtu === undefined) throw new Error(`buildTunnelLab: cannot read the MTU of ${TUNNEL_DEV}`);
  return {
    lab,
    type: options.type,
    leftNs,
    rightNs,
    leftUnderlayIp: '198.18.3.1',
    rightUnderlayIp: '198.18.3.2',
    leftIp: '198.18.4.1',
    rightIp: '198.18.4.2',
    tunnelDev: TUNNEL_DEV,
    tunnelMtu,
    underlayMtu,
  };
}
