// A discovery change is not a config reload: the daemon re-expands only the
// probes that name the changed source, the scheduler gets only the jobs that
// were added or removed, every other job keeps its due time, and only the
// departed peer's series go while the others' counters keep counting.
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { probeSourcesOf } from '../../src/app/cluster-targets.ts';
import { Daemon } from '../../src/app/daemon.ts';
import { configSchema } from '../../src/config/schema.ts';
import { type Job, Scheduler } from '../../src/scheduler/scheduler.ts';
import { startDiscovery } from '../../src/targets/kubernetes/discovery.ts';
import { resolveDiscoveryRefs, snapshotOf } from '../../src/targets/kubernetes/resolve.ts';
import type { Logger } from '../../src/util/logger.ts';
import { FakeApiServer } from './fake-apiserver.ts';
import { SLICES, slice, testDiscoveryOptions, until } from './fixtures.ts';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** Listeners on 127.0.0.2..(1+n), one port for all (a peer ref names one port); retried when a port is taken. */
async function peerListeners(n: number): Promise<{ port: number; servers: Server[] }> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const servers: Server[] = [];
    let port = 0;
    for (let i = 0; i < n; i++) {
      const s = createServer((c) => c.destroy());
      const ok = await new Promise<boolean>((r) => {
        s.once('error', () => r(false));
        s.listen(port, `127.0.0.${2 + i}`, () => r(true));
      });
      if (!ok) break;
      port = (s.address() as { port: number }).port;
      servers.push(s);
    }
    if (servers.length === n) return { port, servers };
    for (const s of servers) s.close();
  }
  throw new Error('no common free port on the loopback peer addresses');
}

function capturingLogger(): { log: Logger; lines: { msg: string; fields: Record<string, unknown> }[] } {
  const lines: { msg: string; fields: Record<string, unknown> }[] = [];
  const push = (msg: string, fields: Record<string, unknown> = {}) => void lines.push({ msg, fields });
  return { log: { debug: push, info: push, warn: push, error: push }, lines };
}

