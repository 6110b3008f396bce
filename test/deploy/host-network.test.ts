// The host-network flavour (deploy/host-network): the base
// unchanged plus a hostNetwork DaemonSet in its own namespace. The same schema
// and invariant checks as the base, with every privilege difference listed
// here, so a new one fails until it is written down and justified.
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { kubernetesSchema } from '../../src/targets/kubernetes/config.ts';
import { resolveDiscoveryRefs } from '../../src/targets/kubernetes/resolve.ts';
import { type K8sObject, podSpec, render, repoRoot } from './kustomize.ts';

const BASE = join(repoRoot, 'deploy', 'kubernetes');
const HOST = join(repoRoot, 'deploy', 'host-network');
const base = render(BASE);
const flavour = render(HOST);

const one = (objects: K8sObject[], kind: string, name: string): K8sObject => {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name === name);
  expect(found, `${kind} ${name}`).toHaveLength(1);
  return found[0]!;
};

async function validate(o: K8sObject): Promise<void> {
  const mod = (await import(`kubernetes-models/${o.apiVersion}`)) as Record<string, new (data: unknown) => { validate(): void }>;
  new mod[o.kind]!(o).validate();
}

/**
 * The security-relevant settings of a DaemonSet, flattened, to compare the two.
 * Anything here that differs between the pod and the host DaemonSet must be in
 * PRIVILEGE_DIFFERENCES below.
 */
function privileges(ds: K8sObject): Record<string, unknown> {
  const pod = podSpec(ds) as Record<string, any>;
  const c = pod.containers[0];
  return {
    hostNetwork: pod.hostNetwork ?? false,
    hostPID: pod.hostPID ?? false,
    hostIPC: pod.hostIPC ?? false,
    hostPathVolumes: (pod.volumes ?? []).filter((v: { hostPath?: unknown }) => v.hostPath).length,
    runAsNonRoot: pod.securityContext?.runAsNonRoot ?? false,
    runAsUser: pod.securityContext?.runAsUser,
    seccomp: pod.securityContext?.seccompProfile?.type,
    sysctls: (pod.securityContext?.sysctls ?? []).map((s: { name: string }) => s.name),
    privileged: c.securityContext?.privileged ?? false,
    allowPrivilegeEscalation: c.securityContext?.allowPrivilegeEscalation,
    readOnlyRootFilesystem: c.securityContext?.readOnlyRootFilesystem,
    capabilitiesDrop: c.securityContext?.capabilities?.drop,
    capabilitiesAdd: c.securityContext?.capabilities?.add ?? [],
  };
}

/** What the host DaemonSet needs beyond the pod one, and why (docs/deploy-host-network.md). */
const PRIVILEGE_DIFFERENCES = {
  // The point of the flavour: probe from the node's network namespace.
  hostNetwork: { pod: false, host: true },
  // ping_group_range cannot be set for a hostNetwork pod (it is the node's
  // sysctl), so no datagram ICMP sockets unless the node allows them...
  sysctls: { pod: ['net.ipv4.ping_group_range'], host: [] },
  // ...hence raw ICMP sockets, the one capability added...
  capabilitiesAdd: { pod: [], host: ['NET_RAW'] },
  // ...which Kubernetes grants to root processes only (no ambient capabilities).
  runAsNonRoot: { pod: true, host: false },
  runAsUser: { pod: 65532, host: 0 },
};

