// A simulated 5,000-node cluster in the fake API server: Nodes the size real
// ones are (status with images, managedFields), the DNS Service with its
// EndpointSlice, and netprobe's headless Service with one endpoint per node in
// slices of 100 (the EndpointSlice controller's default). Churn follows what
// the controllers do: a joining node's endpoint appears not ready, turns ready
// 10 s later; a leaving one turns terminating, then goes with its Node 5 s
// later. Kubelets post Node status every 5 min (spread). Every address is
// loopback: the daemon under test really probes them.
import type { FakeApiServer, FakeObject } from '../../test/k8s/fake-apiserver.ts';

export const NODES = '/api/v1/nodes';
export const SLICES = (ns: string) => `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`;
export const SERVICES = (ns: string) => `/api/v1/namespaces/${ns}/services`;
export const DNS_VIP = '127.53.0.10';
const PER_SLICE = 100;

export const nodeName = (i: number) => `node-${String(i).padStart(5, '0')}`;
/** Pod IP of node i's netprobe pod: 127.10.x.y. */
export const podIp = (i: number) => `127.10.${Math.floor(i / 250)}.${1 + (i % 250)}`;

const IMAGES = Array.from({ length: 40 }, (_, i) => ({
  names: [`registry.example/team-${i}/service-${i}@sha256:${'ab'.repeat(32)}`, `registry.example/team-${i}/service-${i}:v1.${i}.0`],
  sizeBytes: 50_000_000 + i * 1_234_567,
}));

/** A Node as a kubelet of today posts it (~14 KB of JSON). */
export function nodeObject(i: number, heartbeat: string): FakeObject {
  const name = nodeName(i);
  const conditions = ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready'].map((type) => ({
    type,
    status: type === 'Ready' ? 'True' : 'False',
    lastHeartbeatTime: heartbeat,
    lastTransitionTime: '2026-11-01T00:00:00Z',
    reason: type === 'Ready' ? 'KubeletReady' : `KubeletHasNo${type}`,
    message: type === 'Ready' ? 'kubelet is posting ready status' : `kubelet has no ${type.toLowerCase()}`,
  }));
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      uid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      creationTimestamp: '2026-11-01T00:00:00Z',
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'node.kubernetes.io/instance-type': 'm6i.2xlarge',
        'topology.kubernetes.io/zone': `zone-${i % 3}`,
        'topology.kubernetes.io/region': 'region-1',
        'node-pool': `pool-${i % 10}`,
      },
      annotations: {
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
        'csi.volume.kubernetes.io/nodeid': JSON.stringify({ 'ebs.csi.aws.com': `i-${String(i).padStart(17, '0')}` }),
      },
      managedFields: ['kubelet', 'kube-controller-manager', 'kube-proxy', 'cloud-node-manager'].map((manager) => ({
        manager,
        operation: 'Update',
        apiVersion: 'v1',
        time: '2026-11-01T00:00:00Z',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:metadata': { 'f:labels': Object.fromEntries(['hostname', 'os', 'arch', 'zone'].map((l) => [`f:kubernetes.io/${l}`, {}])) }, 'f:status': { 'f:conditions': { 'k:{"type":"Ready"}': { '.': {}, 'f:lastHeartbeatTime': {}, 'f:status': {} } } } },
      })),
    },
    spec: { podCIDR: `10.${i >> 8}.${i & 255}.0/24`, providerID: `aws:///zone-${i % 3}/i-${String(i).padStart(17, '0')}` },
    status: {
      capacity: { cpu: '8', memory: '32386520Ki', pods: '110', 'ephemeral-storage': '104845292Ki' },
      allocatable: { cpu: '7910m', memory: '31369688Ki', pods: '110', 'ephemeral-storage': '95551679124' },
      conditions,
      addresses: [
        { type: 'InternalIP', address: `10.0.${i >> 8}.${i & 255}` },
        { type: 'Hostname', address: name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: { machineID: 'f'.repeat(32), systemUUID: 'e'.repeat(36), bootID: 'd'.repeat(36), kernelVersion: '6.1.0', osImage: 'Debian GNU/Linux 12', containerRuntimeVersion: 'containerd://1.7.0', kubeletVersion: 'v1.31.0', kubeProxyVersion: 'v1.31.0', operatingSystem: 'linux', architecture: 'amd64' },
      images: IMAGES,
    },
  };
}

interface Endpoint {
  i: number;
  ready: boolean;
  terminating: boolean;
}

