// A Kubernetes node's view of the cluster DNS Service, in namespaces:
//
//   root ns (test process) --veth-- node ns (probe runs here) --veth-- dns ns (dnsmasq on a "pod IP")
//
// In the node namespace an nftables DNAT on the output hook stands in for
// kube-proxy (IPVS is not available in this kernel): VIP 198.19.0.10:53 udp/tcp ->
// the DNS pod IP(s). The DNS pods live on a "pod subnet" (198.18.16.0/24) behind
// a route, as on another node, so deleting that route reproduces F3.
import { fileURLToPath } from 'node:url';
import { Lab } from './lab.ts';
import { run } from './exec.ts';
import type { LabProcess } from './exec.ts';
import { dnsmasqArgv, type DnsRecord } from '../../support/dnsmasq.ts';
import { NODE_BIN } from './netprobe.ts';

const RELAY_SCRIPT = fileURLToPath(new URL('./delay-relay.ts', import.meta.url));
/** Backends behind the latency shims: dnsmasq replica i on 127.0.1.(i+1):5353 inside the DNS namespace. */
const BACKEND_PORT = 5353;

export type { DnsRecord } from '../../support/dnsmasq.ts';

export const SERVICE_VIP = '198.19.0.10';
/** Covers the whole Service range, as kube-proxy's routes / the node's default route would. */
export const SERVICE_RANGE = '198.19.0.0/16';
export const POD_SUBNET = '198.18.16.0/24';
const NODE_ADDRESS = '198.18.0.1';
const DNS_HOST_ADDRESS = '198.18.0.2';
/** Root<->node /30 links come from here, one slot per lab, so parallel files never share one. */
const ROOT_POOL_BASE = ipToInt('198.18.192.0');
const ROOT_POOL_SLOTS = 4096; // a /18 of /30s

export const DEFAULT_RECORDS: readonly DnsRecord[] = [
  { name: 'kubernetes.default.svc.cluster.local', a: '198.19.0.1', aaaa: 'fd00:198:19::1' },
  { name: 'kube-dns.kube-system.svc.cluster.local', a: SERVICE_VIP, aaaa: 'fd00:198:19::a' },
  { name: 'netprobe.netprobe.svc.cluster.local', a: '198.19.0.20', aaaa: 'fd00:198:19::14' },
  { name: 'www.example.lab', a: '198.18.17.1', aaaa: 'fd00:198:18:17::1' },
];

export interface ServiceVipLabOptions {
  /** DNS server replicas behind the VIP (DNAT round-robin); default 1. */
  replicas?: number;
  records?: readonly DnsRecord[];
  /** Log every query dnsmasq answers (its stderr, see `dnsServers[i].process`). */
  logQueries?: boolean;
  /**
   * One-way delay added to every query on its way into each DNS pod, like the
   * network hop to a CoreDNS pod on another node (default 20 ms; 0 = dnsmasq
   * listens on the pod IP itself). See delay-relay.ts for why it matters to F1.
   */
  networkDelayMs?: number;
  /**
   * Serve names outside cluster.local from a separate "upstream" server in its own
   * namespace that the DNS pods forward to, so F6 (upstream broken) can be injected.
   */
  upstream?: boolean;
}

export interface UpstreamDns {
  ns: string;
  ip: string;
  process: LabProcess;
  records: readonly DnsRecord[];
}

export interface DnsReplica {
  /** The "pod IP" the server answers on (port 53, UDP and TCP). */
  ip: string;
  /** dnsmasq. */
  process: LabProcess;
  /** The latency shim on the pod IP in front of dnsmasq (absent with networkDelayMs 0). */
  relay?: LabProcess;
}

export interface ServiceVipLab {
  lab: Lab;
  /** Namespace of the node: run the probe / daemon here. */
  nodeNs: string;
  /** Namespace of the DNS pod(s). */
  dnsNs: string;
  vip: string;
  /** Node address on the node<->dns link (the probe's source address). */
  nodeIp: string;
  /** Node-side address of the root<->node link: the test process reaches a daemon's HTTP port here. */
  nodeHttpIp: string;
  /** Root-side address of the root<->node link. */
  rootIp: string;
  links: { nodeToDns: { node: string; dns: string }; rootToNode: { root: string; node: string } };
  dnsServers: DnsReplica[];
  /** Present with `upstream: true`: the server names outside cluster.local are forwarded to. */
  upstream?: UpstreamDns;
  records: readonly DnsRecord[];
  /** Internal: what the fault injectors need to restore the healthy state. */
  readonly healthy: { dnatRuleset: string; podRoute: { dst: string; gateway: string } };
  readonly dnsOptions: ReplicaOptions;
}

