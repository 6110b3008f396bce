// The host-network flavour (deploy/kubernetes/overlays/host-network): the
// annotations flavour unchanged plus a hostNetwork DaemonSet in its own
// namespace, rendered by the real kubectl kustomize. manifests.test.ts gives it
// every generic check; this file lists every privilege difference between the
// two DaemonSets, so a new one fails until it is written down and justified.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { POD_CONFIG, podConfig as podConfigText } from '../../deploy/kubernetes/overlays/host-network/generate-pod-config.ts';
import { kubernetesSchema, splitRef } from '../../src/targets/kubernetes/config.ts';
import { resolveDiscoveryRefs } from '../../src/targets/kubernetes/resolve.ts';
import { type K8sObject, OVERLAYS_DIR, kustomizeAvailable, podSpec, render } from './kustomize.ts';

const one = (objects: K8sObject[], kind: string, name: string): K8sObject => {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name === name);
  expect(found, `${kind} ${name}`).toHaveLength(1);
  return found[0]!;
};

/** The security-relevant settings of a DaemonSet, flattened to compare the two. */
function privileges(ds: K8sObject): Record<string, unknown> {
  const pod = podSpec(ds) as Record<string, any>;
  const c = pod.containers[0];
  return {
    hostNetwork: pod.hostNetwork ?? false,
    hostPID: pod.hostPID ?? false,
    hostIPC: pod.hostIPC ?? false,
    hostPathVolumes: (pod.volumes ?? []).filter((v: { hostPath?: unknown }) => v.hostPath).length,
    hostPorts: c.ports.filter((p: { hostPort?: number }) => p.hostPort !== undefined).length,
    runAsNonRoot: pod.securityContext?.runAsNonRoot ?? false,
    runAsUser: pod.securityContext?.runAsUser,
    seccomp: pod.securityContext?.seccompProfile?.type,
    sysctls: (pod.securityContext?.sysctls ?? []).map((s: { name: string }) => s.name),
    privileged: c.securityContext?.privileged ?? false,
    allowPrivilegeEscalation: c.securityContext?.allowPrivilegeEscalation,
    readOnlyRootFilesystem: c.securityContext?.readOnlyRootFilesystem,
    capabilitiesDrop: c.securityContext?.capabilities?.drop,
    capabilitiesAdd: c.securityContext?.capabilities?.add ?? [],
    serviceAccountToken: pod.automountServiceAccountToken ?? true,
  };
}

/** What the host DaemonSet has that the pod one has not, and why (docs/deploy-host-network.md). */
const PRIVILEGE_DIFFERENCES = {
  // The point of the flavour: probe from the node's network namespace.
  hostNetwork: { pod: false, host: true },
  // A hostNetwork pod cannot set ping_group_range (it is the node's sysctl;
  // Kubernetes rejects net.* sysctls there): it relies on the node's value.
  sysctls: { pod: ['net.ipv4.ping_group_range'], host: [] },
};

