// Discovery against a fake API server that speaks list/watch: targets appear,
// change and disappear; bookmarks, 410 Gone, dropped streams, 5xx and a full
// outage are survived with the last known targets kept and errors counted.
import { type Server, createServer } from 'node:net';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { PrometheusSink } from '../../src/exporters/prometheus.ts';
import { tcpTarget } from '../../src/probes/tcp/targets.ts';
import { runTcp } from '../../src/probes/tcp/run.ts';
import { systemClock } from '../../src/probes/types.ts';
import { attachDiscoveryMetrics } from '../../src/metrics/record-discovery.ts';
import { selectPeers } from '../../src/targets/peer-selection.ts';
import { type Discovery, type DiscoveryOptions, startDiscovery } from '../../src/targets/kubernetes/discovery.ts';
import { FakeApiServer } from './fake-apiserver.ts';
import { NODES, SERVICES, SLICES, node, service, slice, testDiscoveryOptions, until } from './fixtures.ts';

const open: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.stop()));
});

async function fake(): Promise<FakeApiServer> {
  const f = await FakeApiServer.start();
  open.push({ stop: () => f.close() });
  return f;
}

function seed(f: FakeApiServer): void {
  f.upsert(SERVICES('kube-system'), service('kube-system', 'kube-dns', '198.19.0.10'));
  f.upsert(
    SLICES('kube-system'),
    slice('kube-system', 'kube-dns-a', 'kube-dns', [
      { ip: '198.18.1.2', node: 'n1' },
      { ip: '198.18.2.2', node: 'n2', ready: false },
    ]),
  );
  f.upsert(SLICES('netprobe'), slice('netprobe', 'peers-a', 'netprobe-peers', [{ ip: '198.18.1.10', node: 'n1' }, { ip: '198.18.2.10', node: 'n2' }], []));
  f.upsert(SLICES('netprobe'), slice('netprobe', 'peers-b', 'netprobe-peers', [{ ip: '198.18.3.10', node: 'n3', serving: false }], []));
  f.upsert(NODES, node('n1', '2025-03-01T10:00:00Z', 'zone-a', true));
  f.upsert(NODES, node('n2', '2025-03-02T10:00:00Z', 'zone-b', true));
}

function start(f: FakeApiServer, overrides: Partial<DiscoveryOptions> = {}): Discovery {
  const d = startDiscovery(
    testDiscoveryOptions(f.url, {
      connection: { server: f.url, token: () => 'test-token' },
      backoff: { initialMs: 20, maxMs: 200 },
      pageSize: 1,
      ...overrides,
    }),
    { random: () => 0.5 },
  );
  open.unshift(d);
  return d;
}

const ids = (src: { current(): readonly { id: string }[] }) => src.current().map((t) => t.id);