interface ReplicaOptions {
  networkDelayMs?: number;
  records: readonly DnsRecord[];
  logQueries: boolean;
  localZones?: readonly string[];
  forwardZones?: readonly { zone: string; server: string }[];
}

const CLUSTER_ZONE = 'cluster.local';
const UPSTREAM_LINK = { dns: '198.18.0.5', upstream: '198.18.0.6' };

export async function buildServiceVipLab(lab: Lab, options: ServiceVipLabOptions = {}): Promise<ServiceVipLab> {
  const replicas = options.replicas ?? 1;
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 8) throw new Error('buildServiceVipLab: replicas must be 1..8');
  const records = options.records ?? DEFAULT_RECORDS;

  const nodeNs = await lab.addNamespace('node');
  const dnsNs = await lab.addNamespace('dns');
  const nodeToDns = await lab.addVeth({ ns: nodeNs, address: `${NODE_ADDRESS}/30` }, { ns: dnsNs, address: `${DNS_HOST_ADDRESS}/30` });

  const podIps = Array.from({ length: replicas }, (_, i) => `198.18.16.${10 + i}`);
  for (const ip of podIps) await lab.addAddress(dnsNs, 'lo', `${ip}/32`);
  const podRoute = { dst: POD_SUBNET, gateway: DNS_HOST_ADDRESS };
  await lab.addRoute(nodeNs, podRoute.dst, { gateway: podRoute.gateway });
  // Without a route covering the VIP the kernel answers "network unreachable" before NAT runs.
  // Via the DNS namespace, not on-link: an untranslated VIP packet (F2) reaches it and
  // is dropped there (no forwarding: timeout), instead of waiting on ARP for the VIP,
  // whose failure sends "host unreachable" to whichever query is pending then.
  await lab.addRoute(nodeNs, SERVICE_RANGE, { gateway: DNS_HOST_ADDRESS });

  const dnatRuleset = vipDnatRuleset(SERVICE_VIP, podIps);
  await lab.nft(nodeNs, dnatRuleset);

  const slot = await freeRootSlot(lab.index);
  const rootIp = intToIp(slot + 1);
  const nodeHttpIp = intToIp(slot + 2);
  const rootToNode = await lab.addVeth({ ns: null, address: `${rootIp}/30` }, { ns: nodeNs, address: `${nodeHttpIp}/30` });

  const logQueries = options.logQueries ?? false;
  const networkDelayMs = options.networkDelayMs ?? 20;
  let dnsOptions: ReplicaOptions = { records, logQueries, networkDelayMs };
  let upstream: UpstreamDns | undefined;
  if (options.upstream) {
    const inCluster = (r: DnsRecord): boolean => r.name === CLUSTER_ZONE || r.name.endsWith(`.${CLUSTER_ZONE}`);
    const external = records.filter((r) => !inCluster(r));
    const zones = [...new Set(external.map((r) => r.name.split('.').at(-1)!))];
    const upstreamNs = await lab.addNamespace('upstream');
    await lab.addVeth({ ns: dnsNs, address: `${UPSTREAM_LINK.dns}/30` }, { ns: upstreamNs, address: `${UPSTREAM_LINK.upstream}/30` });
    const upstreamOptions = { records: external, logQueries, localZones: zones };
    const server = await startReplica(lab, upstreamNs, UPSTREAM_LINK.upstream, upstreamOptions);
    upstream = { ns: upstreamNs, ip: UPSTREAM_LINK.upstream, process: server, records: external };
    dnsOptions = {
      networkDelayMs,
      records: records.filter(inCluster),
      logQueries,
      localZones: [CLUSTER_ZONE],
      forwardZones: zones.map((zone) => ({ zone, server: UPSTREAM_LINK.upstream })),
    };
  }
  const dnsServers: DnsReplica[] = [];
  for (const [i, ip] of podIps.entries()) dnsServers.push(await startPod(lab, dnsNs, ip, i, dnsOptions));

  return {
    lab,
    nodeNs,
    dnsNs,
    vip: SERVICE_VIP,
    nodeIp: NODE_ADDRESS,
    nodeHttpIp,
    rootIp,
    links: { nodeToDns: { node: nodeToDns.a, dns: nodeToDns.b }, rootToNode: { root: rootToNode.a, node: rootToNode.b } },
    dnsServers,
    ...(upstream ? { upstream } : {}),
    records,
    healthy: { dnatRuleset, podRoute },
    dnsOptions,
  };
}

