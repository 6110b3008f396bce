// `netprobe diagnose` against a real Prometheus scraping a real netprobe
// daemon (embedded default on loopback, F1 injected by a reload to the
// responder's conntrack-race fault), plus its exit-2 errors.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Verdict } from '../../src/diagnosis/types.ts';
import { embeddedConfig } from '../daemon/helpers.ts';
import { prometheusAvailable, startPrometheus, type Prometheus as Prom } from '../support/prometheus.ts';
import { diagnoseUntil, freePort, runCli } from './run-diagnose.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// In CI Prometheus is installed by scripts/test-all.sh: a missing one fails there.
const available = prometheusAvailable() || process.env.CI === 'true';

describe('netprobe diagnose: usage and connection errors (exit 2)', () => {
  it('unreachable Prometheus', async () => {
    const port = await freePort();
    const r = await runCli(['diagnose', '--prometheus', `http://127.0.0.1:${port}`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot reach Prometheus at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
  });

  it.each([
    [['--prometheus', 'prometheus:9090'], /--prometheus: expected an http\(s\) URL/],
    [['--prometheus', 'http://127.0.0.1:9', '--window', '10s'], /--window: expected a duration from 30s to 24h, got "10s"/],
    [[], /required option '--prometheus <url>'/],
  ])('bad flags %j', async (args, message) => {
    const r = await runCli(['diagnose', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});

describe.skipIf(!available)('netprobe diagnose against a real Prometheus', () => {
  let prom: Prom;
  let daemon: ChildProcess;
  let dir: string;
  let config: string;
  let log = '';
  let yaml: (fault: 'none' | 'conntrack-race') => string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'np-diag-'));
    config = join(dir, 'netprobe.yaml');
    const port = await freePort();
    yaml = (fault) => embeddedConfig({ fault, every: '1s' }).replace('listen: 127.0.0.1:0', `listen: 127.0.0.1:${port}`);
    writeFileSync(config, yaml('none'));
    daemon = spawn(join(ROOT, 'node_modules/.bin/node'), [join(ROOT, 'src/cli/main.ts'), 'run', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    daemon.stdout!.on('data', (b: Buffer) => (log += b.toString()));
    daemon.stderr!.on('data', (b: Buffer) => (log += b.toString()));
    prom = await startPrometheus({ jobs: { netprobe: [`127.0.0.1:${port}`] } });
  }, 60_000);
  afterAll(async () => {
    daemon?.kill('SIGTERM');
    await prom?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('no netprobe series yet in a Prometheus scraping nothing of netprobe: exit 2, "is netprobe scraped?"', async () => {
    const empty = await startPrometheus({ jobs: {} });
    try {
      const r = await runCli(['diagnose', '--prometheus', empty.url]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/no netprobe series .* is netprobe scraped\?/);
    } finally {
      await empty.stop();
    }
  });

  it('healthy: exit 0, then F1 after the fault goes in (and nothing else), with evidence and next steps', { timeout: 150_000 }, async () => {
    const healthy = await diagnoseUntil(prom.url, ['--window', '30s', '--json'], (r) => r.code === 0 && /"nodes": \[\s*"test-node"/.test(r.stdout), 60_000);
    expect(healthy.result.code, `${healthy.result.stdout}${healthy.result.stderr}\n${log}`).toBe(0);
    expect(JSON.parse(healthy.result.stdout).verdicts).toEqual([]);

    writeFileSync(config, yaml('conntrack-race'));
    daemon.kill('SIGHUP');
    const t0 = Date.now();
    const faulty = await diagnoseUntil(prom.url, ['--window', '30s', '--json'], (r) => r.code === 1, 60_000);
    expect(faulty.result.code, `${faulty.result.stdout}${faulty.result.stderr}`).toBe(1);
    const seconds = (Date.now() - t0) / 1000;
    console.log(`diagnose: F1 verdict ${seconds.toFixed(1)} s after the fault`);
    const { verdicts } = JSON.parse(faulty.result.stdout) as { verdicts: Verdict[] };
    expect(verdicts.map((v) => v.failure)).toEqual(['F1']);
    const [f1] = verdicts;
    expect(f1).toMatchObject({ status: 'firing', source_nodes: ['test-node'] });
    expect(f1!.since).toBeGreaterThanOrEqual(t0 - 5000);
    expect(f1!.evidence.find((e) => /udp\/parallel/.test(e.signal))).toMatchObject({ holds: true, comparison: '>=' });

    const text = await runCli(['diagnose', '--prometheus', prom.url, '--window', '30s']);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^F1 {2}conntrack insert race on UDP DNS via 127\.0\.0\.1:\d+/m);
    expect(text.stdout).toMatch(/^ {2}since: {4}\d{4}-\d\d-\d\dT/m);
    expect(text.stdout).toContain('    $ conntrack -S');
    expect(text.stdout).toContain('https://github.com/netprobe/netprobe/blob/main/docs/runbooks.md#f1-conntrack-race');
  });
});
