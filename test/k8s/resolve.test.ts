// Discovery refs in a config -> a plain config the kinds accept; and the
// whole loop with the real daemon fed by the live targets: discovered peers
// probed over loopback TCP, a peer that leaves the API loses its series on /metrics.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { probeSourcesOf } from '../../src/app/cluster-targets.ts';
import { Daemon } from '../../src/app/daemon.ts';
import { configSchema } from '../../src/config/schema.ts';
import { startDiscovery } from '../../src/targets/kubernetes/discovery.ts';
import { EMPTY_SNAPSHOT, type DiscoverySnapshot, refSources, resolveDiscoveryRefs, resolveProbe, snapshotOf } from '../../src/targets/kubernetes/resolve.ts';
import { silentLogger } from '../../src/util/logger.ts';
import { repoRoot } from '../deploy/kustomize.ts';
import { FakeApiServer } from './fake-apiserver.ts';
import { SLICES, slice, testDiscoveryOptions } from './fixtures.ts';

const defaultConfig = parse(readFileSync(join(repoRoot, 'deploy/kubernetes/base/config.yaml'), 'utf8')) as Record<string, unknown>;

const snap: DiscoverySnapshot = {
  dnsService: [{ id: '198.19.0.10:53', label: '198.19.0.10:53', kind: 'service_vip', node: '', server: { host: '198.19.0.10', port: 53 } }],
  dnsEndpoints: [
    { id: '198.18.1.2:53', label: '198.18.1.2:53', kind: 'endpoint', node: 'n1', server: { host: '198.18.1.2', port: 53 } },
    { id: '198.18.2.2:53', label: '198.18.2.2:53', kind: 'endpoint', node: 'n2', server: { host: '198.18.2.2', port: 53 } },
  ],
  peers: [
    { id: '198.18.2.10', label: '198.18.2.10', kind: 'peer', node: 'n2', ip: '198.18.2.10', pod: 'p2', ready: true },
    { id: '198.18.3.10', label: '198.18.3.10', kind: 'peer', node: 'n3', ip: '198.18.3.10', pod: 'p3', ready: false },
  ],
  apiService: [{ host: '198.19.0.1', port: 443 }],
};

type Probe = Record<string, any>;
const byName = (config: Record<string, unknown>) => new Map((config.probes as Probe[]).map((p) => [p.name as string, p]));

describe('resolveDiscoveryRefs', () => {
  it('turns the shipped config into one the daemon schema accepts, with discovered targets and kinds', () => {
    const { config, skipped } = resolveDiscoveryRefs(defaultConfig, snap);
    expect(skipped).toEqual([]);
    expect(config.kubernetes).toEqual(defaultConfig.kubernetes); // kept: the schema validates it
    const parsed = configSchema.parse(config);
    expect(parsed.probes).toHaveLength((defaultConfig.probes as unknown[]).length);
    const p = byName(config);
    expect(p.get('dns-vip-udp')).toMatchObject({ servers: ['198.19.0.10:53'], targetKind: 'service_vip' });
    expect(p.get('dns-endpoints')).toMatchObject({ servers: ['198.18.1.2:53', '198.18.2.2:53'], targetKind: 'endpoint' });
    expect(p.get('dns-resolver')!.servers).toEqual(['resolv.conf']);
    expect(p.get('peers-tcp')!.targets).toEqual([
      { address: '198.18.2.10:9810', node: 'n2' },
      { address: '198.18.3.10:9810', node: 'n3' },
    ]);
    expect(p.get('peers-mtu')!.targets).toEqual([
      { host: '198.18.2.10', node: 'n2' },
      { host: '198.18.3.10', node: 'n3' },
    ]);
    expect(p.get('apiserver-vip')).toMatchObject({ targets: ['198.19.0.1:443'], targetKind: 'service_vip' });
    // The input is not modified: every reload starts from the file as written.
    expect((defaultConfig.probes as Probe[])[0]!.servers).toEqual(['kubernetes:dns-service']);
  });

  it('leaves out probes whose refs found nothing yet, keeps static entries next to refs', () => {
    const { config, skipped } = resolveDiscoveryRefs(defaultConfig, EMPTY_SNAPSHOT);
    expect(skipped).toEqual(['dns-vip-udp', 'dns-vip-udp-reopen', 'dns-vip-tcp', 'dns-endpoints', 'peers-tcp', 'peers-mtu', 'apiserver-vip']);
    expect(configSchema.parse(config).probes.map((p) => p.name)).toEqual(['dns-resolver']);
    const mixed = resolveDiscoveryRefs({ probes: [{ name: 't', kind: 'tcp', targets: ['127.0.0.1:22', 'kubernetes:peers:9810'], targetKind: 'static' }] }, EMPTY_SNAPSHOT);
    expect(byName(mixed.config).get('t')!.targets).toEqual(['127.0.0.1:22']);
  });

  it('refuses refs that mean nothing for their kind, naming the probe', () => {
    const one = (probe: Probe) => () => resolveDiscoveryRefs({ probes: [probe] }, snap);
    expect(one({ name: 'a', kind: 'tcp', targets: ['kubernetes:peers'] })).toThrow('probe "a": tcp targets need a port');
    expect(one({ name: 'b', kind: 'icmp', targets: ['kubernetes:peers:80'] })).toThrow('probe "b": icmp targets take no port');
    expect(one({ name: 'c', kind: 'dns', servers: ['kubernetes:peers'], names: ['x.'] })).toThrow('probe "c": kubernetes:peers are not DNS servers');
    expect(one({ name: 'd', kind: 'dns', servers: ['kubernetes:dns-pods'], names: ['x.'] })).toThrow('probe "d": unknown discovery ref "kubernetes:dns-pods"');
    expect(one({ name: 'e', kind: 'dns', servers: ['kubernetes:dns-service', 'kubernetes:dns-endpoints'], names: ['x.'] })).toThrow(/separate probes, or set targetKind/);
    // With an explicit targetKind mixing is allowed.
    expect(one({ name: 'f', kind: 'dns', servers: ['kubernetes:dns-service', 'kubernetes:dns-endpoints'], names: ['x.'], targetKind: 'static' })).not.toThrow();
  });
});

