// `netprobe run` with a `kubernetes:` block, against the fake API server
// through a kubeconfig: discovered peers are probed (loopback), discovery
// metrics are exported, a departed peer's series go, SIGTERM stops cleanly.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../deploy/kustomize.ts';
import { FakeApiServer } from './fake-apiserver.ts';
import { NODES, SLICES, node, slice } from './fixtures.ts';

const cleanup: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

describe('netprobe run with Kubernetes discovery', () => {
  it('probes discovered peers and follows them', { timeout: 30_000 }, async () => {
    const listener: Server = createServer((s) => s.destroy());
    await new Promise<void>((r) => listener.listen(0, '127.0.0.2', r));
    cleanup.push(() => listener.close());
    const port = (listener.address() as { port: number }).port;

    const f = await FakeApiServer.start();
    cleanup.push(() => f.close());
    f.upsert(NODES, node('n1', '2025-06-01T00:00:00Z', 'zone-a', true));
    f.upsert(SLICES('netprobe'), slice('netprobe', 'peers', 'netprobe-peers', [{ ip: '127.0.0.2', node: 'n2' }, { ip: '127.0.0.1', node: 'n1' }], []));

    const dir = mkdtempSync(join(tmpdir(), 'netprobe-run-k8s-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(
      join(dir, 'kubeconfig'),
      `apiVersion: v1\nkind: Config\ncurrent-context: fake\ncontexts: [{ name: fake, context: { cluster: fake, user: fake } }]\nclusters: [{ name: fake, cluster: { server: "${f.url}" } }]\nusers: [{ name: fake, user: { token: t0k } }]\n`,
    );
    writeFileSync(
      join(dir, 'config.yaml'),
      [
        'sourceNode: n1',
        'listen: 127.0.0.1:0',
        'kubernetes:',
        '  connection: kubeconfig',
        `  kubeconfig: ${join(dir, 'kubeconfig')}`,
        '  peerService: netprobe/netprobe-peers',
        `  resolvConf: ${join(dir, 'no-resolv.conf')}`,
        '  backoff: { initial: 50ms, max: 200ms }',
        'probes:',
        `  - { name: peers-tcp, kind: tcp, every: 1s, targets: ["kubernetes:peers:${port}"], count: 1, timeout: 1s }`,
        // A config needs one probe that does not depend on discovery (the shipped one has dns-resolver):
        // with every probe waiting for targets the config would have none, which the schema refuses.
        '  - { name: static-tcp, kind: tcp, every: 5s, targets: ["127.0.0.1:1"], count: 1, timeout: 1s }',
        '',
      ].join('\n'),
    );
    const child: ChildProcess = spawn(process.execPath, [join(repoRoot, 'src/cli/main.ts'), 'run', '--config', join(dir, 'config.yaml')], {
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanup.push(() => child.exitCode === null && child.kill('SIGKILL'));
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    const deadline = Date.now() + 15_000;
    while (!/http:\/\/127\.0\.0\.1:\d+/.test(out)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`daemon did not start: ${out} ${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const url = /http:\/\/127\.0\.0\.1:\d+/.exec(out)![0];
    const metrics = async () => (await fetch(`${url}/metrics`)).text();
    const connected = new RegExp(`netprobe_tcp_connects_total\\{source_node="n1",probe="peers-tcp",target="127\\.0\\.0\\.2:${port}",target_kind="peer",target_node="n2",result="connected"\\} [1-9]`);
    let text = '';
    for (let i = 0; i < 100 && !connected.test(text); i++) {
      text = await metrics();
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(text).toMatch(connected);
    expect(text).toContain('netprobe_node_created_timestamp_seconds{source_node="n1"} 1748736000');
    expect(text).toContain('netprobe_discovery_watching{source_node="n1",resource="peer_endpointslices"} 1');
    expect(text).toContain('netprobe_peer_ready{source_node="n1",target="127.0.0.2",target_node="n2"} 1');
    expect(f.requests.every((r) => r.authorization === 'Bearer t0k')).toBe(true);

    f.delete(SLICES('netprobe'), 'peers', 'netprobe');
    for (let i = 0; i < 100 && text.includes('127.0.0.2'); i++) {
      await new Promise((r) => setTimeout(r, 50));
      text = await metrics();
    }
    expect(text).not.toContain('127.0.0.2');

    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
