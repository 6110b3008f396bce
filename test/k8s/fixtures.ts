// Kubernetes objects as the API server returns them (the fields netprobe reads),
// and the collection paths the discovery watches. Addresses are from
// 198.18.0.0/15: discovery only lists them, nothing is ever sent there.
import type { DiscoveryOptions } from '../../src/targets/kubernetes/discovery.ts';
import type { FakeObject } from './fake-apiserver.ts';

export const SERVICES = (ns: string) => `/api/v1/namespaces/${ns}/services`;
export const SLICES = (ns: string) => `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`;
export const NODES = '/api/v1/nodes';

export function service(namespace: string, name: string, clusterIP: string): FakeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: {
      clusterIP,
      clusterIPs: clusterIP === 'None' ? ['None'] : [clusterIP],
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
        { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
        { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 },
      ],
    },
  };
}

export interface EndpointSpec {
  ip: string;
  node?: string;
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
  pod?: string;
}

export function slice(namespace: string, name: string, serviceName: string, endpoints: EndpointSpec[], ports = [{ name: 'dns', port: 53, protocol: 'UDP' }]): FakeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace, labels: { 'kubernetes.io/service-name': serviceName } },
    addressType: 'IPv4',
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: e.ready ?? true, serving: e.serving ?? e.ready ?? true, terminating: e.terminating ?? false },
      ...(e.node ? { nodeName: e.node } : {}),
      targetRef: { kind: 'Pod', namespace, name: e.pod ?? `pod-${e.ip.replaceAll('.', '-')}` },
    })),
    ports,
  };
}

export function node(name: string, created: string, zone: string, ready: boolean): FakeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, creationTimestamp: created, labels: { 'kubernetes.io/hostname': name, 'topology.kubernetes.io/zone': zone } },
    status: { conditions: [{ type: 'MemoryPressure', status: 'False' }, { type: 'Ready', status: ready ? 'True' : 'False' }] },
  };
}

/** Polls until `check` returns true; fails with `what` after `timeoutMs`. Bounded in time. */
export async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Discovery options for tests against the fake API server at `url`: fast backoff, short timeouts. */
export function testDiscoveryOptions(url: string, overrides: Partial<DiscoveryOptions> = {}): DiscoveryOptions {
  return {
    connection: { server: url },
    dnsService: { namespace: 'kube-system', name: 'kube-dns' },
    peerService: { namespace: 'netprobe', name: 'netprobe-peers' },
    nodeName: 'n1',
    fanout: { k: 8 },
    watchTimeoutSeconds: 60,
    watchIdleTimeoutMs: 5000,
    requestTimeoutMs: 2000,
    backoff: { initialMs: 20, maxMs: 100 },
    ...overrides,
  };
}
