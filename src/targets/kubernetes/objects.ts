// Pure mappings from Kubernetes objects (Service, EndpointSlice, Node) to
// netprobe targets. Ids are built from addresses only, so the same pod or VIP
// keeps the same id across relists, and a target that leaves is a missing id.
import type { DiscoveredDnsServer, DiscoveredPeer, NodeInfo } from '../types.ts';
import type { KubeObject } from './client.ts';

interface ServicePort {
  name?: string;
  port?: number;
  protocol?: string;
}

interface Endpoint {
  addresses?: string[];
  conditions?: { ready?: boolean | null; serving?: boolean | null; terminating?: boolean | null };
  nodeName?: string;
  targetRef?: { kind?: string; name?: string };
}

export const ZONE_LABEL = 'topology.kubernetes.io/zone';
const LEGACY_ZONE_LABEL = 'failure-domain.beta.kubernetes.io/zone';

/** "ip:port", IPv6 in brackets: the `server` / `target` label. */
export function hostPortLabel(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The port DNS is served on: the UDP port named "dns", else any UDP port, else 53. */
function dnsPort(ports: ServicePort[] | undefined): number {
  const udp = (ports ?? []).filter((p) => (p.protocol ?? 'TCP') === 'UDP' && typeof p.port === 'number');
  return (udp.find((p) => p.name === 'dns') ?? udp[0])?.port ?? 53;
}

/** The API server's port on the `kubernetes` Service: the TCP port named "https", else any TCP port, else 443. */
export function httpsPort(ports: ServicePort[] | undefined): number {
  const tcp = (ports ?? []).filter((p) => (p.protocol ?? 'TCP') === 'TCP' && typeof p.port === 'number');
  return (tcp.find((p) => p.name === 'https') ?? tcp[0])?.port ?? 443;
}

/**
 * A Service's ClusterIP(s), every family of a dual-stack one, as `service_vip`
 * targets (none for a headless Service): the cluster DNS Service on its DNS
 * port by default, the `kubernetes` Service with `httpsPort`.
 */
export function serviceVips(services: KubeObject[], portOf: (ports: ServicePort[] | undefined) => number = dnsPort): DiscoveredDnsServer[] {
  const out: DiscoveredDnsServer[] = [];
  for (const svc of services) {
    const spec = (svc.spec ?? {}) as { clusterIP?: string; clusterIPs?: string[]; ports?: ServicePort[] };
    const ips = spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : [];
    const port = portOf(spec.ports);
    for (const ip of ips) {
      if (!ip || ip === 'None') continue;
      const label = hostPortLabel(ip, port);
      out.push({ id: label, label, kind: 'service_vip', node: '', server: { host: ip, port } });
    }
  }
  return sortById(out);
}

function endpointsOf(slices: KubeObject[]): { endpoint: Endpoint; ports: ServicePort[] }[] {
  const out: { endpoint: Endpoint; ports: ServicePort[] }[] = [];
  for (const slice of slices) {
    const addressType = slice.addressType as string | undefined;
    if (addressType === 'FQDN') continue;
    const ports = (slice.ports as ServicePort[] | null | undefined) ?? [];
    for (const endpoint of (slice.endpoints as Endpoint[] | null | undefined) ?? []) out.push({ endpoint, ports });
  }
  return out;
}

/**
 * Each ready CoreDNS pod as an `endpoint` target. Not-ready pods are left out:
 * the Service does not send to them either, so their failures are not a user's.
 * (A nil `ready` means ready, per the EndpointSlice API.)
 */
export function dnsEndpoints(slices: KubeObject[]): DiscoveredDnsServer[] {
  const byId = new Map<string, DiscoveredDnsServer>();
  for (const { endpoint, ports } of endpointsOf(slices)) {
    if (endpoint.conditions?.ready === false || endpoint.conditions?.terminating === true) continue;
    const port = dnsPort(ports);
    for (const ip of endpoint.addresses ?? []) {
      const label = hostPortLabel(ip, port);
      byId.set(label, { id: label, label, kind: 'endpoint', node: endpoint.nodeName ?? '', server: { host: ip, port } });
    }
  }
  return sortById([...byId.values()]);
}

/**
 * Every netprobe pod behind the headless Service, ready or not (the Service
 * sets publishNotReadyAddresses, so `serving` carries the pod's real readiness).
 * Terminating pods are left out: they are going away on purpose.
 */
export function peerEndpoints(slices: KubeObject[]): DiscoveredPeer[] {
  const byIp = new Map<string, DiscoveredPeer>();
  for (const { endpoint } of endpointsOf(slices)) {
    const c = endpoint.conditions ?? {};
    if (c.terminating === true) continue;
    const ready = (c.serving ?? c.ready ?? true) !== false;
    const pod = endpoint.targetRef?.kind === 'Pod' ? (endpoint.targetRef.name ?? '') : '';
    // One IP per pod: dual-stack slices list the pod once per family; keep the first family seen.
    const ip = endpoint.addresses?.[0];
    if (!ip) continue;
    const previous = byIp.get(ip);
    // The same pod can sit in two slices for a moment while the controller moves it.
    if (previous && (previous.ready || !ready)) continue;
    byIp.set(ip, { id: ip, label: ip, kind: 'peer', node: endpoint.nodeName ?? '', ip, pod, ready });
  }
  return sortById([...byIp.values()]);
}

export function nodeInfo(node: KubeObject): NodeInfo {
  const labels = node.metadata.labels ?? {};
  const created = Date.parse(node.metadata.creationTimestamp ?? '');
  const conditions = ((node.status as { conditions?: { type?: string; status?: string }[] } | undefined)?.conditions ?? []);
  return {
    name: node.metadata.name,
    createdSeconds: Number.isFinite(created) ? created / 1000 : 0,
    zone: labels[ZONE_LABEL] ?? labels[LEGACY_ZONE_LABEL] ?? '',
    ready: conditions.some((c) => c.type === 'Ready' && c.status === 'True'),
  };
}

/** `nameserver` lines of a resolv.conf text. */
export function resolvConfNameservers(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (m) out.push(m[1]!.replace(/%.*$/, ''));
  }
  return out;
}

function sortById<T extends { id: string }>(items: T[]): T[] {
  return items.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