/** The cluster's mutable state, pushed to the fake API server as the controllers would. */
export class Cluster {
  readonly #api: FakeApiServer;
  readonly #slices: (Endpoint | undefined)[][] = [];
  readonly #live = new Set<number>();
  #next: number;
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(api: FakeApiServer, nodes: number) {
    this.#api = api;
    this.#next = nodes;
    const stamp = new Date().toISOString();
    for (let i = 0; i < nodes; i++) {
      api.upsert(NODES, nodeObject(i, stamp));
      this.#live.add(i);
    }
    for (let s = 0; s * PER_SLICE < nodes; s++) {
      this.#slices.push(Array.from({ length: Math.min(PER_SLICE, nodes - s * PER_SLICE) }, (_, j) => ({ i: s * PER_SLICE + j, ready: true, terminating: false })));
      this.#pushSlice(s);
    }
    api.upsert(SERVICES('kube-system'), {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kube-dns', namespace: 'kube-system' },
      spec: { clusterIP: DNS_VIP, clusterIPs: [DNS_VIP], ports: [{ name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 }, { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 }] },
    });
    api.upsert(SLICES('kube-system'), {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'kube-dns-abcde', namespace: 'kube-system', labels: { 'kubernetes.io/service-name': 'kube-dns' } },
      addressType: 'IPv4',
      endpoints: Array.from({ length: 10 }, (_, j) => ({
        addresses: [`127.53.0.${j + 1}`],
        conditions: { ready: true, serving: true, terminating: false },
        nodeName: nodeName(j * 7),
        targetRef: { kind: 'Pod', namespace: 'kube-system', name: `coredns-5d78c9869d-${j}` },
      })),
      ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }],
    });
  }

  /** A node joins: its Node, then its netprobe pod's endpoint (not ready, ready 10 s later). */
  join(): void {
    const i = this.#next++;
    this.#api.upsert(NODES, nodeObject(i, new Date().toISOString()));
    this.#live.add(i);
    let s = this.#slices.findIndex((slice) => slice.length < PER_SLICE || slice.includes(undefined));
    if (s < 0) s = this.#slices.push([]) - 1;
    const slice = this.#slices[s]!;
    const ep: Endpoint = { i, ready: false, terminating: false };
    const hole = slice.indexOf(undefined);
    if (hole >= 0) slice[hole] = ep;
    else slice.push(ep);
    this.#pushSlice(s);
    this.#later(10_000, () => {
      ep.ready = true;
      this.#pushSlice(s);
    });
  }

  /** A node leaves (never `keep`): its endpoint turns terminating, 5 s later it and its Node go. */
  leave(random: () => number, keep: number): void {
    const candidates = [...this.#live].filter((i) => i !== keep);
    const i = candidates[Math.floor(random() * candidates.length)]!;
    this.#live.delete(i);
    const s = this.#slices.findIndex((slice) => slice.some((e) => e?.i === i));
    const slice = this.#slices[s]!;
    const ep = slice.find((e) => e?.i === i)!;
    ep.terminating = true;
    ep.ready = false;
    this.#pushSlice(s);
    this.#later(5000, () => {
      slice[slice.indexOf(ep)] = undefined;
      this.#pushSlice(s);
      this.#api.delete(NODES, nodeName(i));
    });
  }

  /** One kubelet status post (heartbeat) for a random live node. */
  heartbeat(random: () => number): void {
    const live = [...this.#live];
    this.#api.upsert(NODES, nodeObject(live[Math.floor(random() * live.length)]!, new Date().toISOString()));
  }

  stop(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }

  #later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    this.#timers.add(t);
  }

  #pushSlice(s: number): void {
    const endpoints = this.#slices[s]!.filter((e): e is Endpoint => e !== undefined);
    this.#api.upsert(SLICES('netprobe'), {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `netprobe-peers-${String(s).padStart(3, '0')}`, namespace: 'netprobe', labels: { 'kubernetes.io/service-name': 'netprobe-peers' } },
      addressType: 'IPv4',
      endpoints: endpoints.map((e) => ({
        addresses: [podIp(e.i)],
        conditions: { ready: e.ready, serving: e.ready, terminating: e.terminating },
        nodeName: nodeName(e.i),
        targetRef: { kind: 'Pod', namespace: 'netprobe', name: `netprobe-${nodeName(e.i)}`, uid: `11111111-0000-4000-8000-${String(e.i).padStart(12, '0')}` },
      })),
      ports: [{ name: 'metrics', port: 9810, protocol: 'TCP' }],
    });
  }
}
