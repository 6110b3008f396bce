// `netprobe run` as an operator runs it: a real process, signals, stdout.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { embeddedConfig, get, sample, sleep } from './helpers.ts';

const NODE = 'node_modules/.bin/node';
let child: ChildProcess | undefined;
afterEach(() => {
  child?.kill('SIGKILL');
  child = undefined;
});

function start(args: string[]): { proc: ChildProcess; url: Promise<string>; stderr: () => string; exit: Promise<number | null> } {
  const proc = spawn(NODE, ['src/cli/main.ts', 'run', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KUBERNETES_SERVICE_HOST: '' } });
  child = proc;
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const url = new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /metrics at (http:\/\/\S+)\/metrics/.exec(out);
      if (m) resolve(m[1]!);
    });
    proc.once('exit', () => reject(new Error(`exited before printing the metrics URL: ${err}`)));
  });
  url.catch(() => {}); // tests that expect an early exit never await the URL
  const exit = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { proc, url, stderr: () => err, exit };
}

describe('netprobe run', () => {
  it('without --config runs the embedded default on loopback and prints the metrics URL', async () => {
    const run = start(['--listen', '127.0.0.1:0']);
    const url = await run.url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await sleep(800);
    const metrics = (await get(`${url}/metrics`)).body;
    // Every server probed is the embedded responder on 127.0.0.1.
    const servers = new Set([...metrics.matchAll(/server="([^"]+)"/g)].map((m) => m[1]));
    expect(servers.size).toBe(1);
    expect([...servers][0]).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(sample(metrics, 'netprobe_dns_lookups_total', { result: 'success' })).toBeGreaterThanOrEqual(16);
    run.proc.kill('SIGTERM');
    expect(await run.exit).toBe(0);
  });

  it('SIGHUP applies a valid config, keeps the running one on an invalid one; SIGTERM stops within seconds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netprobe-run-'));
    const file = join(dir, 'config.yaml');
    writeFileSync(file, embeddedConfig({ only: ['parallel', 'reopen'] }));
    const run = start(['--config', file]);
    const url = await run.url;
    await sleep(500);

    writeFileSync(file, 'probes: [oops');
    run.proc.kill('SIGHUP');
    await sleep(300);
    expect(run.stderr()).toMatch(/config reload rejected; keeping the running config/);
    expect(run.stderr()).toContain(`${file}:1:`);
    expect((await get(`${url}/healthz`)).status).toBe(200);

    // 800 ms attempts: the embedded responder shares the daemon's event loop, so on a
    // loaded machine a 300 ms attempt can time out on a hiccup and count a reopen stall.
    writeFileSync(file, embeddedConfig({ only: ['parallel', 'reopen'], fault: 'conntrack-race', timeout: '800ms' }));
    run.proc.kill('SIGHUP');
    await sleep(2200);
    const metrics = (await get(`${url}/metrics`)).body;
    expect(sample(metrics, 'netprobe_dns_stalled_lookups_total', { probe: 'parallel' })).toBeGreaterThan(0);
    expect(sample(metrics, 'netprobe_dns_stalled_lookups_total', { probe: 'reopen' })).toBe(0);

    const stopAt = performance.now();
    run.proc.kill('SIGTERM');
    expect(await run.exit).toBe(0);
    expect(performance.now() - stopAt).toBeLessThan(3000);
  });

  it('exits 2 naming the file and probe when targets cannot be built', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netprobe-run-'));
    const file = join(dir, 'config.yaml');
    writeFileSync(join(dir, 'resolv.conf'), 'search example.internal\n');
    writeFileSync(file, `listen: 127.0.0.1:0\nprobes:\n  - name: vip\n    kind: dns\n    servers: [resolv.conf]\n    resolvConf: ${join(dir, 'resolv.conf')}\n    names: [example.com]\n`);
    const run = start(['--config', file]);
    expect(await run.exit).toBe(2);
    expect(run.stderr()).toContain(`netprobe run: ${file}: probe "vip": no nameserver in`);
  });

  it('exits 2 on a bad flag value', async () => {
    const run = start(['--listen', 'nowhere:http']);
    expect(await run.exit).toBe(2);
    expect(run.stderr()).toBe('netprobe run: --listen: expected HOST:PORT, got "nowhere:http"\n');
  });
});