describe('discovery as live targets', () => {
  it('a peer leaving or joining patches only its job: no config apply, other jobs and series untouched', { timeout: 30_000 }, async () => {
    const { port, servers } = await peerListeners(3);
    cleanup.push(() => servers.forEach((s) => s.close()));
    const f = await FakeApiServer.start();
    cleanup.push(() => f.close());
    const peers = [
      { ip: '127.0.0.2', node: 'n2' },
      { ip: '127.0.0.3', node: 'n3' },
      { ip: '127.0.0.4', node: 'n4' },
    ];
    f.upsert(SLICES('netprobe'), slice('netprobe', 'peers', 'netprobe-peers', peers, []));
    const discovery = startDiscovery(testDiscoveryOptions(f.url));
    cleanup.push(() => discovery.stop());
    expect(await discovery.synced(3000)).toBe(true);

    const raw = {
      sourceNode: 'n1',
      listen: '127.0.0.1:0',
      kubernetes: { peers: 8 },
      probes: [
        { name: 'peers-tcp', kind: 'tcp', every: '1s', targets: [`kubernetes:peers:${port}`], count: 1, timeout: '1s' },
        // Every minute: its next due time cannot move during the test unless it is rescheduled.
        { name: 'static-tcp', kind: 'tcp', every: '60s', targets: [`127.0.0.2:${port}`], targetKind: 'static', count: 1, timeout: '1s' },
      ],
    };
    const config = configSchema.parse(resolveDiscoveryRefs(raw, snapshotOf(discovery)).config);
    const reconcile = vi.spyOn(Scheduler.prototype, 'reconcile');
    const patch = vi.spyOn(Scheduler.prototype, 'patch');
    const { log, lines } = capturingLogger();
    const daemon = await Daemon.start({ config, live: probeSourcesOf(raw, discovery, { file: 'live.yaml', debounceMs: 50 }), env: {}, log });
    cleanup.push(() => daemon.stop());
    expect(reconcile).toHaveBeenCalledTimes(1);
    const scheduler = reconcile.mock.contexts[0] as Scheduler;
    const keys = (reconcile.mock.calls[0]![0] as Job[]).map((j) => j.key);
    const staticKey = keys.find((k) => k.startsWith('static-tcp|'))!;
    const peerKey = (ip: string) => keys.find((k) => k.startsWith('peers-tcp|') && k.includes(ip))!;
    expect(keys).toHaveLength(4);

    const metrics = async () => (await fetch(`${daemon.url}/metrics`)).text();
    const value = (text: string, probe: string, ip: string): number => {
      const line = text.split('\n').find((l) => l.startsWith('netprobe_tcp_connects_total{') && l.includes(`probe="${probe}"`) && l.includes(`target="${ip}:${port}"`) && l.includes('result="connected"'));
      return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
    };
    const gauge = (text: string, name: string) => Number(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1]);
    let text = '';
    for (let i = 0; i < 100; i++) {
      text = await metrics();
      if (['127.0.0.2', '127.0.0.3', '127.0.0.4'].every((ip) => value(text, 'peers-tcp', ip) >= 1) && value(text, 'static-tcp', '127.0.0.2') >= 1) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(value(text, 'static-tcp', '127.0.0.2')).toBe(1);
    const before = { n2: value(text, 'peers-tcp', '127.0.0.2'), n4: value(text, 'peers-tcp', '127.0.0.4'), reloadedAt: gauge(text, 'netprobe_config_last_reload_success_timestamp_seconds') };
    expect(before.n2).toBeGreaterThanOrEqual(1);
    const staticDue = scheduler.nextDue(staticKey)!;
    expect(staticDue).toBeGreaterThan(Date.now());
    const patchesBefore = patch.mock.calls.length;
    const probing = () => lines.filter((l) => l.msg === 'probing').length;
    expect(probing()).toBe(1);

    // n3's pod leaves.
    f.upsert(SLICES('netprobe'), slice('netprobe', 'peers', 'netprobe-peers', [peers[0]!, peers[2]!], []));
    await until(() => lines.some((l) => l.msg === 'discovered targets changed'), 'the discovery change to be applied');
    text = await metrics();
    expect(text).not.toContain('127.0.0.3');
    expect(lines.find((l) => l.msg === 'discovered targets changed')!.fields).toMatchObject({ probes: ['peers-tcp'], added: 0, removed: 1, changed: 0, targets: 3 });
    expect(patch.mock.calls.slice(patchesBefore)).toEqual([[[], [peerKey('127.0.0.3')]]]);
    expect(reconcile).toHaveBeenCalledTimes(1); // the whole set was not reconciled again
    expect(probing()).toBe(1); // nor the config applied again
    expect(gauge(text, 'netprobe_config_last_reload_success_timestamp_seconds')).toBe(before.reloadedAt);
    expect(gauge(text, 'netprobe_config_last_reload_successful')).toBe(1);
    expect(text).toMatch(/netprobe_targets\{[^}]*probe="peers-tcp",target_kind="peer"\} 2/);
    expect(text).toMatch(/netprobe_targets\{[^}]*probe="static-tcp",target_kind="static"\} 1/);
    expect(scheduler.nextDue(staticKey)).toBe(staticDue);
    expect(scheduler.nextDue(peerKey('127.0.0.3'))).toBeUndefined();
    // The others did not reset: their counters go on from where they were.
    expect(value(text, 'static-tcp', '127.0.0.2')).toBe(1);
    for (let i = 0; i < 100 && !(value(text, 'peers-tcp', '127.0.0.2') > before.n2 && value(text, 'peers-tcp', '127.0.0.4') > before.n4); i++) {
      await new Promise((r) => setTimeout(r, 50));
      text = await metrics();
    }
    expect(value(text, 'peers-tcp', '127.0.0.2')).toBeGreaterThan(before.n2);
    expect(value(text, 'peers-tcp', '127.0.0.4')).toBeGreaterThan(before.n4);

    // n3's pod comes back: one job added, nothing else touched.
    const n2 = value(text, 'peers-tcp', '127.0.0.2');
    const patchesMid = patch.mock.calls.length;
    f.upsert(SLICES('netprobe'), slice('netprobe', 'peers', 'netprobe-peers', peers, []));
    await until(() => lines.filter((l) => l.msg === 'discovered targets changed').length === 2, 'the second discovery change to be applied');
    expect(lines.filter((l) => l.msg === 'discovered targets changed')[1]!.fields).toMatchObject({ probes: ['peers-tcp'], added: 1, removed: 0, changed: 0, targets: 4 });
    const [upsert, remove] = patch.mock.calls[patchesMid]!;
    expect([(upsert as Job[]).map((j) => j.key), remove]).toEqual([[peerKey('127.0.0.3')], []]);
    expect(patch.mock.calls.length).toBe(patchesMid + 1);
    expect(probing()).toBe(1);
    expect(scheduler.nextDue(staticKey)).toBe(staticDue);
    for (let i = 0; i < 100 && value(text, 'peers-tcp', '127.0.0.3') < 1; i++) {
      await new Promise((r) => setTimeout(r, 50));
      text = await metrics();
    }
    expect(value(text, 'peers-tcp', '127.0.0.3')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'peers-tcp', '127.0.0.2')).toBeGreaterThanOrEqual(n2);
  });

  it('a probe waits for its first targets; a change that breaks maxTargets is refused and the running targets kept', { timeout: 30_000 }, async () => {
    const { port, servers } = await peerListeners(3);
    cleanup.push(() => servers.forEach((s) => s.close()));
    const f = await FakeApiServer.start();
    cleanup.push(() => f.close());
    f.upsert(SLICES('netprobe'), slice('netprobe', 'peers', 'netprobe-peers', [], []));
    const discovery = startDiscovery(testDiscoveryOptions(f.url));
    cleanup.push(() => discovery.stop());
    expect(await discovery.synced(3000)).toBe(true);
    const raw = {
      sourceNode: 'n1',
      listen: '127.0.0.1:0',
      maxTargets: 3,
      kubernetes: { peers: 8 },
      probes: [
        { name: 'peers-tcp', kind: 'tcp', every: '1s', targets: [`kubernetes:peers:${port}`], count: 1, timeout: '1s' },
        { name: 'static-tcp', kind: 'tcp', every: '60s', targets: [`127.0.0.2:${port}`], targetKind: 'static', count: 1, timeout: '1s' },
      ],
    };
    const resolved = resolveDiscoveryRefs(raw, snapshotOf(discovery));
    expect(resolved.skipped).toEqual(['peers-tcp']);
    const { log, lines } = capturingLogger();
    const daemon = await Daemon.start({ config: configSchema.parse(resolved.config), live: probeSourcesOf(raw, discovery, { file: 'live.yaml', debounceMs: 50 }), env: {}, log });
    cleanup.push(() => daemon.stop());
    expect(lines.find((l) => l.msg === 'probes waiting for discovered targets')?.fields).toEqual({ probes: ['peers-tcp'] });
    expect(lines.find((l) => l.msg === 'probing')?.fields).toEqual({ probes: 1, targets: 1 });
    const metrics = async () => (await fetch(`${daemon.url}/metrics`)).text();
    const changes = () => lines.filter((l) => l.msg === 'discovered targets changed');

    const two = [{ ip: '127.0.0.2', node: 'n2' }, { ip: '127.0.0.3', node: 'n3' }];
    f.upsert(SLICES('netprobe'), slice('netprobe', 'peers', 'netprobe-peers', two, []));
    await until(() => changes().length === 1, 'the first peers to be applied');
    expect(changes()[0]!.fields).toMatchObject({ probes: ['peers-tcp'], added: 2, removed: 0, targets: 3 });
    let text = await metrics();
    expect(text).toMatch(/netprobe_targets\{[^}]*probe="peers-tcp",target_kind="peer"\} 2/);

    // A third peer would make 4 targets, more than maxTargets: refused, the two kept.
    f.upsert(SLICES('netprobe'), slice('netprobe', 'peers', 'netprobe-peers', [...two, { ip: '127.0.0.4', node: 'n4' }], []));
    await until(() => lines.some((l) => l.msg === 'discovered targets not applied; keeping the running targets'), 'the refusal');
    expect(JSON.stringify(lines.find((l) => l.msg === 'discovered targets not applied; keeping the running targets')!.fields)).toContain('more than maxTargets (3)');
    text = await metrics();
    expect(text).toContain('netprobe_config_last_reload_successful{source_node="n1"} 0');
    expect(text).toMatch(/netprobe_targets\{[^}]*probe="peers-tcp",target_kind="peer"\} 2/);
    expect(text).not.toContain('127.0.0.4');

    // Back within bounds: applied, and the gauge says so again.
    f.upsert(SLICES('netprobe'), slice('netprobe', 'peers', 'netprobe-peers', [two[0]!], []));
    await until(() => changes().length === 2, 'the shrink to be applied');
    text = await metrics();
    expect(text).toContain('netprobe_config_last_reload_successful{source_node="n1"} 1');
    expect(text).toMatch(/netprobe_targets\{[^}]*probe="peers-tcp",target_kind="peer"\} 1/);
    expect(lines.filter((l) => l.msg === 'probing')).toHaveLength(1);

    // A reload (SIGHUP) brings the file's live targets anew; the old ones are no longer followed.
    await daemon.reload(configSchema.parse(resolveDiscoveryRefs(raw, snapshotOf(discovery)).config), probeSourcesOf(raw, discovery, { file: 'live.yaml', debounceMs: 50 }));
    expect(lines.filter((l) => l.msg === 'probing')).toHaveLength(2);
    f.upsert(SLICES('netprobe'), slice('netprobe', 'peers', 'netprobe-peers', two, []));
    await until(() => changes().length === 3, 'the change after the reload');
    await new Promise((r) => setTimeout(r, 300)); // a second, stale subscription would have applied it again by now
    expect(changes()).toHaveLength(3);
    expect(changes()[2]!.fields).toMatchObject({ added: 1, removed: 0, targets: 3 });
  });
});
