// Kubernetes discovery: list/watch loops turned into target sources.
//   cluster DNS Service           -> dnsService   (service_vip)
//   its EndpointSlices            -> dnsEndpoints (endpoint, one per ready CoreDNS pod)
//   netprobe's headless Service   -> allPeers, and peers (this pod's fan-out share)
//   the host-network DaemonSet's  -> hostPeers (the same fan-out over the nodes'
//     headless Service (optional)    own addresses: a hostNetwork pod's IP is its node's)
//   the `kubernetes` Service      -> apiService (service_vip; only when a probe names it)
//   this pod's own Node           -> node (creation time, zone, Ready)
// Sources keep their last value while the API is unreachable: the daemon
// goes on probing what it knew, and errors are reported through onError.
import { type FanoutOptions, selectPeers } from '../peer-selection.ts';
import { type DiscoveredDnsServer, type DiscoveredPeer, MutableSource, type NodeInfo, type TargetSource } from '../types.ts';
import { ApiClient, type DiscoveryErrorReason } from './client.ts';
import type { ApiConnection } from './connection.ts';
import { dnsEndpoints, httpsPort, nodeInfo, peerEndpoints, serviceVips } from './objects.ts';
import { type BackoffOptions, Reflector, type ReflectorStatus } from './reflector.ts';

export const DISCOVERY_RESOURCES = ['dns_service', 'dns_endpointslices', 'peer_endpointslices', 'host_peer_endpointslices', 'api_service', 'node'] as const;
export type DiscoveryResource = (typeof DISCOVERY_RESOURCES)[number];

export interface ObjectName {
  namespace: string;
  name: string;
}

export interface DiscoveryOptions {
  connection: ApiConnection;
  dnsService: ObjectName;
  /** netprobe's headless Service; omit to discover no peers. */
  peerService?: ObjectName;
  /** The host-network DaemonSet's headless Service; omit to discover no host peers. */
  hostPeerService?: ObjectName;
  /** Watch the `kubernetes` Service in `default` (a probe names kubernetes:api-service). */
  apiService?: boolean;
  /** This pod's node; "" or omitted: no Node watch, and every peer counts as another node. */
  nodeName?: string;
  fanout: FanoutOptions;
  /** Nameservers of the pod's resolv.conf, to cross-check the DNS Service VIP. */
  resolvConfNameservers?: string[];
  watchTimeoutSeconds: number;
  watchIdleTimeoutMs: number;
  requestTimeoutMs: number;
  backoff: BackoffOptions;
  pageSize?: number;
}

export interface DiscoveryDeps {
  log?(message: string): void;
  /** [0, 1) for backoff jitter (tests pin it). */
  random?(): number;
}

export type DiscoveryErrorListener = (resource: DiscoveryResource, reason: DiscoveryErrorReason) => void;
export type DiscoveryWatchListener = (resource: DiscoveryResource, watching: boolean) => void;

export interface Discovery {
  dnsService: TargetSource<DiscoveredDnsServer>;
  dnsEndpoints: TargetSource<DiscoveredDnsServer>;
  /** The peers this pod probes (its rendezvous share), ready or not. */
  peers: TargetSource<DiscoveredPeer>;
  /** Every netprobe pod found (for status pages; probes use `peers`). */
  allPeers: TargetSource<DiscoveredPeer>;
  /** The host-network pods on the same share of nodes as `peers` (their IPs are the nodes'). */
  hostPeers: TargetSource<DiscoveredPeer>;
  /** The `kubernetes` Service's ClusterIP(s) on its https port; empty until listed, or when not watched. */
  apiService: TargetSource<DiscoveredDnsServer>;
  /** This pod's Node: zero or one entry. */
  node: TargetSource<NodeInfo>;
  onError(listener: DiscoveryErrorListener): () => void;
  /** Watch streams opening (true) and lost (false), per resource. */
  onWatching(listener: DiscoveryWatchListener): () => void;
  /** Resolves true once every watch has listed, false if `timeoutMs` passes first. */
  synced(timeoutMs: number): Promise<boolean>;
  status(): ReflectorStatus[];
  stop(): Promise<void>;
}

const byId = (a: readonly { id: string }[], b: readonly { id: string }[]) => JSON.stringify(a) === JSON.stringify(b);

