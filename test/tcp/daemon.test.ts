// The tcp probe inside the real daemon (`netprobe run --config`), scraped over
// HTTP: connected, refused and timeout loopback targets each move their own
// netprobe_tcp_connects_total{result} series.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blackholeListener, closedPort, listen } from './loopback.ts';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

let server: net.Server;
let hole: Awaited<ReturnType<typeof blackholeListener>>;
let daemon: ChildProcess | undefined;
let dir: string;
let url: string;
const ports = { open: 0, closed: 0, hole: 0 };

/**
 * Value of the one sample of `name` carrying every label in `labels` (other
 * labels may be present), undefined when there is none; two matches fail.
 */
function sample(text: string, name: string, labels: string): number | undefined {
  const wanted = labels.split(/,(?=[a-z_]+=")/);
  const lines = text.split('\n').filter((l) => l.startsWith(`${name}{`) && wanted.every((pair) => l.includes(pair)));
  expect(lines.length, `${name}{${labels}}`).toBeLessThanOrEqual(1);
  const line = lines[0];
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

const target = (port: number) => `source_node="tcp-test-node",probe="loop",target="127.0.0.1:${port}",target_kind="loopback",target_node=""`;

beforeAll(async () => {
  ({ server, port: ports.open } = await listen());
  ports.closed = await closedPort();
  hole = await blackholeListener();
  ports.hole = hole.port;
  dir = mkdtempSync(path.join(os.tmpdir(), 'netprobe-tcp-daemon-'));
  const config = path.join(dir, 'config.yaml');
  writeFileSync(
    config,
    [
      'sourceNode: tcp-test-node',
      'listen: 127.0.0.1:0',
      'probes:',
      '  - name: loop',
      '    kind: tcp',
      '    every: 1s',
      '    count: 2',
      '    interval: 100ms',
      '    timeout: 300ms',
      '    targetKind: loopback',
      `    targets: ["127.0.0.1:${ports.open}", "127.0.0.1:${ports.closed}", "127.0.0.1:${ports.hole}"]`,
      '',
    ].join('\n'),
  );
  daemon = spawn(process.execPath, [MAIN, 'run', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  daemon.stderr!.on('data', (d) => (out += String(d)));
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`daemon printed no metrics URL in 15 s:\n${out}`)), 15_000);
    daemon!.stdout!.on('data', (d) => {
      out += String(d);
      const match = /http:\/\/\S+\/metrics/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[0]);
      }
    });
    daemon!.once('exit', (code) => reject(new Error(`daemon exited (${code}):\n${out}`)));
  });
});

afterAll(async () => {
  if (daemon && daemon.exitCode === null) {
    daemon.kill('SIGTERM');
    await Promise.race([once(daemon, 'exit'), new Promise((r) => setTimeout(r, 5000))]);
    if (daemon.exitCode === null) daemon.kill('SIGKILL');
  }
  server?.close();
  hole?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('tcp probe in the daemon', () => {
  it('exports connects by result, connect times and probe success per target', async () => {
    const connects = 'netprobe_tcp_connects_total';
    let text = '';
    // Bounded wait for every target to have finished at least one run of two connects.
    for (let i = 0; i < 40; i++) {
      text = await (await fetch(url)).text();
      const done = [
        sample(text, connects, `${target(ports.open)},result="connected"`),
        sample(text, connects, `${target(ports.closed)},result="refused"`),
        sample(text, connects, `${target(ports.hole)},result="timeout"`),
      ];
      if (done.every((v) => v !== undefined && v >= 2)) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const open = sample(text, connects, `${target(ports.open)},result="connected"`)!;
    expect(open).toBeGreaterThanOrEqual(2);
    expect(open % 2).toBe(0);
    expect(sample(text, connects, `${target(ports.closed)},result="refused"`)).toBeGreaterThanOrEqual(2);
    expect(sample(text, connects, `${target(ports.hole)},result="timeout"`)).toBeGreaterThanOrEqual(2);
    for (const [port, wrong] of [
      [ports.open, 'timeout'],
      [ports.closed, 'connected'],
      [ports.hole, 'connected'],
      [ports.hole, 'refused'],
    ] as const) {
      expect(sample(text, connects, `${target(port)},result="${wrong}"`), `${port} ${wrong}`).toBe(0);
    }
    expect(sample(text, 'netprobe_tcp_connect_duration_seconds_count', target(ports.open))).toBe(open);
    expect(sample(text, 'netprobe_tcp_connect_duration_seconds_count', target(ports.closed))).toBeUndefined();
    const success = (port: number) =>
      sample(text, 'netprobe_probe_success', `source_node="tcp-test-node",probe="loop",target="127.0.0.1:${port}",target_kind="loopback"`);
    expect([success(ports.open), success(ports.closed), success(ports.hole)]).toEqual([1, 0, 0]);
    expect(sample(text, 'netprobe_probe_runs_total', 'source_node="tcp-test-node",probe="loop",result="refused"')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'netprobe_probe_runs_total', 'source_node="tcp-test-node",probe="loop",result="timeout"')).toBeGreaterThanOrEqual(1);
  });
});