describe('resolveProbe and refSources', () => {
  it('resolve one probe as resolveDiscoveryRefs does, and name the sources it uses', () => {
    for (const probe of defaultConfig.probes as Probe[]) {
      const whole = byName(resolveDiscoveryRefs({ probes: [probe] }, snap).config).get(probe.name);
      expect(resolveProbe(probe, snap)).toEqual(whole);
    }
    const p = byName(defaultConfig);
    expect([...refSources(p.get('peers-tcp'))]).toEqual(['peers']);
    expect([...refSources(p.get('dns-endpoints'))]).toEqual(['dnsEndpoints']);
    expect([...refSources(p.get('dns-resolver'))]).toEqual([]);
    expect(resolveProbe(p.get('peers-tcp')!, EMPTY_SNAPSHOT)).toBeUndefined();
  });
});

describe('kubernetes:host-peers', () => {
  const hostSnap: DiscoverySnapshot = { ...snap, hostPeers: [{ id: '198.19.2.1', label: '198.19.2.1', kind: 'peer', node: 'n2', ip: '198.19.2.1', pod: 'h2', ready: true }] };
  const withHost = (probes: Probe[]) => ({ kubernetes: { hostPeerService: 'netprobe-host/netprobe-host-peers' }, probes });

  it('resolves to the nodes\' own addresses with target_kind node, and names its source', () => {
    const tcp = { name: 'nodes-tcp', kind: 'tcp', targets: ['kubernetes:host-peers:9810'] };
    const icmp = { name: 'nodes-mtu', kind: 'icmp', targets: ['kubernetes:host-peers'] };
    const p = byName(resolveDiscoveryRefs(withHost([tcp, icmp]), hostSnap).config);
    expect(p.get('nodes-tcp')).toMatchObject({ targets: [{ address: '198.19.2.1:9810', node: 'n2' }], targetKind: 'node' });
    expect(p.get('nodes-mtu')).toMatchObject({ targets: [{ host: '198.19.2.1', node: 'n2' }], targetKind: 'node' });
    expect([...refSources(tcp)]).toEqual(['hostPeers']);
    expect(resolveDiscoveryRefs(withHost([tcp]), EMPTY_SNAPSHOT).skipped).toEqual(['nodes-tcp']);
  });

  it('refuses host-peers without hostPeerService, and as DNS servers or without a tcp port', () => {
    const tcp = { name: 'nodes-tcp', kind: 'tcp', targets: ['kubernetes:host-peers:9810'] };
    expect(() => resolveDiscoveryRefs({ probes: [tcp] }, hostSnap)).toThrow('probe "nodes-tcp": kubernetes:host-peers needs kubernetes.hostPeerService');
    expect(() => resolveDiscoveryRefs(withHost([{ name: 'd', kind: 'dns', servers: ['kubernetes:host-peers'], names: ['x.'] }]), hostSnap)).toThrow('probe "d": kubernetes:host-peers are not DNS servers');
    expect(() => resolveDiscoveryRefs(withHost([{ name: 't', kind: 'tcp', targets: ['kubernetes:host-peers'] }]), hostSnap)).toThrow('"kubernetes:host-peers:PORT"');
  });
});

