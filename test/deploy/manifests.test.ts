// deploy/kubernetes as `kubectl apply -k` would render it: every object
// validated against the Kubernetes OpenAPI schemas (kubernetes-models) and the
// prometheus-operator CRD schemas, plus the invariants the product needs.
import { join } from 'node:path';
import { readdirSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { kubernetesSchema, parseDiscoveryRef } from '../../src/targets/kubernetes/config.ts';
import { startDiscovery } from '../../src/targets/kubernetes/discovery.ts';
import { resolveDiscoveryRefs } from '../../src/targets/kubernetes/resolve.ts';
import { FakeApiServer } from '../k8s/fake-apiserver.ts';
import { SERVICES, SLICES, service, testDiscoveryOptions } from '../k8s/fixtures.ts';
import { type K8sObject, containersOf, podSpec, render, repoRoot } from './kustomize.ts';

const BASE = join(repoRoot, 'deploy', 'kubernetes');
const OPERATOR = join(BASE, 'operator');
const base = render(BASE);
const operator = render(OPERATOR);

const one = (objects: K8sObject[], kind: string, name?: string): K8sObject => {
  const found = objects.filter((o) => o.kind === kind && (!name || o.metadata.name === name));
  expect(found, `${kind} ${name ?? ''}`).toHaveLength(1);
  return found[0]!;
};

/** apiVersion -> the module holding its model classes. */
function modelModule(apiVersion: string): string {
  if (apiVersion === 'monitoring.coreos.com/v1') return '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
  return `kubernetes-models/${apiVersion}`;
}

async function validate(o: K8sObject): Promise<void> {
  const mod = (await import(modelModule(o.apiVersion))) as Record<string, new (data: unknown) => { validate(): void }>;
  const Model = mod[o.kind];
  if (!Model) throw new Error(`no schema for ${o.apiVersion} ${o.kind}`);
  new Model(o).validate();
}

describe('deploy/kubernetes renders and validates', () => {
  it('the base has every object the install needs, in one namespace', () => {
    const kinds = base.objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(kinds).toEqual([
      'ClusterRole/netprobe',
      'ClusterRoleBinding/netprobe',
      expect.stringMatching(/^ConfigMap\/netprobe-config-[0-9a-f]{10}$/),
      'DaemonSet/netprobe',
      'Namespace/netprobe',
      'PriorityClass/netprobe-node-monitor',
      'Service/netprobe-peers',
      'ServiceAccount/netprobe',
    ]);
    for (const o of base.objects) {
      if (['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'PriorityClass'].includes(o.kind)) expect(o.metadata.namespace).toBeUndefined();
      else expect(o.metadata.namespace, `${o.kind}`).toBe('netprobe');
    }
  });

  it('every YAML file in deploy/kubernetes is used by a kustomization (no orphans)', () => {
    for (const dir of [BASE, OPERATOR]) {
      for (const f of readdirSync(dir).filter((n) => n.endsWith('.yaml'))) {
        expect(base.files.has(join(dir, f)) || operator.files.has(join(dir, f)), `${dir}/${f}`).toBe(true);
      }
    }
  });

  it('every object of the base and the operator overlay passes its OpenAPI schema', async () => {
    for (const o of operator.objects) await validate(o);
    expect(operator.objects.length).toBe(base.objects.length + 2);
  });

  it('the schema check really rejects a broken object', async () => {
    const ds = structuredClone(one(base.objects, 'DaemonSet'));
    (podSpec(ds)!.containers as { ports: { containerPort: unknown }[] }[])[0]!.ports[0]!.containerPort = 'http';
    await expect(validate(ds)).rejects.toThrow(/containerPort/);
    const sm = structuredClone(one(operator.objects, 'ServiceMonitor'));
    (sm.spec as { endpoints: { interval: unknown }[] }).endpoints[0]!.interval = 30;
    await expect(validate(sm)).rejects.toThrow(/interval/);
  });
});

describe('DaemonSet invariants', () => {
  const ds = one(base.objects, 'DaemonSet', 'netprobe');
  const pod = podSpec(ds)! as Record<string, any>;
  const container = pod.containers[0] as Record<string, any>;

  it('runs on every node: tolerates every taint, has a priority class that exists', () => {
    expect(pod.tolerations).toContainEqual({ operator: 'Exists' });
    const pc = one(base.objects, 'PriorityClass', pod.priorityClassName);
    expect(pc.value as number).toBeGreaterThan(0);
    expect(pc.value as number).toBeLessThan(1_000_000_000); // below the system-* classes
    expect(pc.globalDefault).toBe(false);
    expect(pod.hostNetwork ?? false).toBe(false); // pod networking is what is probed
  });

  it('is locked down: non-root, read-only root, no privilege escalation, seccomp, capabilities dropped', () => {
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(pod.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
    const sc = container.securityContext;
    expect(sc.allowPrivilegeEscalation).toBe(false);
    expect(sc.readOnlyRootFilesystem).toBe(true);
    expect(sc.privileged ?? false).toBe(false);
    expect(sc.capabilities.drop).toEqual(['ALL']);
    // NET_RAW at most; without it, ICMP needs datagram sockets allowed for the pod's group.
    const added: string[] = sc.capabilities.add ?? [];
    expect(added.every((c) => c === 'NET_RAW')).toBe(true);
    if (!added.includes('NET_RAW')) {
      const sysctl = (pod.securityContext.sysctls ?? []).find((s: { name: string }) => s.name === 'net.ipv4.ping_group_range');
      expect(sysctl, 'ping_group_range sysctl (no NET_RAW)').toBeDefined();
      const [lo, hi] = (sysctl.value as string).split(/\s+/).map(Number);
      const gid = pod.securityContext.runAsGroup as number;
      expect(lo! <= gid && gid <= hi!).toBe(true);
    }
  });

  it('gets NODE_NAME, POD_IP and POD_NAMESPACE from the downward API', () => {
    const env = Object.fromEntries((container.env as { name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[]).map((e) => [e.name, e.valueFrom?.fieldRef?.fieldPath]));
    expect(env).toMatchObject({ NODE_NAME: 'spec.nodeName', POD_IP: 'status.podIP', POD_NAMESPACE: 'metadata.namespace' });
    // OTLP stays opt-in: no endpoint set by default.
    expect(env.OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined();
  });

  it('has liveness on /healthz and readiness on /readyz at the port it listens on, and scrape annotations to match', () => {
    const port = container.ports.find((p: { name: string }) => p.name === 'http-metrics');
    expect(port.containerPort).toBe(9810);
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http-metrics' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http-metrics' });
    const annotations = (ds.spec as any).template.metadata.annotations;
    expect(annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9810', 'prometheus.io/path': '/metrics' });
  });

  it('sets requests and limits, requests below limits', () => {
    const { requests, limits } = container.resources;
    const mem = (q: string) => Number(q.replace(/Mi$/, '')) * 2 ** 20;
    const cpu = (q: string) => (q.endsWith('m') ? Number(q.slice(0, -1)) / 1000 : Number(q));
    for (const r of ['cpu', 'memory']) {
      expect(requests[r], `requests.${r}`).toBeDefined();
      expect(limits[r], `limits.${r}`).toBeDefined();
    }
    expect(cpu(requests.cpu)).toBeLessThanOrEqual(cpu(limits.cpu));
    expect(mem(requests.memory)).toBeLessThanOrEqual(mem(limits.memory));
  });

  it('runs the daemon on the generated config, mounted read-only', () => {
    expect(container.args).toEqual(['run', '--config', '/etc/netprobe/config.yaml']);
    expect(container.image).toMatch(/^[a-z0-9./-]+\/netprobe:[0-9A-Za-z._-]+$/);
    const mount = container.volumeMounts.find((m: { mountPath: string }) => m.mountPath === '/etc/netprobe');
    expect(mount.readOnly).toBe(true);
    const volume = pod.volumes.find((v: { name: string }) => v.name === mount.name);
    const cm = one(base.objects, 'ConfigMap', volume.configMap.name);
    expect(Object.keys(cm.data as object)).toEqual(['config.yaml']);
    one(base.objects, 'ServiceAccount', pod.serviceAccountName);
  });
});

describe('RBAC and the peer Service', () => {
  it('grants only get/list/watch on nodes, services and discovery.k8s.io endpointslices', () => {
    const role = one(base.objects, 'ClusterRole', 'netprobe');
    const granted = new Set<string>();
    for (const rule of role.rules as { apiGroups: string[]; resources: string[]; verbs: string[] }[]) {
      expect([...rule.verbs].sort()).toEqual(['get', 'list', 'watch']);
      for (const g of rule.apiGroups) for (const r of rule.resources) granted.add(`${g}/${r}`);
    }
    expect([...granted].sort()).toEqual(['/nodes', '/services', 'discovery.k8s.io/endpointslices']);
    const binding = one(base.objects, 'ClusterRoleBinding', 'netprobe');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'netprobe' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'netprobe', namespace: 'netprobe' }]);
  });

  it('discovery asks the API for nothing the ClusterRole does not grant', async () => {
    const f = await FakeApiServer.start();
    f.upsert(SERVICES('kube-system'), service('kube-system', 'kube-dns', '198.19.0.10'));
    const d = startDiscovery(testDiscoveryOptions(f.url));
    try {
      expect(await d.synced(3000)).toBe(true);
    } finally {
      await d.stop();
      await f.close();
    }
    const used = new Set(
      f.requests.map((r) => {
        const m = /^\/(?:api\/v1|apis\/([^/]+)\/[^/]+)(?:\/namespaces\/[^/]+)?\/([^/]+)$/.exec(r.path);
        expect(m, r.path).not.toBeNull();
        return `${m![1] ?? ''}/${m![2]}`;
      }),
    );
    expect([...used].sort()).toEqual(['/nodes', '/services', 'discovery.k8s.io/endpointslices']);
    expect(f.requests.some((r) => r.path === SLICES('netprobe'))).toBe(true);
  });

  it('the headless Service selects the DaemonSet pods, publishes not-ready ones, and is the config peerService', () => {
    const svc = one(base.objects, 'Service', 'netprobe-peers');
    const spec = svc.spec as Record<string, any>;
    expect(spec.clusterIP).toBe('None');
    expect(spec.publishNotReadyAddresses).toBe(true);
    const podLabels = (one(base.objects, 'DaemonSet').spec as any).template.metadata.labels;
    expect(podLabels).toMatchObject(spec.selector);
    expect(spec.ports[0]).toMatchObject({ port: 9810, targetPort: 'http-metrics' });
    const config = parse(base.files.get(join(BASE, 'config.yaml'))!);
    expect(kubernetesSchema.parse(config.kubernetes).peerService).toBe('netprobe-peers');
  });
});

describe('the default config', () => {
  const text = base.files.get(join(BASE, 'config.yaml'))!;
  const config = parse(text) as { kubernetes: unknown; probes: Record<string, any>[] };

  /** Discovery refs replaced by addresses of the benchmarking range, for the per-kind schemas as they stand. */
  function withRefsResolved(): unknown {
    const copy = structuredClone(config) as Record<string, any>;
    delete copy.kubernetes;
    for (const p of copy.probes) {
      const swap = (entry: string) => {
        const ref = parseDiscoveryRef(entry);
        if (!ref) return entry;
        const ip = ref.source === 'dnsService' ? '198.19.0.10' : ref.source === 'dnsEndpoints' ? '198.18.0.2' : '198.18.0.3';
        return ref.port ? `${ip}:${ref.port}` : ip;
      };
      if (p.servers) p.servers = p.servers.map(swap);
      if (p.targets) p.targets = p.targets.map(swap);
    }
    return copy;
  }

  it('has a valid kubernetes block and probes valid for their kinds', () => {
    const k = kubernetesSchema.parse(config.kubernetes);
    expect(k).toMatchObject({ dnsService: 'kube-system/kube-dns', peers: 8 });
    const parsed = configSchema.safeParse(withRefsResolved());
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
  });

  it('covers the VIP, every CoreDNS endpoint, resolv.conf, cluster and external names, peers over TCP and MTU', () => {
    const servers = config.probes.flatMap((p) => p.servers ?? []);
    expect(servers).toEqual(expect.arrayContaining(['kubernetes:dns-service', 'kubernetes:dns-endpoints', 'resolv.conf']));
    const names: string[] = config.probes.flatMap((p) => p.names ?? []);
    expect(names.some((n) => n.endsWith('.cluster.local'))).toBe(true);
    expect(names.some((n) => !n.endsWith('.cluster.local'))).toBe(true);
    const modes = config.probes.filter((p) => p.kind === 'dns').map((p) => p.mode ?? p.transport);
    expect(modes).toEqual(expect.arrayContaining(['parallel', 'reopen', 'tcp']));
    const tcp = config.probes.find((p) => p.kind === 'tcp')!;
    expect(tcp.targets).toEqual(['kubernetes:peers:9810']);
    const icmp = config.probes.find((p) => p.kind === 'icmp')!;
    expect(icmp.targets).toEqual(['kubernetes:peers']);
    expect([1500, 1480, 1450, 1440]).toContain(icmp.expectedMtu);
    for (const documented of ['1500', '1480', '1450']) expect(text).toContain(documented);
  });

  it('after discovery fills the refs, parses whole with the daemon schema (resolveDiscoveryRefs)', () => {
    const vip = { id: '198.19.0.10:53', label: '198.19.0.10:53', kind: 'service_vip' as const, node: '', server: { host: '198.19.0.10', port: 53 } };
    const peer = { id: '198.18.0.3', label: '198.18.0.3', kind: 'peer' as const, node: 'n3', ip: '198.18.0.3', pod: 'p', ready: true };
    const { config: resolved, skipped } = resolveDiscoveryRefs(config as Record<string, unknown>, { dnsService: [vip], dnsEndpoints: [{ ...vip, kind: 'endpoint' }], peers: [peer] });
    expect(skipped).toEqual([]);
    const parsed = configSchema.safeParse(resolved);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
  });
});

describe('operator overlay', () => {
  it('adds a ServiceMonitor for the peer Service port and the PrometheusRule, and drops the scrape annotations', () => {
    const sm = one(operator.objects, 'ServiceMonitor', 'netprobe');
    const svc = one(operator.objects, 'Service', 'netprobe-peers');
    const smSpec = sm.spec as Record<string, any>;
    expect(svc.metadata.labels).toMatchObject(smSpec.selector.matchLabels);
    expect(smSpec.namespaceSelector.matchNames).toEqual(['netprobe']);
    const portNames = (svc.spec as any).ports.map((p: { name: string }) => p.name);
    for (const ep of smSpec.endpoints) expect(portNames).toContain(ep.port);
    const rule = one(operator.objects, 'PrometheusRule');
    expect(rule.metadata.namespace).toBe('netprobe');
    expect(((rule.spec as any).groups as unknown[]).length).toBeGreaterThan(0);
    const annotations = (one(operator.objects, 'DaemonSet').spec as any).template.metadata.annotations ?? {};
    expect(Object.keys(annotations).filter((a) => a.startsWith('prometheus.io/'))).toEqual([]);
    // The base keeps them.
    expect(containersOf(base.objects)).toHaveLength(1);
  });
});