describe('discovery: list then watch', () => {
  it('turns Service, EndpointSlices and Node into targets, then follows ADDED/MODIFIED/DELETED', async () => {
    const f = await fake();
    seed(f);
    const d = start(f);
    expect(await d.synced(3000)).toBe(true);

    expect(d.dnsService.current()).toEqual([{ id: '198.19.0.10:53', label: '198.19.0.10:53', kind: 'service_vip', node: '', server: { host: '198.19.0.10', port: 53 } }]);
    // The not-ready CoreDNS pod is left out; the ready one carries its node.
    expect(d.dnsEndpoints.current()).toEqual([{ id: '198.18.1.2:53', label: '198.18.1.2:53', kind: 'endpoint', node: 'n1', server: { host: '198.18.1.2', port: 53 } }]);
    // Peers: all pods, not-ready ones included but marked; own node excluded from this pod's share.
    expect(ids(d.allPeers)).toEqual(['198.18.1.10', '198.18.2.10', '198.18.3.10']);
    expect(d.peers.current().map((p) => [p.ip, p.node, p.ready])).toEqual([
      ['198.18.2.10', 'n2', true],
      ['198.18.3.10', 'n3', false],
    ]);
    expect(d.node.current()).toEqual([{ name: 'n1', createdSeconds: Date.parse('2025-03-01T10:00:00Z') / 1000, zone: 'zone-a', ready: true }]);

    // The protocol as sent: first list from the cache (resourceVersion=0), paginated, then a bookmarked watch from its version.
    const sliceReqs = f.requests.filter((r) => r.path === SLICES('kube-system'));
    expect(sliceReqs[0]!.query).toMatchObject({ labelSelector: 'kubernetes.io/service-name=kube-dns', resourceVersion: '0', limit: '1' });
    const peerLists = f.requests.filter((r) => r.path === SLICES('netprobe') && r.query.watch === undefined);
    expect(peerLists.map((r) => r.query.continue ?? '')).toEqual(['', '1']);
    const watch = f.requests.find((r) => r.path === SERVICES('kube-system') && r.query.watch === '1')!;
    expect(watch.query).toMatchObject({ fieldSelector: 'metadata.name=kube-dns', allowWatchBookmarks: 'true', timeoutSeconds: '60' });
    expect(Number(watch.query.resourceVersion)).toBeGreaterThan(100);
    expect(f.requests.every((r) => r.authorization === 'Bearer test-token')).toBe(true);

    // MODIFIED: the second CoreDNS pod becomes ready, a third appears.
    await until(() => f.openWatches() === 4, 'four open watches');
    let changes = 0;
    d.dnsEndpoints.onChange(() => changes++);
    f.upsert(SLICES('kube-system'), slice('kube-system', 'kube-dns-a', 'kube-dns', [{ ip: '198.18.1.2', node: 'n1' }, { ip: '198.18.2.2', node: 'n2' }, { ip: '198.18.3.2', node: 'n3' }]));
    await until(() => d.dnsEndpoints.current().length === 3, 'three endpoints');
    expect(ids(d.dnsEndpoints)).toEqual(['198.18.1.2:53', '198.18.2.2:53', '198.18.3.2:53']);
    expect(changes).toBe(1);

    // Node MODIFIED: Ready goes False.
    f.upsert(NODES, node('n1', '2025-03-01T10:00:00Z', 'zone-a', false));
    await until(() => d.node.current()[0]?.ready === false, 'node not ready');

    // DELETED: the slice and a peer slice go away.
    f.delete(SLICES('kube-system'), 'kube-dns-a', 'kube-system');
    f.delete(SLICES('netprobe'), 'peers-b', 'netprobe');
    await until(() => d.dnsEndpoints.current().length === 0 && d.peers.current().length === 1, 'deletions');
    expect(ids(d.peers)).toEqual(['198.18.2.10']);
    // A Service change: new ClusterIP.
    f.upsert(SERVICES('kube-system'), service('kube-system', 'kube-dns', '198.19.0.53'));
    await until(() => d.dnsService.current()[0]?.server.host === '198.19.0.53', 'new VIP');
  });

  it('resumes a watch from the last BOOKMARK version after a clean end', async () => {
    const f = await fake();
    seed(f);
    const d = start(f);
    await d.synced(3000);
    await until(() => f.openWatches() === 4, 'watches');
    // Unrelated writes move the version on; only the bookmark tells the watcher.
    for (let i = 0; i < 5; i++) f.upsert(NODES, node(`other-${i}`, '2025-03-01T10:00:00Z', 'zone-a', true));
    const bookmarkRv = f.resourceVersion;
    f.bookmark();
    await until(() => d.status().every((st) => st.resourceVersion === bookmarkRv), 'bookmark versions');
    const before = f.requests.length;
    f.endWatches();
    await until(() => f.openWatches() === 4, 'rewatch');
    const rewatch = f.requests.slice(before).filter((r) => r.query.watch === '1');
    expect(rewatch).toHaveLength(4);
    for (const r of rewatch) expect(r.query.resourceVersion).toBe(bookmarkRv);
    // A clean end is not an error and needs no relist.
    expect(f.requests.slice(before).filter((r) => r.query.watch === undefined)).toHaveLength(0);
  });

  for (const goneAs of ['event', 'http'] as const) {
    it(`relists after 410 Gone (${goneAs}) and picks up what changed while it was away`, async () => {
      const f = await fake();
      f.goneAs = goneAs;
      seed(f);
      const d = start(f);
      const errors: string[] = [];
      d.onError((resource, reason) => errors.push(`${resource}:${reason}`));
      await d.synced(3000);
      await until(() => f.openWatches() === 4, 'watches');
      // While no watch is open, the slice changes and the history is compacted away.
      f.outage = 503;
      f.dropWatches();
      f.upsert(SLICES('kube-system'), slice('kube-system', 'kube-dns-a', 'kube-dns', [{ ip: '198.18.9.2', node: 'n9' }]));
      f.compact();
      const before = f.requests.length;
      f.outage = undefined;
      await until(() => ids(d.dnsEndpoints).join() === '198.18.9.2:53', 'relisted endpoints');
      expect(errors).toContain('dns_endpointslices:gone');
      // The relist after 410 is a consistent read: no resourceVersion=0 (cache) this time.
      const relist = f.requests.slice(before).find((r) => r.path === SLICES('kube-system') && r.query.watch === undefined)!;
      expect(relist.query.resourceVersion).toBeUndefined();
      await until(() => f.openWatches() === 4, 'watching again');
    });
  }

  it('reconnects a stream dropped mid-way from its last version, losing no event', async () => {
    const f = await fake();
    seed(f);
    const d = start(f);
    const errors: string[] = [];
    d.onError((resource, reason) => errors.push(`${resource}:${reason}`));
    await d.synced(3000);
    await until(() => f.openWatches() === 4, 'watches');
    f.dropWatches();
    // Written while the watchers are away: replayed on the rewatch.
    f.upsert(SLICES('netprobe'), slice('netprobe', 'peers-c', 'netprobe-peers', [{ ip: '198.18.4.10', node: 'n4' }], []));
    await until(() => ids(d.allPeers).includes('198.18.4.10'), 'peer added during the drop');
    expect(errors.filter((e) => e.endsWith(':stream_dropped')).length).toBeGreaterThanOrEqual(1);
    // No relist was needed: the watch resumed from its version.
    const lists = f.requests.filter((r) => r.path === SLICES('netprobe') && r.query.watch === undefined);
    expect(lists).toHaveLength(2); // the two pages of the first list
  });

  it('reassembles events split across chunks', async () => {
    const f = await fake();
    f.splitWrites = true;
    seed(f);
    const d = start(f);
    await d.synced(3000);
    await until(() => f.openWatches() === 4, 'watches');
    f.upsert(SLICES('kube-system'), slice('kube-system', 'kube-dns-b', 'kube-dns', [{ ip: '198.18.5.2', node: 'n5' }]));
    await until(() => ids(d.dnsEndpoints).includes('198.18.5.2:53'), 'split event');
  });

  it('backs off through 500s, counts them, then syncs', async () => {
    const f = await fake();
    seed(f);
    f.failNext = 6;
    const d = start(f);
    const errors: string[] = [];
    d.onError((_resource, reason) => errors.push(reason));
    expect(await d.synced(5000)).toBe(true);
    expect(errors.filter((e) => e === 'server_error')).toHaveLength(6);
    expect(ids(d.dnsEndpoints)).toEqual(['198.18.1.2:53']);
  });

  it('treats a silent watch as dead after the idle timeout', async () => {
    const f = await fake();
    seed(f);
    const d = start(f, { watchIdleTimeoutMs: 300, peerService: undefined, nodeName: '' });
    const errors: string[] = [];
    d.onError((_resource, reason) => errors.push(reason));
    await d.synced(3000);
    await until(() => errors.includes('timeout'), 'idle timeout', 3000);
    await until(() => f.openWatches() === 2, 'rewatch after idle timeout');
  });

  it('shares peers by rendezvous hashing: this pod probes exactly its selectPeers share', async () => {
    const f = await fake();
    seed(f);
    const many = Array.from({ length: 40 }, (_, i) => ({ ip: `198.18.${10 + i}.10`, node: `node-${i}` }));
    f.upsert(SLICES('netprobe'), slice('netprobe', 'peers-many', 'netprobe-peers', many, []));
    const d = start(f, { nodeName: 'node-7', fanout: { k: 3 }, pageSize: 500 });
    await d.synced(3000);
    const nodes = [...many.map((m) => m.node), 'n1', 'n2', 'n3'];
    const expected = selectPeers('node-7', nodes, { k: 3 });
    expect(d.peers.current().map((p) => p.node).sort()).toEqual(expected);
    expect(expected.length).toBeGreaterThanOrEqual(2);
    expect(d.allPeers.current()).toHaveLength(43);
  });
});

