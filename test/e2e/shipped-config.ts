// The shipped in-cluster config (deploy/kubernetes/.../config.yaml) turned into a
// lab config by one tool: every probe keeps its kind, interval, transport, mode,
// counts, sizes, search range and expected MTU as shipped; only what points at
// the cluster is replaced: Kubernetes discovery targets by the lab's addresses,
// the external name by one the lab's DNS serves, and resolv.conf by a lab file
// (the machine's own resolver must never be asked).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { NODE_BIN, type Lab } from '../lab/harness/index.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Where the shipped config lives (the kustomize base once it moves there). */
export const SHIPPED_CONFIG = ['deploy/kubernetes/base/config.yaml', 'deploy/kubernetes/config.yaml'].map((p) => ROOT + p).find((p) => existsSync(p))!;

export interface LabTargets {
  sourceNode: string;
  listen: string;
  vip: string;
  endpoints: string[];
  /** A file with `nameserver <vip>` for the resolv.conf probe. */
  resolvConf: string;
  /** Peers: IP and node name. */
  peers: { ip: string; node: string }[];
  externalName: string;
}

interface Probe {
  name: string;
  kind: string;
  every: string;
  servers?: string[];
  targets?: unknown[];
  names?: string[];
  targetKind?: string;
  resolvConf?: string;
  [key: string]: unknown;
}

export function shippedProbes(): Probe[] {
  return (parse(readFileSync(SHIPPED_CONFIG, 'utf8')) as { probes: Probe[] }).probes;
}

export function labConfigFromShipped(lab: LabTargets): string {
  // The API server VIP probe (TLS against the service account CA) has no lab
  // equivalent: the lab runs no API server. Every other shipped probe is mapped,
  // and an unknown ref still fails below.
  const probes = shippedProbes()
    .filter((p) => !(p.kind === 'tcp' && /^kubernetes:api-service:/.test(String(p.targets?.[0]))))
    .map((p) => {
    const q: Probe = { ...p };
    if (q.names) q.names = q.names.map((n) => (n.replace(/\.$/, '').endsWith('cluster.local') ? n : lab.externalName));
    if (q.kind === 'dns') {
      const servers = q.servers ?? [];
      if (servers.includes('kubernetes:dns-service')) Object.assign(q, { servers: [lab.vip], targetKind: 'service_vip' });
      else if (servers.includes('kubernetes:dns-endpoints')) Object.assign(q, { servers: lab.endpoints, targetKind: 'endpoint' });
      else if (servers.includes('resolv.conf')) q.resolvConf = lab.resolvConf;
      else throw new Error(`shipped probe ${q.name}: servers ${servers.join(',')} have no lab equivalent`);
    } else if (q.kind === 'tcp') {
      const m = /^kubernetes:peers:(\d+)$/.exec(String(q.targets?.[0]));
      if (!m) throw new Error(`shipped probe ${q.name}: targets ${JSON.stringify(q.targets)} have no lab equivalent`);
      // The lab's "peer" is a listener on the DNS pod's address, on the shipped port (startPeerListener).
      q.targets = lab.peers.map((peer) => ({ address: `${peer.ip}:${m[1]}`, node: peer.node }));
    } else if (q.kind === 'icmp') {
      if (String(q.targets?.[0]) !== 'kubernetes:peers') throw new Error(`shipped probe ${q.name}: unexpected targets`);
      q.targets = lab.peers.map((peer) => ({ host: peer.ip, node: peer.node }));
    }
    return q;
  });
  return stringify({ sourceNode: lab.sourceNode, listen: lab.listen, probes });
}

/** The port the shipped TCP peer probe connects to. */
export function shippedPeerPort(): number {
  const tcp = shippedProbes().find((p) => p.kind === 'tcp');
  const m = /^kubernetes:peers:(\d+)$/.exec(String(tcp?.targets?.[0]));
  if (!m) throw new Error('the shipped config has no kubernetes:peers:PORT tcp probe');
  return Number(m[1]);
}

/** A TCP listener standing in for a peer netprobe pod: accepts and closes. */
export async function startPeerListener(lab: Lab, ns: string, ip: string, port = shippedPeerPort()): Promise<void> {
  const script = `require('node:net').createServer((s) => s.destroy()).listen(${port}, '${ip}', () => console.log('peer listening'))`;
  const proc = lab.spawn(ns, [NODE_BIN, '-e', script]);
  await proc.waitForOutput(/peer listening/, 10_000);
}
