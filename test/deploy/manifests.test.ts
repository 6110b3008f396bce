// Every install flavour (each directory of deploy/kubernetes/overlays, plus the
// base) rendered by the real `kubectl kustomize`: every object validated
// against the Kubernetes OpenAPI and prometheus-operator CRD schemas, and the
// invariants the product needs checked on what would be applied. The checks
// iterate over the flavours, so a new overlay gets them without a test edit.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { kubernetesSchema, splitRef } from '../../src/targets/kubernetes/config.ts';
import { startDiscovery } from '../../src/targets/kubernetes/discovery.ts';
import { refSources } from '../../src/targets/kubernetes/resolve.ts';
import { FakeApiServer } from '../k8s/fake-apiserver.ts';
import { SERVICES, service, testDiscoveryOptions } from '../k8s/fixtures.ts';
import { BASE_DIR, KUBERNETES_DIR, OVERLAYS_DIR, type K8sObject, flavours, kustomizeAvailable, kustomizeText, podSpec, render } from './kustomize.ts';
import { CLUSTER_SCOPED, validate } from './schemas.ts';

const builds = [BASE_DIR, ...flavours().map((f) => join(OVERLAYS_DIR, f))];
const label = (dir: string) => relative(KUBERNETES_DIR, dir);
const scratch = mkdtempSync(join(tmpdir(), 'netprobe-kustomize-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const all = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
const one = (objects: K8sObject[], kind: string, name?: string): K8sObject => {
  const found = objects.filter((o) => o.kind === kind && (!name || o.metadata.name === name));
  expect(found, `${kind} ${name ?? ''}`).toHaveLength(1);
  return found[0]!;
};

describe.skipIf(!kustomizeAvailable)('kubectl kustomize builds every flavour', () => {
  it('ships at least the annotations, operator and grafana flavours', () => {
    expect(flavours()).toEqual(expect.arrayContaining(['annotations', 'grafana', 'operator']));
  });

  it('is the real tool: a kustomization that real kustomize refuses fails the build', () => {
    // An overlay inside its own base: the layout this replaced, which kustomize rejects.
    const dir = join(scratch, 'cycle');
    const inner = join(dir, 'overlay');
    mkdirSync(inner, { recursive: true });
    writeFileSync(join(dir, 'kustomization.yaml'), 'resources: [cm.yaml]\n');
    writeFileSync(join(inner, 'kustomization.yaml'), 'resources: [../]\n');
    writeFileSync(join(dir, 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n');
    expect(() => kustomizeText(inner)).toThrow(/cycle detected/);
  });

  it('every file in deploy/kubernetes is named by the kustomization of its directory (no orphans)', () => {
    const orphans: string[] = [];
    const walk = (dir: string) => {
      const entries = readdirSync(dir);
      const kustomization = entries.includes('kustomization.yaml') ? readFileSync(join(dir, 'kustomization.yaml'), 'utf8') : undefined;
      for (const e of entries) {
        const path = join(dir, e);
        if (statSync(path).isDirectory()) {
          walk(path);
          continue;
        }
        if (e === 'kustomization.yaml') continue;
        // Files of a plain data directory (dashboards/) are named by the parent's kustomization.
        const owner = kustomization ?? readFileSync(join(dir, '..', 'kustomization.yaml'), 'utf8');
        const name = kustomization ? e : `${dir.split('/').pop()}/${e}`;
        if (!owner.includes(name)) orphans.push(relative(KUBERNETES_DIR, path));
      }
    };
    walk(KUBERNETES_DIR);
    expect(orphans).toEqual([]);
  });

  describe.each(builds.map((d) => [label(d), d] as const))('%s', (_name, dir) => {
    const objects = render(dir);

    it('every object passes its OpenAPI / CRD schema', async () => {
      expect(objects.length).toBeGreaterThan(0);
      for (const o of objects) await validate(o);
    });

    it('namespaced objects are in netprobe (or kube-system for the DNS Role, default for the kubernetes Service Role), cluster-scoped ones have none, no local-config leaks', () => {
      for (const o of objects) {
        const id = `${o.kind}/${o.metadata.name}`;
        if (CLUSTER_SCOPED.has(o.kind)) expect(o.metadata.namespace, id).toBeUndefined();
        else if (o.metadata.namespace === 'kube-system' || o.metadata.namespace === 'default') expect(['Role', 'RoleBinding'], id).toContain(o.kind);
        // netprobe-host: the host-network flavour's DaemonSet (hostNetwork needs a privileged namespace).
        else expect(['netprobe', 'netprobe-host'], id).toContain(o.metadata.namespace);
        expect(o.metadata.annotations?.['config.kubernetes.io/local-config'], id).toBeUndefined();
        expect(o.metadata.labels?.['app.kubernetes.io/part-of'], id).toBe('netprobe');
      }
    });

    it('RBAC is read-only: get/list/watch; Nodes cluster-wide, Services and EndpointSlices in namespaces only, and in default only the kubernetes Service', () => {
      for (const role of [...all(objects, 'ClusterRole'), ...all(objects, 'Role')]) {
        for (const rule of role.rules as { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }[]) {
          expect([...rule.verbs].sort(), role.metadata.name).toEqual(['get', 'list', 'watch']);
          if (role.metadata.namespace === 'default') expect({ resources: rule.resources, resourceNames: rule.resourceNames }, role.metadata.name).toEqual({ resources: ['services'], resourceNames: ['kubernetes'] });
          for (const g of rule.apiGroups) {
            for (const r of rule.resources) {
              const allowed = role.kind === 'ClusterRole' ? ['/nodes'] : ['/services', 'discovery.k8s.io/endpointslices'];
              expect(allowed, `${role.kind}/${role.metadata.name} grants ${g}/${r}`).toContain(`${g}/${r}`);
            }
          }
        }
      }
    });

    const daemonSets = all(objects, 'DaemonSet');
    // Flavours with probe pods (not the dashboards-only one). Every DaemonSet
    // gets these checks; the one named netprobe probes pod networking.
    for (const ds of daemonSets) describe(`DaemonSet ${ds.metadata.name}`, () => {
      const pod = podSpec(ds) as Record<string, any>;
      const podNetwork = ds.metadata.name === 'netprobe';
      const container = pod?.containers?.[0] as Record<string, any>;

      it('DaemonSets are the only workloads; runs on every node with an existing priority class; netprobe never on the host network', () => {
        expect(objects.filter((o) => ['Deployment', 'StatefulSet', 'Job', 'Pod'].includes(o.kind))).toEqual([]);
        expect(pod.tolerations).toContainEqual({ operator: 'Exists' });
        const pc = one(objects, 'PriorityClass', pod.priorityClassName);
        expect(pc.value as number).toBeGreaterThan(0);
        expect(pc.value as number).toBeLessThan(1_000_000_000); // below the system-* classes
        expect(pc.globalDefault).toBe(false);
        if (ds.metadata.name === 'netprobe') expect(pod.hostNetwork ?? false).toBe(false); // pod networking is what it probes
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
        const added: string[] = sc.capabilities.add ?? [];
        expect(added.every((c) => c === 'NET_RAW')).toBe(true);
        // A hostNetwork pod cannot set the sysctl: it relies on the node's (docs/deploy-host-network.md).
        if (!added.includes('NET_RAW') && !pod.hostNetwork) {
          const sysctl = (pod.securityContext.sysctls ?? []).find((s: { name: string }) => s.name === 'net.ipv4.ping_group_range');
          expect(sysctl, 'ping_group_range sysctl (no NET_RAW)').toBeDefined();
          const [lo, hi] = (sysctl.value as string).split(/\s+/).map(Number);
          const gid = pod.securityContext.runAsGroup as number;
          expect(lo! <= gid && gid <= hi!).toBe(true);
        }
        const ns = one(objects, 'Namespace', ds.metadata.namespace);
        if (podNetwork) expect(ns.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
      });

      it('gets NODE_NAME, POD_IP and POD_NAMESPACE from the downward API; OTLP stays opt-in', () => {
        const env = Object.fromEntries((container.env as { name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[]).map((e) => [e.name, e.valueFrom?.fieldRef?.fieldPath]));
        expect(env).toMatchObject({ NODE_NAME: 'spec.nodeName', POD_IP: 'status.podIP', POD_NAMESPACE: 'metadata.namespace' });
        expect('OTEL_EXPORTER_OTLP_ENDPOINT' in env).toBe(false);
      });

      it('has liveness on /healthz and readiness on /readyz at the metrics port', () => {
        const port = container.ports.find((p: { name: string }) => p.name === 'http-metrics');
        expect(port.containerPort).toBe(9810);
        expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http-metrics' });
        expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http-metrics' });
      });

      it('sets requests and limits, requests below limits, and a V8 heap cap below the memory limit', () => {
        const { requests, limits } = container.resources;
        const mem = (q: string) => Number(q.replace(/Mi$/, '')) * 2 ** 20;
        const cpu = (q: string) => (q.endsWith('m') ? Number(q.slice(0, -1)) / 1000 : Number(q));
        for (const r of ['cpu', 'memory']) {
          expect(requests[r], `requests.${r}`).toBeDefined();
          expect(limits[r], `limits.${r}`).toBeDefined();
        }
        expect(cpu(requests.cpu)).toBeLessThanOrEqual(cpu(limits.cpu));
        expect(mem(requests.memory)).toBeLessThanOrEqual(mem(limits.memory));
        const opts = (container.env as { name: string; value?: string }[]).find((e) => e.name === 'NODE_OPTIONS')?.value ?? '';
        const heapMiB = Number(/--max-old-space-size=(\d+)/.exec(opts)?.[1]);
        expect(heapMiB * 2 ** 20).toBeLessThan(mem(limits.memory) * 0.75);
      });

      it('runs the daemon on the generated config, mounted read-only, as its ServiceAccount', () => {
        expect(container.args).toEqual(['run', '--config', '/etc/netprobe/config.yaml']);
        expect(container.image).toMatch(/^[a-z0-9./-]+\/netprobe:[0-9A-Za-z._-]+$/);
        const mount = container.volumeMounts.find((m: { mountPath: string }) => m.mountPath === '/etc/netprobe');
        expect(mount.readOnly).toBe(true);
        const volume = pod.volumes.find((v: { name: string }) => v.name === mount.name);
        expect(volume.configMap.name).toMatch(/^netprobe-[a-z-]*config-[a-z0-9]{10}$/);
        const cm = one(objects, 'ConfigMap', volume.configMap.name);
        expect(Object.keys(cm.data as object)).toEqual(['config.yaml']);
        one(objects, 'ServiceAccount', pod.serviceAccountName);
      });

      it.runIf(podNetwork)('the headless Service selects the pods, publishes not-ready ones, and is the config peerService', () => {
        const svc = one(objects, 'Service', 'netprobe-peers');
        const spec = svc.spec as Record<string, any>;
        expect(spec.clusterIP).toBe('None');
        expect(spec.publishNotReadyAddresses).toBe(true);
        expect(ds.spec).toMatchObject({ template: { metadata: { labels: spec.selector } } });
        expect(spec.ports[0]).toMatchObject({ port: 9810, targetPort: 'http-metrics' });
        const cm = all(objects, 'ConfigMap').find((c) => c.metadata.name.startsWith('netprobe-config-'))!;
        const config = parse((cm.data as Record<string, string>)['config.yaml']!);
        expect(kubernetesSchema.parse(config.kubernetes).peerService).toBe('netprobe-peers');
      });

      it.runIf(podNetwork)('the NetworkPolicy admits the metrics port from anywhere and everything (TCP and ICMP) from peer pods only', () => {
        const np = one(objects, 'NetworkPolicy', 'netprobe');
        const spec = np.spec as { podSelector: { matchLabels: Record<string, string> }; policyTypes: string[]; ingress: { from?: unknown[]; ports?: { port: unknown; protocol: string }[] }[] };
        expect(ds.spec).toMatchObject({ template: { metadata: { labels: spec.podSelector.matchLabels } } });
        expect(spec.policyTypes).toEqual(['Ingress']); // egress open: a blocked probe would read as a network failure
        const open = spec.ingress.filter((r) => !r.from);
        expect(open).toHaveLength(1);
        expect(open[0]!.ports).toEqual([{ port: 'http-metrics', protocol: 'TCP' }]);
        const peers = spec.ingress.filter((r) => r.from);
        expect(peers).toHaveLength(1);
        expect(peers[0]!.ports).toBeUndefined(); // ICMP has no port: the rule must not name any
        expect(peers[0]!.from).toEqual([{ podSelector: { matchLabels: spec.podSelector.matchLabels } }]);
      });

      it('discovery asks the API for nothing the Roles and ClusterRole grant not', async () => {
        const grants = new Set<string>();
        // Roles bound only to another DaemonSet's ServiceAccount (host-network flavour) are that one's.
        const accounts = daemonSets.map((d) => `${d.metadata.namespace}/${(podSpec(d) as { serviceAccountName: string }).serviceAccountName}`);
        const boundTo = (role: K8sObject) =>
          [...all(objects, 'ClusterRoleBinding'), ...all(objects, 'RoleBinding')]
            .filter((b) => (b.roleRef as { name: string }).name === role.metadata.name && b.metadata.namespace === role.metadata.namespace)
            .flatMap((b) => (b.subjects as { namespace: string; name: string }[]).map((s) => `${s.namespace}/${s.name}`));
        const mine = `${ds.metadata.namespace}/${pod.serviceAccountName}`;
        for (const role of [...all(objects, 'ClusterRole'), ...all(objects, 'Role')]) {
          if (!boundTo(role).includes(mine) && boundTo(role).some((a) => accounts.includes(a))) continue;
          const bound = [...all(objects, 'ClusterRoleBinding'), ...all(objects, 'RoleBinding')].some(
            (b) =>
              (b.roleRef as { name: string }).name === role.metadata.name &&
              b.metadata.namespace === role.metadata.namespace &&
              (b.subjects as { kind: string; name: string; namespace: string }[]).some((s) => s.kind === 'ServiceAccount' && s.name === pod.serviceAccountName && s.namespace === ds.metadata.namespace),
          );
          expect(bound, `${role.kind}/${role.metadata.name} is bound to the ServiceAccount`).toBe(true);
          for (const rule of role.rules as { apiGroups: string[]; resources: string[] }[]) {
            for (const g of rule.apiGroups) for (const r of rule.resources) grants.add(`${role.metadata.namespace ?? '*'} ${g}/${r}`);
          }
        }
        const f = await FakeApiServer.start();
        f.upsert(SERVICES('kube-system'), service('kube-system', 'kube-dns', '198.19.0.10'));
        f.upsert(SERVICES('default'), service('default', 'kubernetes', '198.19.0.1'));
        // Every watch this DaemonSet's own config starts: its peers, its host peers, the kubernetes Service.
        const config = parse((one(objects, 'ConfigMap', (pod.volumes as { configMap?: { name: string } }[]).find((v) => v.configMap)!.configMap!.name).data as Record<string, string>)['config.yaml']!);
        const kube = config.kubernetes as { peerService: string; hostPeerService?: string };
        const apiService = (config.probes as unknown[]).some((p) => refSources(p).has('apiService'));
        const d = startDiscovery(
          testDiscoveryOptions(f.url, {
            peerService: splitRef(kube.peerService, ds.metadata.namespace!),
            ...(kube.hostPeerService ? { hostPeerService: splitRef(kube.hostPeerService, ds.metadata.namespace!) } : {}),
            apiService,
          }),
        );
        // The watches a config names must be there to check (the base's API VIP probe, the flavour's host peers).
        expect(apiService, 'a probe names kubernetes:api-service').toBe(true);
        try {
          expect(await d.synced(3000)).toBe(true);
        } finally {
          await d.stop();
          await f.close();
        }
        expect(f.requests.length).toBeGreaterThan(0);
        for (const r of f.requests) {
          const m = /^\/(?:api\/v1|apis\/([^/]+)\/[^/]+)(?:\/namespaces\/([^/]+))?\/([^/]+)$/.exec(r.path);
          expect(m, r.path).not.toBeNull();
          const [, group = '', ns, resource] = m!;
          const key = `${group}/${resource}`;
          expect(grants.has(`* ${key}`) || (ns !== undefined && grants.has(`${ns} ${key}`)), `${r.path} is granted`).toBe(true);
          // The Role in default names one Service: a list or watch is allowed only when it selects that name.
          if (ns === 'default') expect(r.query.fieldSelector, r.path).toBe('metadata.name=kubernetes');
        }
      });
    });
  });

  it('the schema check really rejects a broken object', async () => {
    const ds = structuredClone(one(render(BASE_DIR), 'DaemonSet'));
    (podSpec(ds)!.containers as { ports: { containerPort: unknown }[] }[])[0]!.ports[0]!.containerPort = 'http';
    await expect(validate(ds)).rejects.toThrow(/containerPort/);
    const sm = structuredClone(one(render(join(OVERLAYS_DIR, 'operator')), 'ServiceMonitor'));
    (sm.spec as { endpoints: { interval: unknown }[] }).endpoints[0]!.interval = 30;
    await expect(validate(sm)).rejects.toThrow(/interval/);
    await expect(validate({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } })).rejects.toThrow(/no schema/);
  });
});
