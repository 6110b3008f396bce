// The top-level `kubernetes:` block of the config file, and the references
// probes use to name discovered targets:
//
//   kubernetes:
//     dnsService: kube-system/kube-dns     # cluster DNS Service (VIP + CoreDNS pods)
//     peerService: netprobe-peers          # netprobe's headless Service (namespace: $POD_NAMESPACE)
//     hostPeerService: netprobe-host/netprobe-host-peers   # the host-network DaemonSet's (optional)
//     peers: 8                             # k: observers per node
//   probes:
//     - { name: dns-vip, kind: dns, servers: [kubernetes:dns-service], names: [...] }
//     - { name: dns-pods, kind: dns, servers: [kubernetes:dns-endpoints], names: [...] }
//     - { name: peers-tcp, kind: tcp, targets: ["kubernetes:peers:9810"] }
//     - { name: peers-mtu, kind: icmp, targets: [kubernetes:peers] }
//     - { name: nodes-mtu, kind: icmp, targets: [kubernetes:host-peers] }
// A ref is `kubernetes:<source>[:<port>]`; the port is for kinds that need
// one (tcp: peers are pod IPs, 9810 is netprobe's own listener on each).
import * as z from 'zod/mini';
import { describe, durationBetween } from '../../config/common.ts';

/** What a probe may list among its servers / targets to get discovered ones. */
export const DISCOVERY_REFS = {
  'kubernetes:dns-service': 'dnsService',
  'kubernetes:dns-endpoints': 'dnsEndpoints',
  'kubernetes:peers': 'peers',
  // The host-network DaemonSet's pods: each node's own address (its InternalIP),
  // fanned out like the peers; needs `hostPeerService`.
  'kubernetes:host-peers': 'hostPeers',
  // The `kubernetes` Service in `default`: its ClusterIP(s) and https port,
  // watched (every family of a dual-stack Service), else KUBERNETES_SERVICE_HOST/PORT
  // from the pod's environment until the watch has listed; tcp only, usually with `tls`.
  'kubernetes:api-service': 'apiService',
} as const;
export type DiscoveryRef = keyof typeof DISCOVERY_REFS;
export type DiscoverySourceName = (typeof DISCOVERY_REFS)[DiscoveryRef];

export function isDiscoveryRef(text: string): boolean {
  return parseDiscoveryRef(text) !== undefined;
}

/** "kubernetes:peers:9810" -> { source: 'peers', port: 9810 }; undefined when not a discovery ref. */
export function parseDiscoveryRef(text: string): { source: DiscoverySourceName; port?: number } | undefined {
  const m = /^(kubernetes:[a-z-]+)(?::(\d{1,5}))?$/.exec(text.trim());
  if (!m || !Object.hasOwn(DISCOVERY_REFS, m[1]!)) return undefined;
  const source = DISCOVERY_REFS[m[1] as DiscoveryRef];
  if (m[2] === undefined) return { source };
  const port = Number(m[2]);
  return port >= 1 && port <= 65535 ? { source, port } : undefined;
}

const NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** "namespace/name", or "name" (namespace filled in later from $POD_NAMESPACE). */
const objectRef = z.string().check(
  z.refine(
    (text) => {
      const parts = text.split('/');
      return parts.length <= 2 && parts.every((p) => NAME.test(p));
    },
    { message: 'expected NAMESPACE/NAME or NAME (lowercase DNS labels)' },
  ),
);

export const kubernetesSchema = z.strictObject({
  enabled: describe(z._default(z.boolean(), true), 'false turns discovery off without deleting the block.'),
  connection: describe(
    z._default(z.enum(['auto', 'in-cluster', 'kubeconfig']), 'auto'),
    'How to reach the API server; auto: in-cluster when KUBERNETES_SERVICE_HOST is set, else the kubeconfig.',
  ),
  kubeconfig: describe(z.optional(z.string().check(z.minLength(1))), 'Kubeconfig path; default $KUBECONFIG, else ~/.kube/config.'),
  context: describe(z.optional(z.string().check(z.minLength(1))), 'Kubeconfig context; default its current-context.'),
  dnsService: describe(
    z._default(objectRef, 'kube-system/kube-dns'),
    'NAMESPACE/NAME (or NAME) of the cluster DNS Service: kubernetes:dns-service is its ClusterIP, kubernetes:dns-endpoints its pods.',
  ),
  peerService: describe(
    z._default(objectRef, 'netprobe-peers'),
    "NAMESPACE/NAME (or NAME) of netprobe's headless Service, whose endpoints are the peers (kubernetes:peers).",
  ),
  hostPeerService: describe(
    z.optional(objectRef),
    "NAMESPACE/NAME (or NAME) of the host-network DaemonSet's headless Service (overlays/host-network), whose endpoints are the nodes' own addresses (kubernetes:host-peers); unset: not watched, and probes may not name kubernetes:host-peers.",
  ),
  namespace: describe(
    z.optional(z.string().check(z.regex(NAME))),
    'Namespace of refs given without one; default $POD_NAMESPACE, else "netprobe".',
  ),
  nodeName: describe(
    z.optional(z.string().check(z.minLength(1), z.maxLength(253))),
    'The Node this pod runs on (1-253 characters); default the top-level sourceNode, else $NODE_NAME.',
  ),
  peers: describe(
    z._default(z.number().check(z.int(), z.minimum(1), z.maximum(100)), 8),
    'k, 1 to 100: each node is probed by this many others (rendezvous hashing).',
  ),
  minPeers: describe(
    z.optional(z.number().check(z.int(), z.minimum(0), z.maximum(100))),
    'Least peers a pod probes even if few nodes elect it, 0 to 100; default ceil(peers / 2).',
  ),
  resolvConf: describe(
    z._default(z.string(), '/etc/resolv.conf'),
    "Resolver file cross-checked against the DNS Service's ClusterIP (a mismatch is logged: NodeLocal DNSCache, custom DNS).",
  ),
  watchTimeout: describe(
    z.prefault(durationBetween(1000, 3_600_000), '5m'),
    'Server-side length of one watch before it is renewed, 1s to 1h.',
  ),
  watchIdleTimeout: describe(
    z.prefault(durationBetween(1000, 3_600_000), '150s'),
    'Longest silence tolerated on a watch before it is restarted, 1s to 1h (bookmarks come about every minute).',
  ),
  requestTimeout: describe(
    z.prefault(durationBetween(100, 300_000), '10s'),
    'Timeout of one API request (a list page), 100ms to 5m.',
  ),
  backoff: describe(
    z.prefault(
      z.strictObject({
        initial: describe(
          z.prefault(durationBetween(10, 300_000), '1s'),
          'First wait after a failed list or watch, 10ms to 5m; doubles with each further failure (jittered).',
        ),
        max: describe(z.prefault(durationBetween(10, 3_600_000), '30s'), 'Longest wait between retries, 10ms to 1h.'),
      }),
      {},
    ),
    'Retry waits after a failed list or watch (exponential).',
  ),
});

export type KubernetesConfig = z.output<typeof kubernetesSchema>;

/** Splits "ns/name" or "name" with the given default namespace. */
export function splitRef(ref: string, defaultNamespace: string): { namespace: string; name: string } {
  const [a, b] = ref.split('/');
  return b === undefined ? { namespace: defaultNamespace, name: a! } : { namespace: a!, name: b };
}
