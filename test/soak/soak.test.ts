// The hardening reproducers of issue 10 against a daemon process, as CI runs
// them: a 2-minute soak at `nofile` 1024 (1,000 slowloris clients, a storm
// of 200 concurrent scrapes every 5 s, a hostile DNS server, SIGHUP churn of
// names, targets and probes with an invalid file now and then), and a
// daemon whose fd limit is too small for its probes. The longer soak is
// `node bench/soak/run.ts --minutes 30`.
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { get, HostileDns, tcpListeners } from '../../bench/soak/attack.ts';
import { runSoak, startDaemonProcess } from '../../bench/soak/soak.ts';
import { parseSamples, sumSamples } from '../../bench/scale/prom-text.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('soak: abuse and churn against a daemon at nofile 1024', () => {
  it('no false result, no stale series, no counter decrease, /healthz never down long enough for a restart', { timeout: 240_000 }, async () => {
    const lines: string[] = [];
    const report = await runSoak({
      seconds: 120,
      nofile: 1024,
      slowClients: 1000,
      stormSize: 200,
      bulkNames: 100,
      tickMs: 5000,
      churnMs: 8000,
      stormMs: 5000,
      log: (line) => lines.push(line),
    });
    const { ticks, ...summary } = report;
    const context = `${lines.join('\n')}\n${JSON.stringify(summary, null, 2)}`;
    // Every target is healthy: any failure counted is a false one.
    expect(report.falseResults, context).toBe(0);
    expect(report.fdSkipped, context).toBe(0); // the HTTP cap kept probing's fd reserve
    expect(report.maxFds, context).toBeLessThan(1024 - 256);
    expect(report.staleSeries, context).toEqual([]);
    expect(report.counterDecreases, context).toEqual([]);
    expect(report.reloads, context).toBeGreaterThanOrEqual(5);
    expect(report.rejectedReloads, context).toBeGreaterThanOrEqual(1);
    expect(report.reloadGaugeWrong, context).toEqual([]);
    // Every /healthz answered 200 (before the fix it was unreachable for a
    // minute), 95 % within 1 s. A loaded shared machine delays every
    // process: the bound then follows the control server nobody attacks,
    // checked at the same moments (twice its time).
    // A rare drop remains (a new connection evicted before its request was read,
    // about 1 in 250 checks here); kubelet tolerates single failures (failureThreshold 3).
    expect(report.healthz.errors / report.healthz.checks, context).toBeLessThan(0.01);
    expect(report.healthz.p95Seconds, context).toBeLessThan(Math.max(1, 2 * report.control.p95Seconds));
    expect(report.healthz.maxSeconds, context).toBeLessThan(Math.max(5, 2 * report.control.maxSeconds));
    expect(report.healthz.checks, context).toBeGreaterThan(300);
    expect(report.storms.ok, context).toBeGreaterThan(0);
    expect(report.slowlorisDropped, context).toBeGreaterThan(1000); // the abuse did happen
    expect(ticks.length, context).toBeGreaterThanOrEqual(16);
  });
});

describe('fd exhaustion', () => {
  it('runs that cannot get a socket are skipped and counted as the daemon\'s problem, never as network failures', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'netprobe-fd-'));
    dirs.push(dir);
    const dns = await HostileDns.start();
    const listeners = await tcpListeners(16);
    const file = path.join(dir, 'config.yaml');
    writeFileSync(
      file,
      [
        'listen: 127.0.0.1:0',
        'probes:',
        '  - name: d',
        '    kind: dns',
        '    every: 1s',
        '    spread: false', // every target in the same instant, as the fd budget below assumes
        `    servers: ["127.0.0.1:${dns.port}"]`,
        `    names: [${Array.from({ length: 30 }, (_, i) => `n${i}.fd.test`).join(', ')}]`,
        '    mode: reopen',
        '  - name: t',
        '    kind: tcp',
        '    every: 1s',
        '    spread: false',
        '    count: 1',
        `    targets: [${listeners.ports.map((p) => `"127.0.0.1:${p}"`).join(', ')}]`,
        '',
      ].join('\n'),
    );
    // 48 fds: Node and the listener take ~25, so 46 targets at once cannot all get a socket.
    const { child, port, logs } = await startDaemonProcess(file, 48);
    try {
      let samples = parseSamples('');
      let scrapes = 0;
      const failedScrapes: string[] = [];
      for (let i = 0; i < 40; i++) {
        await new Promise((r) => setTimeout(r, 500));
        // Out of fds, the daemon cannot always accept the scrape either (EMFILE on
        // accept: a reset), as Prometheus would see a failed scrape: try again.
        try {
          samples = parseSamples((await get(port, '/metrics', 5000)).body);
          scrapes++;
        } catch (error) {
          failedScrapes.push((error as Error).message);
          continue;
        }
        if (sumSamples(samples, 'netprobe_daemon_errors_total', { reason: 'fd_exhausted' }) > 0 && sumSamples(samples, 'netprobe_probe_runs_total', { result: 'success' }) > 20) break;
      }
      expect(scrapes, `failed scrapes: ${failedScrapes.join(', ')}`).toBeGreaterThan(0);
      const context = `${samples.filter((s) => /runs_total|skipped|daemon_errors/.test(s.name)).map((s) => `${s.name}${JSON.stringify(s.labels)} ${s.value}`).join('\n')}\n${logs.slice(-10).join('\n')}`;
      const errors = sumSamples(samples, 'netprobe_daemon_errors_total', { reason: 'fd_exhausted' });
      expect(errors, context).toBeGreaterThan(0);
      expect(sumSamples(samples, 'netprobe_probe_skipped_total', { reason: 'fd_exhausted' }), context).toBe(errors);
      // No false results: every run that was recorded succeeded.
      const runs = samples.filter((s) => s.name === 'netprobe_probe_runs_total');
      expect(runs.filter((s) => s.labels.result !== 'success' && s.value > 0), context).toEqual([]);
      expect(sumSamples(samples, 'netprobe_dns_lookups_total', { result: 'network_error' }), context).toBe(0);
      expect(sumSamples(samples, 'netprobe_tcp_connects_total', { result: 'error' }), context).toBe(0);
      expect(logs.some((l) => l.includes('out of file descriptors')), context).toBe(true);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
      dns.stop();
      listeners.stop();
    }
  });
});
