// Entry point for the daemon: config block -> discovery options -> running discovery.
import { readFileSync } from 'node:fs';
import { type KubernetesConfig, splitRef } from './config.ts';
import { type ConnectionEnv, type ApiConnection, defaultKubeconfigPath, inClusterAvailable, inClusterConnection, kubeconfigConnection } from './connection.ts';
import type { DiscoveryOptions } from './discovery.ts';
import { resolvConfNameservers } from './objects.ts';

export { DISCOVERY_REFS, type DiscoveryRef, type DiscoverySourceName, type KubernetesConfig, isDiscoveryRef, kubernetesSchema, parseDiscoveryRef } from './config.ts';
export { type Discovery, type DiscoveryDeps, type DiscoveryOptions, DISCOVERY_RESOURCES, type DiscoveryResource, startDiscovery } from './discovery.ts';
export { DISCOVERY_ERROR_REASONS, type DiscoveryErrorReason } from './client.ts';
export { type DiscoverySnapshot, EMPTY_SNAPSHOT, PLACEHOLDER_SNAPSHOT, onDiscoveredChange, refSources, type Resolved, resolveDiscoveryRefs, resolveProbe, snapshotOf } from './resolve.ts';

export interface DiscoveryEnv extends ConnectionEnv {
  /** The top-level `sourceNode`, when set (else $NODE_NAME). */
  sourceNode?: string;
}

const realEnv: DiscoveryEnv = { env: process.env, readFile: (p) => readFileSync(p, 'utf8') };

export function connectionFromConfig(config: KubernetesConfig, env: ConnectionEnv = realEnv): ApiConnection {
  const useCluster = config.connection === 'in-cluster' || (config.connection === 'auto' && !config.kubeconfig && inClusterAvailable(env));
  if (useCluster) return inClusterConnection(env);
  return kubeconfigConnection(config.kubeconfig ?? defaultKubeconfigPath(env.env), config.context, env);
}

/**
 * Turns the parsed `kubernetes:` block into options for startDiscovery; `uses.apiService`: a probe names
 * kubernetes:api-service, so the `kubernetes` Service is watched. Throws on setup errors (no credentials).
 */
export function discoveryOptionsFromConfig(config: KubernetesConfig, env: DiscoveryEnv = realEnv, uses: { apiService?: boolean } = {}): DiscoveryOptions {
  const namespace = config.namespace ?? env.env.POD_NAMESPACE ?? 'netprobe';
  let nameservers: string[] = [];
  try {
    nameservers = resolvConfNameservers(env.readFile(config.resolvConf));
  } catch {
    // No resolv.conf (tests, odd images): nothing to cross-check.
  }
  return {
    connection: connectionFromConfig(config, env),
    dnsService: splitRef(config.dnsService, namespace),
    peerService: splitRef(config.peerService, namespace),
    ...(config.hostPeerService ? { hostPeerService: splitRef(config.hostPeerService, namespace) } : {}),
    ...(uses.apiService ? { apiService: true } : {}),
    nodeName: config.nodeName ?? env.sourceNode ?? env.env.NODE_NAME ?? '',
    fanout: { k: config.peers, ...(config.minPeers !== undefined ? { minPeers: config.minPeers } : {}) },
    resolvConfNameservers: nameservers,
    watchTimeoutSeconds: Math.max(1, Math.round(config.watchTimeout / 1000)),
    watchIdleTimeoutMs: config.watchIdleTimeout,
    requestTimeoutMs: config.requestTimeout,
    backoff: { initialMs: config.backoff.initial, maxMs: config.backoff.max },
  };
}
