// F8, a node that joins the cluster broken: another "node" namespace attached to
// an existing Service VIP lab's DNS namespace, wired like the first node but with
// what a young node often lacks left out: kube-proxy has not programmed the VIP
// DNAT yet, and/or the route to the other nodes' pod subnet (where the DNS pods
// live) is missing.
//
//   root ns --veth-- node ns (healthy, from buildServiceVipLab) --veth--+
//                                                                        +-- dns ns (shared DNS pods)
//   root ns --veth-- node ns (joined: this file)               --veth--+
//
// Both nodes reach the same DNS pods, so a difference between their netprobe
// series is the node's fault, not the DNS servers'.
import { run } from './exec.ts';
import { intToIp, ipToInt, POD_SUBNET, SERVICE_RANGE, type ServiceVipLab } from './service-vip.ts';

export interface JoinNodeOptions {
  /** kube-proxy has programmed the VIP DNAT on this node (default false: not yet). */
  vipDnat?: boolean;
  /** The route to the DNS pods' subnet exists (default false: missing). */
  podRoute?: boolean;
}

export interface JoinedNode {
  /** Namespace of the new node: run a second daemon here. */
  nodeNs: string;
  /** The node's address on its link to the DNS namespace (the probe's source address). */
  nodeIp: string;
  /** The DNS namespace's address on that link (the pod route's gateway). */
  gatewayIp: string;
  /** Node-side address of its own root<->node link: scrape its daemon at http://<nodeHttpIp>:PORT/. */
  nodeHttpIp: string;
  rootIp: string;
  links: { nodeToDns: { node: string; dns: string }; rootToNode: { root: string; node: string } };
  /** What was built: false = left out (the node is broken that way). */
  vipDnat: boolean;
  podRoute: boolean;
}

/** Node<->dns /30s for joined nodes: 198.18.0.8/30, .12/30, ... (.0/30 is the first node, .4/30 the upstream link). */
const JOIN_LINK_BASE = ipToInt('198.18.0.8');
const MAX_JOINED = 8;
const joinedCount = new WeakMap<ServiceVipLab, number>();

/** Root<->node /30s come from the same pool as buildServiceVipLab's (198.18.192.0/18), skipping used ones. */
const ROOT_POOL_BASE = ipToInt('198.18.192.0');
const ROOT_POOL_SLOTS = 4096;

/**
 * Adds a node namespace to `vipLab` that shares its DNS pods. By default it is a
 * node that joined broken (no VIP DNAT, no pod route); `{ vipDnat: true, podRoute: true }`
 * gives a healthy second node. `healJoinedNode` later programs what was missing.
 */
export async function joinNode(vipLab: ServiceVipLab, options: JoinNodeOptions = {}): Promise<JoinedNode> {
  const { lab } = vipLab;
  const index = joinedCount.get(vipLab) ?? 0;
  if (index >= MAX_JOINED) throw new Error(`joinNode: at most ${MAX_JOINED} joined nodes per Service VIP lab`);
  joinedCount.set(vipLab, index + 1);

  const linkBase = JOIN_LINK_BASE + index * 4;
  const nodeIp = intToIp(linkBase + 1);
  const gatewayIp = intToIp(linkBase + 2);
  const nodeNs = await lab.addNamespace(`node${index + 2}`);
  const nodeToDns = await lab.addVeth({ ns: nodeNs, address: `${nodeIp}/30` }, { ns: vipLab.dnsNs, address: `${gatewayIp}/30` });
  // As on the first node: without a route covering the VIP the kernel reports
  // "network unreachable" before output NAT runs, so a missing DNAT would look
  // like a missing route. The Service range route is the node's, not kube-proxy's.
  // Via the DNS namespace, not on-link: an untranslated VIP packet then reaches
  // it and is dropped there (no forwarding: timeout), instead of waiting on ARP
  // for the VIP, whose failure sends "host unreachable" to whichever query is
  // pending at that moment (a network_error now and then).
  await lab.addRoute(nodeNs, SERVICE_RANGE, { gateway: gatewayIp });

  const slot = await freeRootSlot(lab.index + index + 1);
  const rootIp = intToIp(slot + 1);
  const nodeHttpIp = intToIp(slot + 2);
  const rootToNode = await lab.addVeth({ ns: null, address: `${rootIp}/30` }, { ns: nodeNs, address: `${nodeHttpIp}/30` });

  const node: JoinedNode = {
    nodeNs,
    nodeIp,
    gatewayIp,
    nodeHttpIp,
    rootIp,
    links: { nodeToDns: { node: nodeToDns.a, dns: nodeToDns.b }, rootToNode: { root: rootToNode.a, node: rootToNode.b } },
    vipDnat: false,
    podRoute: false,
  };
  await healJoinedNode(vipLab, node, { vipDnat: options.vipDnat ?? false, podRoute: options.podRoute ?? false });
  return node;
}

/**
 * Programs what the joined node lacks (kube-proxy catching up, the CNI adding the
 * route): `{ vipDnat: true }` loads the first node's DNAT ruleset, `{ podRoute: true }`
 * adds the route to the DNS pods. Parts already present are left as they are.
 */
export async function healJoinedNode(vipLab: ServiceVipLab, node: JoinedNode, parts: JoinNodeOptions = { vipDnat: true, podRoute: true }): Promise<void> {
  if (parts.podRoute && !node.podRoute) {
    await vipLab.lab.addRoute(node.nodeNs, POD_SUBNET, { gateway: node.gatewayIp });
    node.podRoute = true;
  }
  if (parts.vipDnat && !node.vipDnat) {
    await vipLab.lab.nft(node.nodeNs, vipLab.healthy.dnatRuleset);
    node.vipDnat = true;
  }
}

/** A root<->node /30 not addressed in the root namespace yet. */
async function freeRootSlot(salt: number): Promise<number> {
  const used = new Set<number>();
  const addrs = await run(['ip', '-o', '-4', 'address', 'show']);
  for (const match of addrs.stdout.matchAll(/inet (\d+\.\d+\.\d+\.\d+)\//g)) used.add((ipToInt(match[1]!) & ~3) >>> 0);
  // A different walk from buildServiceVipLab's (pid * 7 + lab * 131), so the two rarely race for one slot.
  const start = (process.pid * 13 + salt * 257 + 2048) % ROOT_POOL_SLOTS;
  for (let i = 0; i < ROOT_POOL_SLOTS; i++) {
    const base = ROOT_POOL_BASE + ((start + i) % ROOT_POOL_SLOTS) * 4;
    if (!used.has(base)) return base;
  }
  throw new Error('joinNode: no free root<->node address in 198.18.192.0/18');
}
