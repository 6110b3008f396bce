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
import { z } from 'zod';
import { durationBetween } from '../../config/common.ts';

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
const objectRef = z.string().refine(
  (text) => {
    const parts = text.split('/');
    return parts.length <= 2 && parts.every((p) => NAME.test(p));
  },
  { message: 'expected NAMESPACE/NAME or NAME (lowercase DNS labels)' },
);

export const kubernetesSchema = z.strictObject({
  enabled: z.boolean().default(true).describe('false turns discovery off without deleting the block.'),
  connection: z
    .enum(['auto', 'in-cluster', 'kubeconfig'])
    .default('auto')
    .describe('How to reach the API server; auto: in-cluster when KUBERNETES_SERVICE_HOST is set, else the kubeconfig.'),
  kubeconfig: z.string().min(1).optional().describe('Kubeconfig path; default $KUBECONFIG, else ~/.kube/config.'),
  context: z.string().min(1).optional().describe("Kubeconfig context; default its current-context."),
  dnsService: objectRef
    .default('kube-system/kube-dns')
    .describe('NAMESPACE/NAME (or NAME) of the cluster DNS Service: kubernetes:dns-service is its ClusterIP, kubernetes:dns-endpoints its pods.'),
  peerService: objectRef
    .default('netprobe-peers')
    .describe("NAMESPACE/NAME (or NAME) of netprobe's headless Service, whose endpoints are the peers (kubernetes:peers)."),
  hostPeerService: objectRef
    .optional()
    .describe(
      "NAMESPACE/NAME (or NAME) of the host-network DaemonSet's headless Service (overlays/host-network), whose endpoints are the nodes' own addresses (kubernetes:host-peers); unset: not watched, and probes may not name kubernetes:host-peers.",
    ),
  namespace: z.string().regex(NAME).optional().describe('Namespace of refs given without one; default $POD_NAMESPACE, else "netprobe".'),
  nodeName: z.string().min(1).max(253).optional().describe('The Node this pod runs on (1-253 characters); default the top-level sourceNode, else $NODE_NAME.'),
  peers: z.number().int().min(1).max(100).default(8).describe('k, 1 to 100: each node is probed by this many others (rendezvous hashing).'),
  minPeers: z
    .number()
    .int()
    .min(0)
    .max(100)
    .optional()
    .describe('Least peers a pod probes even if few nodes elect it, 0 to 100; default ceil(peers / 2).'),
  resolvConf: z
    .string()
    .default('/etc/resolv.conf')
    .describe("Resolver file cross-checked against the DNS Service's ClusterIP (a mismatch is logged: NodeLocal DNSCache, custom DNS)."),
  watchTimeout: durationBetween(1000, 3_600_000).prefault('5m').describe('Server-side length of one watch before it is renewed, 1s to 1h.'),
  watchIdleTimeout: durationBetween(1000, 3_600_000)
    .prefault('150s')
    .describe('Longest silence tolerated on a watch before it is restarted, 1s to 1h (bookmarks come about every minute).'),
  requestTimeout: durationBetween(100, 300_000).prefault('10s').describe('Timeout of one API request (a list page), 100ms to 5m.'),
  backoff: z
    .strictObject({
      initial: durationBetween(10, 300_000).prefault('1s').describe('First wait after a failed list or watch, 10ms to 5m; doubles with each further failure (jittered).'),
      max: durationBetween(10, 3_600_000).prefault('30s').describe('Longest wait between retries, 10ms to 1h.'),
    })
    .prefault({})
    .describe('Retry waits after a failed list or watch (exponential).'),
});

export type KubernetesConfig = z.output<typeof kubernetesSchema>;

/** Splits "ns/name" or "name" with the given default namespace. */
export function splitRef(ref: string, defaultNamespace: string): { namespace: string; name: string } {
  const [a, b] = ref.split('/');
  return b === undefined ? { namespace: defaultNamespace, name: a! } : { namespace: a!, name: b };
}