export function startDiscovery(options: DiscoveryOptions, deps: DiscoveryDeps = {}): Discovery {
  const client = new ApiClient(options.connection, {
    requestTimeoutMs: options.requestTimeoutMs,
    watchIdleTimeoutMs: options.watchIdleTimeoutMs,
    pageSize: options.pageSize ?? 500,
  });
  const errorListeners = new Set<DiscoveryErrorListener>();
  const watchListeners = new Set<DiscoveryWatchListener>();
  const hooks = {
    onError: (resource: string, reason: DiscoveryErrorReason) => {
      for (const l of [...errorListeners]) l(resource as DiscoveryResource, reason);
    },
    onWatching: (resource: string, watching: boolean) => {
      for (const l of [...watchListeners]) l(resource as DiscoveryResource, watching);
    },
    ...(deps.log ? { log: deps.log } : {}),
    ...(deps.random ? { random: deps.random } : {}),
  };
  const common = { watchTimeoutSeconds: options.watchTimeoutSeconds, backoff: options.backoff };
  const slicesPath = (ns: string) => `/apis/discovery.k8s.io/v1/namespaces/${encodeURIComponent(ns)}/endpointslices`;
  const serviceLabel = (name: string) => ({ labelSelector: `kubernetes.io/service-name=${name}` });

  const reflectors: Reflector[] = [];
  const add = (resource: DiscoveryResource, path: string, query: Record<string, string>) => {
    const r = new Reflector(client, { resource, path, query, ...common }, hooks);
    reflectors.push(r);
    return r;
  };
  const { namespace: dnsNs, name: dnsName } = options.dnsService;
  const svc = add('dns_service', `/api/v1/namespaces/${encodeURIComponent(dnsNs)}/services`, { fieldSelector: `metadata.name=${dnsName}` });
  const dnsSlices = add('dns_endpointslices', slicesPath(dnsNs), serviceLabel(dnsName));
  const peerSlices = options.peerService ? add('peer_endpointslices', slicesPath(options.peerService.namespace), serviceLabel(options.peerService.name)) : undefined;
  const hostPeerSlices = options.hostPeerService
    ? add('host_peer_endpointslices', slicesPath(options.hostPeerService.namespace), serviceLabel(options.hostPeerService.name))
    : undefined;
  const apiSvc = options.apiService ? add('api_service', '/api/v1/namespaces/default/services', { fieldSelector: 'metadata.name=kubernetes' }) : undefined;
  const nodeName = options.nodeName ?? '';
  const nodeWatch = nodeName ? add('node', '/api/v1/nodes', { fieldSelector: `metadata.name=${nodeName}` }) : undefined;

  const dnsService = new MutableSource<DiscoveredDnsServer>(byId);
  const dnsEndpointSource = new MutableSource<DiscoveredDnsServer>(byId);
  const allPeers = new MutableSource<DiscoveredPeer>(byId);
  const peers = new MutableSource<DiscoveredPeer>(byId);
  const hostPeers = new MutableSource<DiscoveredPeer>(byId);
  const apiService = new MutableSource<DiscoveredDnsServer>(byId);
  const node = new MutableSource<NodeInfo>();

  let warnedFor = '';
  svc.onChange(() => {
    const vips = serviceVips(svc.items());
    dnsService.set(vips);
    const nameservers = options.resolvConfNameservers ?? [];
    const key = vips.map((v) => v.server.host).join(',');
    if (vips.length && nameservers.length && !vips.some((v) => nameservers.includes(v.server.host)) && key !== warnedFor) {
      warnedFor = key;
      deps.log?.(
        `discovery: DNS Service ${dnsNs}/${dnsName} ClusterIP ${key} is not a resolv.conf nameserver (${nameservers.join(', ')}); ` +
          'expected with NodeLocal DNSCache or a custom dnsConfig, else pods resolve through something else',
      );
    }
  });
  dnsSlices.onChange(() => dnsEndpointSource.set(dnsEndpoints(dnsSlices.items())));
  peerSlices?.onChange(() => {
    const found = peerEndpoints(peerSlices.items());
    allPeers.set(found);
    peers.set(fanOut(found, nodeName, options.fanout));
  });
  hostPeerSlices?.onChange(() => hostPeers.set(fanOut(peerEndpoints(hostPeerSlices.items()), nodeName, options.fanout)));
  apiSvc?.onChange(() => apiService.set(serviceVips(apiSvc.items(), httpsPort)));
  nodeWatch?.onChange(() => node.set(nodeWatch.items().map(nodeInfo)));

  for (const r of reflectors) r.start();

  return {
    dnsService,
    dnsEndpoints: dnsEndpointSource,
    peers,
    allPeers,
    hostPeers,
    apiService,
    node,
    onError(listener) {
      errorListeners.add(listener);
      return () => errorListeners.delete(listener);
    },
    onWatching(listener) {
      watchListeners.add(listener);
      return () => watchListeners.delete(listener);
    },
    async synced(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
      const all = Promise.all(reflectors.map((r) => r.synced)).then(() => true);
      try {
        return await Promise.race([all, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    status: () => reflectors.map((r) => r.status()),
    async stop() {
      await Promise.all(reflectors.map((r) => r.stop()));
      await client.close();
    },
  };
}

/** Node key for fan-out: the node name, or the IP for an endpoint that names none. */
function peerNodeKey(p: DiscoveredPeer): string {
  return p.node || `ip:${p.ip}`;
}

/** This pod's share of the peers: every pod on each node rendezvous hashing picks, none on its own node. */
export function fanOut(found: readonly DiscoveredPeer[], self: string, fanout: FanoutOptions): DiscoveredPeer[] {
  const nodes = new Set(found.map(peerNodeKey));
  if (self) nodes.add(self);
  const chosen = new Set(selectPeers(self, nodes, fanout));
  return found.filter((p) => chosen.has(peerNodeKey(p)) && p.node !== self);
}
