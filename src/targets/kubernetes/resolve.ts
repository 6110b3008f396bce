// Turns a config that names discovered targets (`kubernetes:<source>[:<port>]`
// in dns `servers`, tcp and icmp `targets`) into a plain config the per-kind
// schemas already accept, from a snapshot of discovery. Config loading runs it
// over the whole file (stand-ins to check it, the current sets to validate
// it); the daemon's live targets (src/app/cluster-targets.ts) run it per
// probe, for the probes whose sources changed, so the file is not reloaded.
//
// Works on the raw (parsed YAML, not yet validated) config so that the kinds
// need no knowledge of Kubernetes: the config loader runs it between YAML
// parsing and schema validation, so errors still point into the user's file.
import type { DiscoveredDnsServer, DiscoveredPeer } from '../types.ts';
import { type DiscoverySourceName, parseDiscoveryRef } from './config.ts';
import type { Discovery } from './discovery.ts';
import { hostPortLabel } from './objects.ts';

export interface DiscoverySnapshot {
  dnsService: readonly DiscoveredDnsServer[];
  dnsEndpoints: readonly DiscoveredDnsServer[];
  peers: readonly DiscoveredPeer[];
  /** The host-network DaemonSet's pods on the same share of nodes: the nodes' own addresses. */
  hostPeers?: readonly DiscoveredPeer[];
  /** The `kubernetes` Service VIP(s); absent outside a cluster. */
  apiService?: readonly { host: string; port: number }[];
}

export const EMPTY_SNAPSHOT: DiscoverySnapshot = { dnsService: [], dnsEndpoints: [], peers: [], hostPeers: [] };

/**
 * One stand-in per source, for checking a config without a cluster
 * (validate-config, and before discovery starts): every ref resolves to
 * exactly one entry, so list indices and probe positions stay those of the
 * file. Documentation addresses (RFC 5737); nothing is ever sent to them.
 */
export const PLACEHOLDER_SNAPSHOT: DiscoverySnapshot = {
  dnsService: [{ id: 'placeholder-vip', label: '192.0.2.10:53', kind: 'service_vip', node: '', server: { host: '192.0.2.10', port: 53 } }],
  dnsEndpoints: [{ id: 'placeholder-ep', label: '192.0.2.11:53', kind: 'endpoint', node: 'node', server: { host: '192.0.2.11', port: 53 } }],
  peers: [{ id: 'placeholder-peer', label: '192.0.2.12', kind: 'peer', node: 'node', ip: '192.0.2.12', pod: '', ready: true }],
  hostPeers: [{ id: 'placeholder-host-peer', label: '192.0.2.14', kind: 'peer', node: 'node', ip: '192.0.2.14', pod: '', ready: true }],
  apiService: [{ host: '192.0.2.13', port: 443 }],
};

/** KUBERNETES_SERVICE_HOST/PORT: the kubelet sets them in every pod from the `kubernetes` Service in `default`. */
export function apiServiceFromEnv(env: NodeJS.ProcessEnv = process.env): { host: string; port: number }[] {
  const host = env.KUBERNETES_SERVICE_HOST?.trim();
  const port = Number(env.KUBERNETES_SERVICE_PORT ?? '443');
  return host && Number.isInteger(port) && port > 0 && port < 65536 ? [{ host, port }] : [];
}

export function snapshotOf(discovery: Discovery | undefined, env: NodeJS.ProcessEnv = process.env): DiscoverySnapshot {
  if (!discovery) return EMPTY_SNAPSHOT;
  const api = discovery.apiService.current();
  return {
    dnsService: discovery.dnsService.current(),
    dnsEndpoints: discovery.dnsEndpoints.current(),
    peers: discovery.peers.current(),
    hostPeers: discovery.hostPeers.current(),
    // The watched Service once listed (both families of a dual-stack one); the pod's environment until then.
    apiService: api.length ? api.map((s) => s.server) : apiServiceFromEnv(env),
  };
}

/** `target_kind` of each source, used when a probe sets no `targetKind`. */
const SOURCE_KIND: Record<DiscoverySourceName, string> = { dnsService: 'service_vip', dnsEndpoints: 'endpoint', peers: 'peer', hostPeers: 'node', apiService: 'service_vip' };

interface Found {
  host: string;
  node: string;
  /** The port the source itself names (DNS servers), if any. */
  port?: number;
}

function found(snap: DiscoverySnapshot, source: DiscoverySourceName): Found[] {
  if (source === 'peers') return snap.peers.map((p) => ({ host: p.ip, node: p.node }));
  if (source === 'hostPeers') return (snap.hostPeers ?? []).map((p) => ({ host: p.ip, node: p.node }));
  if (source === 'apiService') return (snap.apiService ?? []).map((s) => ({ host: s.host, node: '', port: s.port }));
  return snap[source].map((s) => ({ host: s.server.host, node: s.node, port: s.server.port }));
}

export interface Resolved {
  /** The config with refs replaced (the `kubernetes` block kept for validation). */
  config: Record<string, unknown>;
  /** Probes left out because their refs found nothing yet (and they list nothing else). */
  skipped: string[];
}

