// The daemon end to end on loopback: embedded responder, scheduler, DNS probe,
// recorder, prom-client registry and the HTTP endpoints, all real.
import { afterEach, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/app/daemon.ts';
import { parseConfig } from '../../src/config/load.ts';
import { embeddedConfig, get, sample, sleep, startDaemon } from './helpers.ts';

let daemon: Daemon | undefined;
afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
});

describe('daemon on the embedded responder', () => {
  it('serves /healthz, /readyz once every target ran, /api/results and /metrics', async () => {
    daemon = await startDaemon(embeddedConfig());
    expect((await get(`${daemon.url}/healthz`)).status).toBe(200);
    await sleep(400);
    const ready = await get(`${daemon.url}/readyz`);
    expect(ready.status).toBe(200);
    const results = JSON.parse((await get(`${daemon.url}/api/results`)).body) as { results: { probe: string; success: boolean }[] };
    expect(results.results.map((r) => r.probe).sort()).toEqual(['parallel', 'reopen', 'sequential', 'tcp']);
    expect(results.results.every((r) => r.success)).toBe(true);
    const metrics = (await get(`${daemon.url}/metrics`)).body;
    expect(sample(metrics, 'netprobe_build_info', { source_node: 'test-node' })).toBe(1);
    expect(sample(metrics, 'netprobe_targets', { probe: 'parallel', target_kind: 'loopback' })).toBe(1);
    expect(sample(metrics, 'netprobe_dns_lookups_total', { probe: 'parallel', qtype: 'AAAA', result: 'success' })).toBeGreaterThanOrEqual(1);
    expect(sample(metrics, 'netprobe_probe_success', { probe: 'tcp', name_class: 'cluster' })).toBe(1);
    expect((await get(`${daemon.url}/nope`)).status).toBe(404);
  });

  it('is not ready before the first runs finish', async () => {
    // A 2 s attempt timeout against the race fault keeps the parallel lookup busy.
    daemon = await startDaemon(embeddedConfig({ fault: 'conntrack-race', timeout: '2s' }));
    const early = await get(`${daemon.url}/readyz`);
    expect(early.status).toBe(503);
    expect(early.body).toMatch(/waiting for the first run of \d+ probe targets/);
  });

  it('with the conntrack-race fault only parallel mode stalls, at about the attempt timeout', async () => {
    daemon = await startDaemon(embeddedConfig({ fault: 'conntrack-race', timeout: '300ms' }));
    await sleep(2600);
    const metrics = (await get(`${daemon.url}/metrics`)).body;
    const stalled = (probe: string) => sample(metrics, 'netprobe_dns_stalled_lookups_total', { probe });
    expect(stalled('parallel')).toBeGreaterThanOrEqual(2);
    expect(stalled('sequential')).toBe(0);
    expect(stalled('reopen')).toBe(0);
    expect(stalled('tcp')).toBe(0);
    // Stalled lookups land in the bucket above the timeout, and still succeed.
    const slow = sample(metrics, 'netprobe_dns_lookup_duration_seconds_bucket', { probe: 'parallel', qtype: 'AAAA', le: '0.25' });
    const all = sample(metrics, 'netprobe_dns_lookup_duration_seconds_count', { probe: 'parallel', qtype: 'AAAA' });
    expect(slow).toBe(0);
    expect(all).toBeGreaterThanOrEqual(2);
    expect(sample(metrics, 'netprobe_dns_lookups_total', { probe: 'parallel', result: 'success' })).toBe(2 * all!);
    expect(sample(metrics, 'netprobe_dns_attempt_timeouts_total', { probe: 'parallel' })).toBeGreaterThanOrEqual(2);
  });

  it('reload: removed probes lose their series, a changed fault takes effect', async () => {
    daemon = await startDaemon(embeddedConfig());
    await sleep(400);
    let metrics = (await get(`${daemon.url}/metrics`)).body;
    expect(sample(metrics, 'netprobe_dns_lookups_total', { probe: 'reopen' })).toBeGreaterThan(0);

    const only = embeddedConfig({ fault: 'conntrack-race', only: ['parallel'] });
    await daemon.reload(parseConfig(only, 'reload.yaml'));
    await sleep(1500);
    metrics = (await get(`${daemon.url}/metrics`)).body;
    expect(sample(metrics, 'netprobe_dns_lookups_total', { probe: 'reopen' })).toBeUndefined();
    expect(sample(metrics, 'netprobe_probe_success', { probe: 'sequential' })).toBeUndefined();
    expect(sample(metrics, 'netprobe_dns_stalled_lookups_total', { probe: 'parallel' })).toBeGreaterThan(0);
    const results = JSON.parse((await get(`${daemon.url}/api/results`)).body) as { results: { probe: string }[] };
    expect(new Set(results.results.map((r) => r.probe))).toEqual(new Set(['parallel']));
  });

  it('a failed probe is a result: a silent server gives timeouts, not a crash', async () => {
    const dgram = await import('node:dgram');
    const silent = dgram.createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
    const port = silent.address().port;
    try {
      daemon = await startDaemon(`listen: 127.0.0.1:0
probes:
  - name: silent
    kind: dns
    every: 1s
    servers: ["127.0.0.1:${port}"]
    names: [example.com]
    timeout: 100ms
    attempts: 1
`);
      await sleep(700);
      const metrics = (await get(`${daemon.url}/metrics`)).body;
      expect(sample(metrics, 'netprobe_dns_lookups_total', { probe: 'silent', result: 'timeout' })).toBeGreaterThanOrEqual(2);
      expect(sample(metrics, 'netprobe_probe_success', { probe: 'silent' })).toBe(0);
      expect(sample(metrics, 'netprobe_probe_runs_total', { probe: 'silent', result: 'timeout' })).toBeGreaterThanOrEqual(1);
      expect((await get(`${daemon.url}/healthz`)).status).toBe(200);
    } finally {
      silent.close();
    }
  });
});