describe.skipIf(!kustomizeAvailable)('host-network flavour', () => {
  const annotations = render(join(OVERLAYS_DIR, 'annotations'));
  const flavour = render(join(OVERLAYS_DIR, 'host-network'));
  const hostDs = one(flavour, 'DaemonSet', 'netprobe-host');
  const podDs = one(flavour, 'DaemonSet', 'netprobe');

  // The pod DaemonSet's config, and so its ConfigMap's name and the DaemonSet's reference to it, is the one change.
  const podConfigName = (objects: K8sObject[]) => (podSpec(one(objects, 'DaemonSet', 'netprobe'))!.volumes as { configMap?: { name: string } }[]).find((v) => v.configMap)!.configMap!.name;
  const podConfig = (objects: K8sObject[]) => parse((one(objects, 'ConfigMap', podConfigName(objects)).data as Record<string, string>)['config.yaml']!) as Record<string, any>;

  it('is the annotations flavour plus the host objects in their own namespace; the pod config alone differs', () => {
    const key = (o: K8sObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    const configOf = new Set([podConfigName(annotations), podConfigName(flavour)].map((n) => `ConfigMap/netprobe/${n}`));
    const withoutConfigRef = (o: K8sObject) => (o.kind === 'DaemonSet' && o.metadata.name === 'netprobe' ? JSON.parse(JSON.stringify(o).replaceAll(podConfigName(annotations), 'CONFIG')) : o);
    for (const o of annotations) {
      if (configOf.has(key(o))) continue;
      const f = flavour.find((x) => key(x) === key(o));
      expect(f && (o.kind === 'DaemonSet' ? JSON.parse(JSON.stringify(f).replaceAll(podConfigName(flavour), 'CONFIG')) : f), key(o)).toEqual(withoutConfigRef(o));
    }
    const added = flavour.map(key).filter((k) => !annotations.map(key).includes(k) && !configOf.has(k)).sort();
    expect(added).toEqual([
      'ClusterRoleBinding//netprobe-host-nodes',
      expect.stringMatching(/^ConfigMap\/netprobe-host\/netprobe-host-config-[0-9a-z]{10}$/),
      'DaemonSet/netprobe-host/netprobe-host',
      'Namespace//netprobe-host',
      'Role/netprobe-host/netprobe-host-peers',
      'RoleBinding/default/netprobe-host-api-service',
      'RoleBinding/kube-system/netprobe-host-dns',
      'RoleBinding/netprobe-host/netprobe-host-peers',
      'RoleBinding/netprobe-host/netprobe-pod-host-peers',
      'RoleBinding/netprobe/netprobe-host-pod-peers',
      'Service/netprobe-host/netprobe-host-peers',
      'ServiceAccount/netprobe-host/netprobe-host',
    ]);
  });

  it("the pod config is the base's plus hostPeerService and probes of the nodes' own addresses, and the committed file is generated", () => {
    const base = podConfig(annotations);
    const pod = podConfig(flavour);
    expect(pod.kubernetes).toEqual({ ...base.kubernetes, hostPeerService: 'netprobe-host/netprobe-host-peers' });
    expect(pod.probes.slice(0, base.probes.length)).toEqual(base.probes);
    const added = pod.probes.slice(base.probes.length);
    expect(added.map((p: { kind: string; targets: string[]; targetKind: string }) => [p.kind, p.targets, p.targetKind])).toEqual([
      ['tcp', ['kubernetes:host-peers:9810'], 'node'],
      ['icmp', ['kubernetes:host-peers'], 'node'],
    ]);
    expect(readFileSync(POD_CONFIG, 'utf8')).toBe(podConfigText());
  });

  it('differs from the pod DaemonSet in exactly the listed privileges, and keeps every other lock', () => {
    const pod = privileges(podDs);
    const host = privileges(hostDs);
    const differing = Object.keys(pod).filter((k) => JSON.stringify(pod[k]) !== JSON.stringify(host[k]));
    expect(differing.sort()).toEqual(Object.keys(PRIVILEGE_DIFFERENCES).sort());
    for (const [k, { pod: p, host: h }] of Object.entries(PRIVILEGE_DIFFERENCES)) {
      expect(pod[k], `pod ${k}`).toEqual(p);
      expect(host[k], `host ${k}`).toEqual(h);
    }
    expect(host).toMatchObject({ runAsNonRoot: true, privileged: false, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilitiesDrop: ['ALL'], capabilitiesAdd: [] });
  });

  it('the pod namespace stays restricted; only the host namespace is privileged (hostNetwork needs it)', () => {
    expect(one(flavour, 'Namespace', 'netprobe').metadata.labels!['pod-security.kubernetes.io/enforce']).toBe('restricted');
    expect(one(flavour, 'Namespace', 'netprobe-host').metadata.labels!['pod-security.kubernetes.io/enforce']).toBe('privileged');
  });

  it('says it is the host vantage, resolves cluster DNS from the host network, and has its own peer Service', () => {
    const pod = podSpec(hostDs) as Record<string, any>;
    expect(pod.dnsPolicy).toBe('ClusterFirstWithHostNet');
    expect(pod.containers[0].env).toContainEqual({ name: 'NETPROBE_VANTAGE', value: 'host' });
    const svc = one(flavour, 'Service', 'netprobe-host-peers');
    expect((svc.spec as any).selector).toEqual((hostDs.spec as any).selector.matchLabels);
    expect((svc.spec as any).clusterIP).toBe('None');
    // The pod vantage's peer Service must not pick up host pods.
    expect((one(flavour, 'Service', 'netprobe-peers').spec as any).selector['app.kubernetes.io/component']).toBe('probe');
  });

  it("its config probes the other nodes' own addresses (ICMP + TCP to the host port), their pods (TCP) and the API VIP with TLS, and parses after discovery", () => {
    const volume = (podSpec(hostDs)!.volumes as { name: string; configMap?: { name: string } }[]).find((v) => v.configMap)!;
    const cm = one(flavour, 'ConfigMap', volume.configMap!.name);
    const config = parse((cm.data as Record<string, string>)['config.yaml']!) as Record<string, any>;
    const kube = kubernetesSchema.parse(config.kubernetes);
    expect([kube.peerService, kube.hostPeerService]).toEqual(['netprobe/netprobe-peers', 'netprobe-host-peers']);
    // Both configs name the same two Services: the pod DaemonSet's (pod IPs) and this one's (node addresses).
    expect(splitRef(kube.peerService, 'netprobe-host')).toEqual(splitRef(podConfig(flavour).kubernetes.peerService, 'netprobe'));
    expect(splitRef(kube.hostPeerService!, 'netprobe-host')).toEqual(splitRef(podConfig(flavour).kubernetes.hostPeerService, 'netprobe'));
    const byKind = (kind: string) => config.probes.filter((p: { kind: string }) => p.kind === kind);
    expect(byKind('icmp').map((p: { targets: string[] }) => p.targets[0])).toEqual(['kubernetes:host-peers']);
    expect(byKind('tcp').map((p: { targets: string[] }) => p.targets[0])).toEqual(['kubernetes:host-peers:9810', 'kubernetes:peers:9810', 'kubernetes:api-service:443']);
    const node = { id: '198.18.0.3', label: '198.18.0.3', kind: 'peer' as const, node: 'n3', ip: '198.18.0.3', pod: 'p', ready: true };
    const pod = { id: '10.244.3.7', label: '10.244.3.7', kind: 'peer' as const, node: 'n3', ip: '10.244.3.7', pod: 'p', ready: true };
    const { config: resolved, skipped } = resolveDiscoveryRefs(config, { dnsService: [], dnsEndpoints: [], peers: [pod], hostPeers: [node], apiService: [{ host: '198.19.0.1', port: 443 }] });
    expect(skipped).toEqual([]);
    const parsed = configSchema.safeParse(resolved);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    const targetsOf = (name: string) => parsed.data!.probes.find((p) => p.name === name) as unknown as { targets: unknown[]; targetKind: string };
    expect([targetsOf('nodes-tcp').targets, targetsOf('nodes-tcp').targetKind]).toEqual([[{ host: '198.18.0.3', port: 9810, node: 'n3' }], 'node']);
    expect([targetsOf('pods-tcp').targets, targetsOf('pods-tcp').targetKind]).toEqual([[{ host: '10.244.3.7', port: 9810, node: 'n3' }], 'peer']);
  });
});
