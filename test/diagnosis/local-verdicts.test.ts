// The daemon's verdict bookkeeping without a daemon: a fake sink and clock,
// runs fed by hand, evaluate() called by the test. Gauges rise and clear,
// since stays at the episode's start, each change is logged once; and the
// diagnose command's exit code for firing / unknown-only / no verdicts.
import { describe, expect, it } from 'vitest';
import { LocalVerdicts } from '../../src/app/verdicts.ts';
import { exitCode } from '../../src/cli/commands/diagnose.ts';
import type { Verdict } from '../../src/diagnosis/types.ts';
import type { InstrumentKey, Labels, MetricSink } from '../../src/metrics/catalog.ts';
import type { DnsTarget } from '../../src/probes/dns/types.ts';

class MemorySink implements MetricSink {
  readonly values = new Map<string, number>();
  add(): void {}
  observe(): void {}
  set(key: InstrumentKey, labels: Labels, value: number): void {
    this.values.set(`${key} ${JSON.stringify(labels)}`, value);
  }
  remove(key: InstrumentKey, match: Labels): void {
    for (const k of [...this.values.keys()]) {
      if (!k.startsWith(`${key} `)) continue;
      const labels = JSON.parse(k.slice(key.length + 1)) as Labels;
      if (Object.entries(match).every(([n, v]) => labels[n] === v)) this.values.delete(k);
    }
  }
  get(key: InstrumentKey, labels: Labels): number | undefined {
    return this.values.get(`${key} ${JSON.stringify(labels)}`);
  }
}

const target = (mode: string): DnsTarget => ({
  id: mode,
  label: '10.96.0.10:53',
  kind: 'service_vip',
  node: '',
  server: { host: '10.96.0.10', port: 53 },
  name: 'kubernetes.default.svc.cluster.local',
  nameClass: 'cluster',
});

describe('LocalVerdicts', () => {
  it('raises F1 with gauges and one log line, keeps its since, clears and removes the per-target series', () => {
    const sink = new MemorySink();
    const logs: string[] = [];
    let now = 1_000_000;
    const log = { debug() {}, info: (m: string) => logs.push(m), warn: (m: string) => logs.push(m), error: (m: string) => logs.push(m) };
    const lv = new LocalVerdicts({ sink, log, clock: { now: () => now, wallNow: () => now }, sourceNode: 'n1', everyMs: 3_600_000 });
    try {
      expect(sink.get('verdict', { failure: 'F1', target: '' })).toBe(0);
      const feed = (stalled: boolean) => {
        for (const mode of ['parallel', 'reopen']) {
          const result = { outcome: 'success', stalled: stalled && mode === 'parallel' };
          lv.record(mode, mode, 'dns', target(mode), { transport: 'udp', mode }, result, true, 'success', now);
        }
        now += 1000;
      };
      for (let i = 0; i < 4; i++) feed(true);
      const [v] = lv.evaluate();
      expect(v).toMatchObject({ failure: 'F1', since: 1_000_000, targets: ['10.96.0.10:53'] });
      expect(sink.get('verdict', { failure: 'F1', target: '' })).toBe(1);
      expect(sink.get('verdict', { failure: 'F1', target: '10.96.0.10:53' })).toBe(1);
      expect(sink.get('verdictSince', { failure: 'F1', target: '' })).toBe(1000);
      for (let i = 0; i < 6; i++) feed(true); // the first stalled runs leave the 6-run window...
      feed(true);
      expect(lv.evaluate()[0]!.since).toBe(1_000_000); // ...the episode still started then
      expect(logs.filter((m) => m === 'verdict raised')).toHaveLength(1);
      for (let i = 0; i < 10; i++) feed(false);
      expect(lv.evaluate()).toEqual([]);
      expect(sink.get('verdict', { failure: 'F1', target: '' })).toBe(0);
      expect(sink.get('verdict', { failure: 'F1', target: '10.96.0.10:53' })).toBeUndefined();
      expect(sink.get('verdictSince', { failure: 'F1', target: '' })).toBeUndefined();
      expect(logs).toEqual(['verdict raised', 'verdict cleared']);
    } finally {
      lv.stop();
    }
  });
});

describe('diagnose exit code', () => {
  const v = (status: 'firing' | 'unknown') => ({ status }) as Verdict;
  it.each([
    [[], 0],
    [[v('firing')], 1],
    [[v('firing'), v('unknown')], 1],
    [[v('unknown')], 2],
  ] as const)('%j -> %i', (verdicts, code) => {
    expect(exitCode(verdicts)).toBe(code);
  });
});