describe('discovery: host-network peers and the kubernetes Service', () => {
  it('fans the host peers out like the pod peers, from their own headless Service', async () => {
    const f = await fake();
    seed(f);
    const pods = Array.from({ length: 30 }, (_, i) => ({ ip: `198.18.${10 + i}.10`, node: `node-${i}` }));
    // A hostNetwork pod's IP is its node's InternalIP.
    const hosts = Array.from({ length: 30 }, (_, i) => ({ ip: `198.19.${10 + i}.1`, node: `node-${i}` }));
    f.upsert(SLICES('netprobe'), slice('netprobe', 'peers-many', 'netprobe-peers', pods, []));
    f.upsert(SLICES('netprobe-host'), slice('netprobe-host', 'host-peers-a', 'netprobe-host-peers', hosts, []));
    const d = start(f, { nodeName: 'node-4', fanout: { k: 3 }, pageSize: 500, hostPeerService: { namespace: 'netprobe-host', name: 'netprobe-host-peers' } });
    await d.synced(3000);
    const expected = selectPeers('node-4', hosts.map((h) => h.node), { k: 3 });
    expect(d.hostPeers.current().map((p) => p.node).sort()).toEqual(expected);
    expect(d.hostPeers.current().every((p) => p.ip.startsWith('198.19.'))).toBe(true);
    // Host peers join and leave as the watch says.
    f.delete(SLICES('netprobe-host'), 'host-peers-a', 'netprobe-host');
    await until(() => d.hostPeers.current().length === 0, 'host peers gone');
    expect(d.peers.current().length).toBeGreaterThan(0);
  });

  it('watches the kubernetes Service in default only when asked, every family, on its https port', async () => {
    const f = await fake();
    seed(f);
    f.upsert(SERVICES('default'), {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kubernetes', namespace: 'default' },
      spec: { clusterIP: '198.19.0.1', clusterIPs: ['198.19.0.1', 'fd00:198:19::1'], ports: [{ name: 'https', port: 6443, protocol: 'TCP', targetPort: 6443 }] },
    });
    f.upsert(SERVICES('default'), service('default', 'other', '198.19.0.99'));
    const off = start(f);
    await off.synced(3000);
    expect(off.apiService.current()).toEqual([]);
    expect(f.requests.some((r) => r.path === SERVICES('default'))).toBe(false);

    const on = start(f, { apiService: true });
    await on.synced(3000);
    expect(on.apiService.current().map((s) => s.server)).toEqual([
      { host: '198.19.0.1', port: 6443 },
      { host: 'fd00:198:19::1', port: 6443 },
    ]);
    expect(on.apiService.current().every((s) => s.kind === 'service_vip')).toBe(true);
    expect(f.requests.filter((r) => r.path === SERVICES('default')).every((r) => r.query.fieldSelector === 'metadata.name=kubernetes')).toBe(true);
  });
});