/** Throws (a setup error, with the probe's name) on refs that cannot mean anything for their kind. */
export function resolveDiscoveryRefs(raw: Record<string, unknown>, snap: DiscoverySnapshot): Resolved {
  const rest = raw;
  const probes = Array.isArray(rest.probes) ? (rest.probes as Record<string, unknown>[]) : undefined;
  if (!probes) return { config: rest, skipped: [] };
  const skipped: string[] = [];
  const out: Record<string, unknown>[] = [];
  const kube = rest.kubernetes as Record<string, unknown> | null | undefined;
  for (const probe of probes) {
    if (refSources(probe).has('hostPeers') && (kube === null || typeof kube !== 'object' || kube.hostPeerService === undefined)) {
      throw new Error(`probe "${String(probe.name)}": kubernetes:host-peers needs kubernetes.hostPeerService (the host-network DaemonSet's headless Service, overlays/host-network)`);
    }
    const resolved = resolveProbe(probe, snap);
    if (resolved) out.push(resolved);
    else skipped.push(String(probe.name));
  }
  return { config: { ...rest, probes: out }, skipped };
}

/** The discovery sources a probe's list names (empty: it names none and needs no discovery). */
export function refSources(probe: unknown): Set<DiscoverySourceName> {
  const sources = new Set<DiscoverySourceName>();
  if (probe === null || typeof probe !== 'object') return sources;
  const p = probe as Record<string, unknown>;
  const list = p.kind === 'dns' ? p.servers : p.kind === 'tcp' || p.kind === 'icmp' ? p.targets : undefined;
  if (!Array.isArray(list)) return sources;
  for (const entry of list) {
    const ref = typeof entry === 'string' ? parseDiscoveryRef(entry) : undefined;
    if (ref) sources.add(ref.source);
  }
  return sources;
}

/** One probe with its refs replaced; undefined while they find nothing and it lists nothing else. Throws like resolveDiscoveryRefs. */
export function resolveProbe(probe: Record<string, unknown>, snap: DiscoverySnapshot): Record<string, unknown> | undefined {
  if (probe === null || typeof probe !== 'object') return probe;
  const field = probe.kind === 'dns' ? 'servers' : probe.kind === 'tcp' || probe.kind === 'icmp' ? 'targets' : undefined;
  const list = field ? probe[field] : undefined;
  if (!field || !Array.isArray(list)) return probe;
  const name = String(probe.name);
  const sources = new Set<DiscoverySourceName>();
  const entries: unknown[] = [];
  const seen = new Set<string>();
  const push = (key: string, entry: unknown) => {
    if (seen.has(key)) return;
    seen.add(key);
    entries.push(entry);
  };
  let hadRef = false;
  for (const entry of list) {
    const ref = typeof entry === 'string' ? parseDiscoveryRef(entry) : undefined;
    if (!ref) {
      if (typeof entry === 'string' && entry.trim().startsWith('kubernetes:')) {
        throw new Error(`probe "${name}": unknown discovery ref "${entry}"; expected kubernetes:dns-service, kubernetes:dns-endpoints, kubernetes:peers, kubernetes:host-peers or kubernetes:api-service, optionally with :PORT`);
      }
      entries.push(entry);
      continue;
    }
    hadRef = true;
    sources.add(ref.source);
    for (const t of found(snap, ref.source)) {
      if (probe.kind === 'dns') {
        if (ref.source === 'peers' || ref.source === 'hostPeers') throw new Error(`probe "${name}": ${entry} are not DNS servers`);
        if (ref.source === 'apiService') throw new Error(`probe "${name}": kubernetes:api-service is not a DNS server`);
        const label = hostPortLabel(t.host, ref.port ?? t.port ?? 53);
        push(label, label);
      } else if (probe.kind === 'tcp') {
        const port = ref.port ?? t.port;
        if (port === undefined) throw new Error(`probe "${name}": tcp targets need a port: "${String(entry).trim()}:PORT" (9810 is netprobe's own)`);
        const address = hostPortLabel(t.host, port);
        push(address, t.node ? { address, node: t.node } : address);
      } else {
        if (ref.port !== undefined) throw new Error(`probe "${name}": icmp targets take no port ("${entry}")`);
        if (ref.source === 'apiService') throw new Error(`probe "${name}": kubernetes:api-service is for tcp probes`);
        push(t.host, t.node ? { host: t.host, node: t.node } : t.host);
      }
    }
  }
  if (!hadRef) return probe;
  if (entries.length === 0) return undefined;
  const result: Record<string, unknown> = { ...probe, [field]: entries };
  if (result.targetKind === undefined) {
    if (sources.size > 1) {
      throw new Error(`probe "${name}": list ${[...sources].map((s) => `kubernetes:${s}`).join(' and ')} in separate probes, or set targetKind (their target_kind differs)`);
    }
    result.targetKind = SOURCE_KIND[[...sources][0]!];
  }
  return result;
}

/**
 * Calls `listener` once discovery has been quiet for `debounceMs` after a
 * change of the sets probes use, with the sources that changed: a burst of
 * watch events (a rollout) becomes one call. Returns the unsubscribe function.
 */
export function onDiscoveredChange(
  discovery: Discovery,
  listener: (sources: ReadonlySet<DiscoverySourceName>) => void,
  debounceMs = 1000,
): () => void {
  let timer: NodeJS.Timeout | undefined;
  let changed = new Set<DiscoverySourceName>();
  const fire = (source: DiscoverySourceName) => () => {
    changed.add(source);
    clearTimeout(timer);
    timer = setTimeout(() => {
      const sources = changed;
      changed = new Set();
      listener(sources);
    }, debounceMs);
    timer.unref?.();
  };
  const offs = [
    discovery.dnsService.onChange(fire('dnsService')),
    discovery.dnsEndpoints.onChange(fire('dnsEndpoints')),
    discovery.peers.onChange(fire('peers')),
    discovery.hostPeers.onChange(fire('hostPeers')),
    discovery.apiService.onChange(fire('apiService')),
  ];
  return () => {
    clearTimeout(timer);
    for (const off of offs) off();
  };
}