describe('host-network flavour', () => {
  const hostDs = one(flavour.objects, 'DaemonSet', 'netprobe-host');
  const podDs = one(base.objects, 'DaemonSet', 'netprobe');

  it('is the base, unchanged, plus the host objects in their own namespace', () => {
    const key = (o: K8sObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    const baseKeys = base.objects.map(key);
    for (const o of base.objects) expect(flavour.objects.find((f) => key(f) === key(o)), key(o)).toEqual(o);
    const added = flavour.objects.map(key).filter((k) => !baseKeys.includes(k)).sort();
    expect(added).toEqual([
      'ClusterRoleBinding//netprobe-host',
      expect.stringMatching(/^ConfigMap\/netprobe-host\/netprobe-host-config-[0-9a-f]{10}$/),
      'DaemonSet/netprobe-host/netprobe-host',
      'Namespace//netprobe-host',
      'Service/netprobe-host/netprobe-host-peers',
      'ServiceAccount/netprobe-host/netprobe',
    ]);
  });

  it('every object passes its OpenAPI schema', async () => {
    for (const o of flavour.objects.filter((x) => x.metadata.namespace === 'netprobe-host' || x.metadata.name === 'netprobe-host')) await validate(o);
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
    expect(host).toMatchObject({ hostPID: false, hostIPC: false, hostPathVolumes: 0, privileged: false, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilitiesDrop: ['ALL'], seccomp: 'RuntimeDefault' });
  });

  it('the base namespace stays restricted; only the host namespace is privileged', () => {
    expect(one(flavour.objects, 'Namespace', 'netprobe').metadata.labels!['pod-security.kubernetes.io/enforce']).toBe('restricted');
    expect(one(flavour.objects, 'Namespace', 'netprobe-host').metadata.labels!['pod-security.kubernetes.io/enforce']).toBe('privileged');
  });

  it('says it is the host vantage, resolves cluster DNS from the host network, and listens where it is scraped and probed', () => {
    const pod = podSpec(hostDs) as Record<string, any>;
    const c = pod.containers[0];
    expect(pod.dnsPolicy).toBe('ClusterFirstWithHostNet');
    expect(c.env).toContainEqual({ name: 'NETPROBE_VANTAGE', value: 'host' });
    const port = c.ports.find((p: { name: string }) => p.name === 'http-metrics').containerPort;
    expect((hostDs.spec as any).template.metadata.annotations['prometheus.io/port']).toBe(String(port));
    const svc = one(flavour.objects, 'Service', 'netprobe-host-peers');
    expect((svc.spec as any).selector).toEqual((hostDs.spec as any).selector.matchLabels);
    expect((svc.spec as any).clusterIP).toBe('None');
    // The pod vantage's peer Service must not pick up host pods.
    expect((one(flavour.objects, 'Service', 'netprobe-peers').spec as any).selector['app.kubernetes.io/component']).toBe('probe');
    const binding = one(flavour.objects, 'ClusterRoleBinding', 'netprobe-host') as any;
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'netprobe', namespace: 'netprobe-host' }]);
    expect(binding.roleRef.name).toBe('netprobe');
  });

  it('its config probes the other nodes (ICMP + TCP to the host port) and the API VIP with TLS, and parses after discovery', () => {
    const file = [...flavour.files.keys()].find((f) => f.endsWith(join('host', 'config.yaml')))!;
    const config = parse(flavour.files.get(file)!) as Record<string, any>;
    expect(config.listen).toBe('0.0.0.0:9811');
    expect(kubernetesSchema.parse(config.kubernetes).peerService).toBe('netprobe-host-peers');
    const byKind = (kind: string) => config.probes.filter((p: { kind: string }) => p.kind === kind);
    expect(byKind('icmp')[0].targets).toEqual(['kubernetes:peers']);
    expect(byKind('tcp').map((p: { targets: string[] }) => p.targets[0])).toEqual(['kubernetes:peers:9811', 'kubernetes:api-service']);
    const node = { id: '198.18.0.3', label: '198.18.0.3', kind: 'peer' as const, node: 'n3', ip: '198.18.0.3', pod: 'p', ready: true };
    const { config: resolved, skipped } = resolveDiscoveryRefs(config, { dnsService: [], dnsEndpoints: [], peers: [node], apiService: [{ host: '198.19.0.1', port: 443 }] });
    expect(skipped).toEqual([]);
    const parsed = configSchema.safeParse(resolved);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
  });
});

describe('host-network flavour with the real kubectl kustomize', () => {
  const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
  const available = kubectl.status === 0;
  // kubectl is not a Debian package on bookworm; where it is installed (this
  // machine), the real renderer must agree with the test one.
  it.runIf(available)('renders the same objects as the test renderer', () => {
    const out = spawnSync('kubectl', ['kustomize', HOST], { encoding: 'utf8', timeout: 60_000 });
    expect(out.status, out.stderr).toBe(0);
    const names = (objects: { kind: string; metadata: { name: string; namespace?: string } }[]) =>
      objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name.replace(/-[a-z0-9]{10}$/, '')}`).sort();
    const real = parseAllDocuments(out.stdout).map((d) => d.toJS()) as K8sObject[];
    expect(names(real)).toEqual(names(flavour.objects));
    expect(privileges(real.find((o) => o.kind === 'DaemonSet' && o.metadata.name === 'netprobe-host')!)).toEqual(privileges(one(flavour.objects, 'DaemonSet', 'netprobe-host')));
  });
});