describe('discovery: API outage', () => {
  it('keeps the last known targets, counts errors, and leaves no stale series after recovery', async () => {
    const f = await fake();
    seed(f);
    const d = start(f);
    const sink = new PrometheusSink(new Registry(), 'n1');
    attachDiscoveryMetrics(sink, d);
    await d.synced(3000);
    // Client side: the watch counts as open once its response headers arrived.
    await until(() => d.status().every((st) => st.watching), 'watches open');
    const metrics = () => sink.render();
    expect(await metrics()).toContain('netprobe_peer_ready{source_node="n1",target="198.18.3.10",target_node="n3"} 0');
    expect(await metrics()).toContain('netprobe_node_created_timestamp_seconds{source_node="n1"} 1740823200');
    expect(await metrics()).toContain('netprobe_node_info{source_node="n1",zone="zone-a"} 1');
    expect(await metrics()).toContain('netprobe_discovery_watching{source_node="n1",resource="peer_endpointslices"} 1');

    const before = { dns: ids(d.dnsEndpoints), peers: ids(d.peers), vip: ids(d.dnsService) };
    f.outage = 503;
    f.dropWatches();
    // The API stays down for a while: several retries, all failing.
    await until(() => f.requests.filter((r) => r.status === 503).length >= 12, 'retries during the outage', 5000);
    expect({ dns: ids(d.dnsEndpoints), peers: ids(d.peers), vip: ids(d.dnsService) }).toEqual(before);
    const text = await metrics();
    expect(text).toMatch(/netprobe_discovery_errors_total\{source_node="n1",resource="peer_endpointslices",reason="server_error"\} [1-9]/);
    expect(text).toMatch(/netprobe_discovery_errors_total\{source_node="n1",resource="peer_endpointslices",reason="stream_dropped"\} [1-9]/);
    expect(text).toContain('netprobe_discovery_watching{source_node="n1",resource="peer_endpointslices"} 0');
    expect(d.status().every((s) => !s.watching && s.lastError !== '')).toBe(true);

    // Meanwhile node n3's pod went away (node removed).
    f.delete(SLICES('netprobe'), 'peers-b', 'netprobe');
    f.outage = undefined;
    await until(() => ids(d.peers).join() === '198.18.2.10', 'n3 peer gone after recovery', 5000);
    await until(() => d.status().every((st) => st.watching), 'watching again', 5000);
    const after = await metrics();
    expect(after).not.toContain('target_node="n3"');
    expect(after).toContain('netprobe_peer_ready{source_node="n1",target="198.18.2.10",target_node="n2"} 1');
    expect(after).toContain('netprobe_discovery_watching{source_node="n1",resource="peer_endpointslices"} 1');
  });
});