describe('snapshotOf: the API server VIP', () => {
  const src = <T,>(items: T[]) => ({ current: () => items, onChange: () => () => {} });
  const discovery = (api: { host: string; port: number }[]) =>
    ({
      dnsService: src([]),
      dnsEndpoints: src([]),
      peers: src([]),
      hostPeers: src([]),
      apiService: src(api.map((server) => ({ id: `${server.host}:${server.port}`, label: `${server.host}:${server.port}`, kind: 'service_vip', node: '', server }))),
    }) as unknown as Parameters<typeof snapshotOf>[0];
  const env = { KUBERNETES_SERVICE_HOST: '198.19.0.1', KUBERNETES_SERVICE_PORT: '443' };

  it('takes the watched Service, every family, and the pod environment only until it is listed', () => {
    expect(snapshotOf(discovery([]), env).apiService).toEqual([{ host: '198.19.0.1', port: 443 }]);
    const watched = [{ host: '198.19.0.1', port: 6443 }, { host: 'fd00:198:19::1', port: 6443 }];
    expect(snapshotOf(discovery(watched), env).apiService).toEqual(watched);
    expect(snapshotOf(discovery([]), {}).apiService).toEqual([]);
  });
});

describe('discovery driving the daemon', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it('probes discovered peers, and a peer that leaves loses its series', { timeout: 20_000 }, async () => {
    // Two "peer pods" on loopback addresses, same port.
    const servers: Server[] = [];
    let port = 0;
    for (let attempt = 0; attempt < 20 && servers.length < 2; attempt++) {
      servers.splice(0).forEach((s) => s.close());
      const a = createServer((s) => s.destroy());
      await new Promise<void>((r) => a.listen(0, '127.0.0.2', r));
      port = (a.address() as { port: number }).port;
      const b = createServer((s) => s.destroy());
      const ok = await new Promise<boolean>((r) => {
        b.once('error', () => r(false));
        b.listen(port, '127.0.0.3', () => r(true));
      });
      servers.push(a);
      if (ok) servers.push(b);
    }
    expect(servers).toHaveLength(2);
    cleanup.push(async () => servers.forEach((s) => s.close()));

    const f = await FakeApiServer.start();
    cleanup.push(() => f.close());
    f.upsert(SLICES('netprobe'), slice('netprobe', 'peers', 'netprobe-peers', [{ ip: '127.0.0.2', node: 'n2' }, { ip: '127.0.0.3', node: 'n3' }], []));
    const discovery = startDiscovery(testDiscoveryOptions(f.url));
    cleanup.push(() => discovery.stop());
    expect(await discovery.synced(3000)).toBe(true);

    const raw = { sourceNode: 'n1', listen: '127.0.0.1:0', kubernetes: { peers: 8 }, probes: [{ name: 'peers-tcp', kind: 'tcp', every: '1s', targets: [`kubernetes:peers:${port}`], count: 1, timeout: '1s' }] };
    const config = configSchema.parse(resolveDiscoveryRefs(raw, snapshotOf(discovery)).config);
    const live = probeSourcesOf(raw, discovery, { file: 'test.yaml', debounceMs: 50 });
    const daemon = await Daemon.start({ config, live, env: {}, log: silentLogger });
    cleanup.push(() => daemon.stop());

    const metrics = async () => (await fetch(`${daemon.url}/metrics`)).text();
    const connected = (ip: string) => new RegExp(`netprobe_tcp_connects_total\\{[^}]*target="${ip.replaceAll('.', '\\.')}:${port}",target_kind="peer",target_node="n\\d"[^}]*result="connected"\\} [1-9]`);
    let text = '';
    for (let i = 0; i < 100 && !(connected('127.0.0.2').test(text) && connected('127.0.0.3').test(text)); i++) {
      text = await metrics();
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(text).toMatch(connected('127.0.0.2'));
    expect(text).toMatch(connected('127.0.0.3'));

    // n3's pod goes away in the API: once the debounced change is applied its series are gone.
    f.upsert(SLICES('netprobe'), slice('netprobe', 'peers', 'netprobe-peers', [{ ip: '127.0.0.2', node: 'n2' }], []));
    for (let i = 0; i < 100 && text.includes('127.0.0.3'); i++) {
      await new Promise((r) => setTimeout(r, 50));
      text = await metrics();
    }
    expect(text).not.toContain('127.0.0.3');
    expect(text).toMatch(connected('127.0.0.2'));
  });
});