/** kube-proxy's job: VIP:53 (udp and tcp) -> one of the DNS pod IPs. */
export function vipDnatRuleset(vip: string, podIps: readonly string[]): string {
  const target =
    podIps.length === 1 ? podIps[0]! : `numgen inc mod ${podIps.length} map { ${podIps.map((ip, i) => `${i} : ${ip}`).join(', ')} }`;
  return [
    'table ip kp {',
    '  chain out {',
    '    type nat hook output priority -100; policy accept;',
    `    ip daddr ${vip} udp dport 53 dnat to ${target}`,
    `    ip daddr ${vip} tcp dport 53 dnat to ${target}`,
    '  }',
    '}',
  ].join('\n');
}

/** A DNS server on `ip`:53 (the upstream): dnsmasq alone, no shim. */
async function startReplica(lab: Lab, ns: string, ip: string, options: ReplicaOptions): Promise<LabProcess> {
  const { networkDelayMs: _unused, ...dnsmasqOptions } = options;
  const proc = lab.spawn(ns, dnsmasqArgv({ listen: ip, ...dnsmasqOptions }));
  await waitForDns(lab, ns, ip, probeName(options), proc);
  return proc;
}

function probeName(options: ReplicaOptions): string {
  return options.records[0]?.name ?? 'kubernetes.default.svc.cluster.local';
}

/** DNS pod `index` on `ip`:53: dnsmasq behind the latency shim, or dnsmasq alone when the delay is 0. */
async function startPod(lab: Lab, ns: string, ip: string, index: number, options: ReplicaOptions): Promise<DnsReplica> {
  const delay = options.networkDelayMs ?? 0;
  if (delay === 0) return { ip, process: await startReplica(lab, ns, ip, options) };
  const backend = `127.0.1.${index + 1}`;
  const { networkDelayMs: _unused, ...dnsmasqOptions } = options;
  const dnsmasq = lab.spawn(ns, dnsmasqArgv({ listen: backend, port: BACKEND_PORT, ...dnsmasqOptions }));
  const relay = lab.spawn(ns, [NODE_BIN, RELAY_SCRIPT, `${ip}:53`, `${backend}:${BACKEND_PORT}`, String(delay)]);
  await relay.waitForOutput(/relay ready/, 10_000);
  await waitForDns(lab, ns, ip, probeName(options), dnsmasq);
  return { ip, process: dnsmasq, relay };
}

/** Starts a stopped replica again (undoes stopDnsServer). */
export async function startDnsServer(vipLab: ServiceVipLab, replica = 0): Promise<void> {
  const server = vipLab.dnsServers[replica];
  if (!server) throw new Error(`startDnsServer: no replica ${replica}`);
  if (server.process.running && (server.relay?.running ?? true)) return;
  await server.process.stop();
  await server.relay?.stop();
  vipLab.dnsServers[replica] = await startPod(vipLab.lab, vipLab.dnsNs, server.ip, replica, vipLab.dnsOptions);
}

/** Picks a root<->node /30 not already addressed in the root namespace. */
/** A free root<->namespace /30 (its base address), so parallel lab files never share one. */
export async function freeRootSlot(labIndex: number): Promise<number> {
  const used = new Set<number>();
  const addrs = await run(['ip', '-o', '-4', 'address', 'show']);
  for (const match of addrs.stdout.matchAll(/inet (\d+\.\d+\.\d+\.\d+)\//g)) used.add((ipToInt(match[1]!) & ~3) >>> 0);
  const start = (process.pid * 7 + labIndex * 131) % ROOT_POOL_SLOTS;
  for (let i = 0; i < ROOT_POOL_SLOTS; i++) {
    const base = ROOT_POOL_BASE + ((start + i) % ROOT_POOL_SLOTS) * 4;
    if (!used.has(base)) return base;
  }
  throw new Error('buildServiceVipLab: no free root<->node address in 198.18.192.0/18');
}

export function ipToInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`not an IPv4 address: ${ip}`);
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export function intToIp(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join('.');
}

/**
 * Waits until the server at `ip` answers `name` (dig from inside the server's
 * namespace, so no NAT and no fault rule is involved). Bounded: 50 tries, ~5 s.
 */
async function waitForDns(lab: Lab, ns: string, ip: string, name: string, proc: LabProcess): Promise<void> {
  let last = '';
  for (let attempt = 0; attempt < 50; attempt++) {
    if (!proc.running) throw new Error(`dnsmasq on ${ip} exited (${proc.exitCode ?? proc.exitSignal})\n${proc.describeOutput()}`);
    const result = await lab.exec(ns, ['dig', '+time=1', '+tries=1', '+short', `@${ip}`, name, 'A'], { allowFailure: true, timeoutMs: 3000 });
    if (result.code === 0 && /^\d+\.\d+\.\d+\.\d+$/m.test(result.stdout)) return;
    last = (result.stdout + result.stderr).trim();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`dnsmasq on ${ip} did not answer ${name}: ${last}\n${proc.describeOutput()}`);
}