/** Two TCP listeners on one port, at 127.0.0.2 and 127.0.0.3 (loopback stand-ins for two peer pods). */
async function peerListeners(): Promise<{ port: number; servers: Server[] }> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const a = createServer((s) => s.destroy());
    await new Promise<void>((resolve) => a.listen(0, '127.0.0.2', resolve));
    const port = (a.address() as { port: number }).port;
    const b = createServer((s) => s.destroy());
    const ok = await new Promise<boolean>((resolve) => {
      b.once('error', () => resolve(false));
      b.listen(port, '127.0.0.3', () => resolve(true));
    });
    if (ok) return { port, servers: [a, b] };
    a.close();
  }
  throw new Error('no common free port on 127.0.0.2 and 127.0.0.3');
}

describe('discovery feeding a real prober', () => {
  it('probing of the last known peers goes on while the API is down', async () => {
    const { port, servers } = await peerListeners();
    open.push({ stop: async () => void (await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))) });
    const f = await fake();
    f.upsert(SERVICES('kube-system'), service('kube-system', 'kube-dns', '198.19.0.10'));
    f.upsert(SLICES('netprobe'), slice('netprobe', 'peers', 'netprobe-peers', [{ ip: '127.0.0.2', node: 'n2' }, { ip: '127.0.0.3', node: 'n3' }, { ip: '127.0.0.1', node: 'n1' }], []));
    const d = start(f);
    let errors = 0;
    d.onError(() => errors++);
    await d.synced(3000);
    expect(ids(d.peers)).toEqual(['127.0.0.2', '127.0.0.3']);

    f.outage = 503;
    f.dropWatches();
    const controller = new AbortController();
    for (let round = 0; round < 3; round++) {
      const results = await Promise.all(
        d.peers.current().map((p) => runTcp(tcpTarget(p.ip, port, 'peer', p.node), { count: 1, intervalMs: 0, timeoutMs: 1000 }, { signal: controller.signal, clock: systemClock })),
      );
      expect(results.map((r) => r.connected)).toEqual([1, 1]);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(errors).toBeGreaterThanOrEqual(4);
    expect(d.status().some((s) => s.watching)).toBe(false);
  });
});
