// Local verdicts through the real daemon (in-process, loopback only): the
// embedded responder's conntrack-race fault must raise F1 on /api/verdicts
// and netprobe_verdict, log it, and a healthy daemon must say nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { Daemon } from '../../src/app/daemon.ts';
import { parseConfig } from '../../src/config/load.ts';
import type { Verdict } from '../../src/diagnosis/types.ts';
import { embeddedConfig, get, sample, sleep } from '../daemon/helpers.ts';

const running: Daemon[] = [];
afterEach(async () => {
  for (const d of running.splice(0)) await d.stop();
});

async function start(fault: 'none' | 'conntrack-race', logs: { msg: string; fields?: Record<string, unknown> }[]): Promise<Daemon> {
  const log = {
    debug() {},
    info: (msg: string, fields?: Record<string, unknown>) => logs.push({ msg, fields }),
    warn: (msg: string, fields?: Record<string, unknown>) => logs.push({ msg, fields }),
    error: (msg: string, fields?: Record<string, unknown>) => logs.push({ msg, fields }),
  };
  const d = await Daemon.start({ config: parseConfig(embeddedConfig({ fault, every: '1s' }), 'test.yaml'), env: {}, log });
  running.push(d);
  return d;
}

async function verdicts(d: Daemon): Promise<Verdict[]> {
  const { status, body } = await get(`${d.url}/api/verdicts`);
  expect(status).toBe(200);
  return (JSON.parse(body) as { verdicts: Verdict[] }).verdicts;
}

describe('daemon local verdicts', () => {
  it('F1 from the embedded conntrack-race fault: /api/verdicts, gauges, one log line', { timeout: 40_000 }, async () => {
    const logs: { msg: string; fields?: Record<string, unknown> }[] = [];
    const d = await start('conntrack-race', logs);
    let found: Verdict[] = [];
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      found = await verdicts(d);
      if (found.length > 0) break;
      await sleep(250);
    }
    expect(found.map((v) => v.failure)).toEqual(['F1']);
    const [f1] = found;
    expect(f1).toMatchObject({ status: 'firing', scope: 'node', source_nodes: ['test-node'], targets: [`127.0.0.1:${d.embeddedDns!.port}`] });
    expect(f1!.since).toBeLessThanOrEqual(Date.now());
    expect(f1!.next_steps[0]!.command).toBe('conntrack -S');
    const metrics = (await get(`${d.url}/metrics`)).body;
    expect(sample(metrics, 'netprobe_verdict', { failure: 'F1', target: '' })).toBe(1);
    expect(sample(metrics, 'netprobe_verdict', { failure: 'F2', target: '' })).toBe(0);
    expect(sample(metrics, 'netprobe_verdict', { failure: 'F1', target: f1!.targets[0]! })).toBe(1);
    expect(sample(metrics, 'netprobe_verdict_since_timestamp_seconds', { failure: 'F1', target: '' })).toBeCloseTo(f1!.since / 1000, 2);
    expect(logs.filter((l) => l.msg === 'verdict raised')).toHaveLength(1);
    expect(logs.find((l) => l.msg === 'verdict raised')?.fields).toMatchObject({ failure: 'F1', status: 'firing' });
  });

  it('healthy: no verdicts, every netprobe_verdict{target=""} is 0', { timeout: 20_000 }, async () => {
    const logs: { msg: string }[] = [];
    const d = await start('none', logs);
    await sleep(3500);
    expect(await verdicts(d)).toEqual([]);
    const metrics = (await get(`${d.url}/metrics`)).body;
    for (const f of ['F1', 'F2', 'F3', 'F4', 'F5', 'F6', 'F7', 'F8', 'F9']) expect(sample(metrics, 'netprobe_verdict', { failure: f, target: '' })).toBe(0);
    expect(sample(metrics, 'netprobe_verdict_since_timestamp_seconds')).toBeUndefined();
    expect(logs.filter((l) => l.msg.startsWith('verdict'))).toEqual([]);
  });
});
