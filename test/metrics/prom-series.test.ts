// The Prometheus sink renders its own series; this pins its text to what
// prom-client's Counter/Gauge/Histogram + Registry produce for the same updates.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { PrometheusSink } from '../../src/exporters/prometheus.ts';
import { INSTRUMENTS, type InstrumentKey, type Labels } from '../../src/metrics/catalog.ts';

function promClientTwin(sourceNode: string) {
  const registry = new Registry();
  const metrics = new Map<InstrumentKey, Counter<string> | Gauge<string> | Histogram<string>>();
  for (const [key, spec] of Object.entries(INSTRUMENTS) as [InstrumentKey, (typeof INSTRUMENTS)[InstrumentKey]][]) {
    const common = { name: spec.name, help: spec.help, labelNames: ['source_node', ...spec.labels], registers: [registry] };
    metrics.set(
      key,
      spec.type === 'counter'
        ? new Counter(common)
        : spec.type === 'gauge'
          ? new Gauge(common)
          : new Histogram({ ...common, buckets: [...(spec as { buckets: readonly number[] }).buckets] }),
    );
  }
  const full = (labels: Labels) => ({ source_node: sourceNode, ...labels });
  return {
    registry,
    add: (key: InstrumentKey, labels: Labels, value = 1) => (metrics.get(key) as Counter<string>).inc(full(labels), value),
    set: (key: InstrumentKey, labels: Labels, value: number) => (metrics.get(key) as Gauge<string>).set(full(labels), value),
    observe: (key: InstrumentKey, labels: Labels, value: number) => (metrics.get(key) as Histogram<string>).observe(full(labels), value),
    remove: async (key: InstrumentKey, match: Labels) => {
      const metric = metrics.get(key)!;
      const want = full(match);
      for (const { labels } of (await metric.get()).values as { labels: Labels }[]) {
        const { le: _le, ...series } = labels;
        if (Object.entries(want).every(([k, v]) => series[k] === v)) metric.remove(series);
      }
    },
  };
}

describe('PrometheusSink text', () => {
  it('matches prom-client for counters, gauges, histograms, escaping, removal and frozen label objects', async () => {
    const ours = new PrometheusSink(new Registry(), 'node-"a"\\b');
    const twin = promClientTwin('node-"a"\\b');
    const tcp = Object.freeze({ probe: 'web', target: '198.18.0.2:80', target_kind: 'peer', target_node: 'n\nb' });
    const other = { probe: 'web', target: '198.18.0.3:80', target_kind: 'peer', target_node: 'n-c' };
    const values = [0.0001, 0.0004, 0.002, 0.7, 3, 9, 42, 0.1 + 0.2];
    for (const sink of [ours, twin]) {
      for (const v of values) {
        sink.observe('tcpConnectDuration', tcp, v);
        sink.observe('tcpConnectDuration', { ...other }, v * 2);
        sink.add('tcpConnects', { ...tcp, result: 'connected' });
        sink.add('tcpConnects', { ...other, result: 'refused' }, 0);
        sink.set('pathMtu', { probe: 'mtu', target: 'x', target_node: '' }, v);
      }
      sink.set('buildInfo', { version: '1', runtime: 'node' }, 1);
      sink.add('probeRuns', { probe: 'web', result: 'success' }, 2.5);
      await sink.remove('tcpConnects', { target: '198.18.0.3:80' });
      await sink.remove('tcpConnectDuration', { target: '198.18.0.2:80' });
      sink.observe('tcpConnectDuration', tcp, 0.003); // re-created after removal, now last
    }
    const expected = await twin.registry.metrics();
    expect(await ours.render()).toBe(expected);
    // prom-client's own renderer over our metrics (the get() protocol) agrees too.
    expect(await ours.registry.metrics()).toBe(expected);
    expect(expected).toContain('netprobe_tcp_connect_duration_seconds_bucket{le="0.005",source_node="node-\\"a\\"\\\\b",probe="web"');
  });

  it('renders what changed since the previous scrape and reuses the rest (counter and gauge line cache)', async () => {
    const ours = new PrometheusSink(new Registry(), 'node-a');
    const twin = promClientTwin('node-a');
    const a = Object.freeze({ probe: 'web', target: '198.18.0.2:80', target_kind: 'peer', target_node: 'n-b' });
    const b = { probe: 'web', target: '198.18.0.3:80', target_kind: 'peer', target_node: 'n-c' };
    const steps: ((sink: typeof twin | PrometheusSink) => unknown)[] = [
      (sink) => (sink.observe('tcpConnectDuration', a, 0.002), sink.observe('tcpConnectDuration', b, 0.7), sink.add('tcpConnects', { ...a, result: 'connected' })),
      (sink) => sink.observe('tcpConnectDuration', a, 0.0004), // one histogram series changes, the other renders as before
      (sink) => (sink.add('tcpConnects', { ...a, result: 'connected' }, 3), sink.set('pathMtu', { probe: 'mtu', target: 'x', target_node: '' }, 1400)),
      (sink) => sink.remove('tcpConnectDuration', { target: '198.18.0.2:80' }),
      (sink) => (sink.observe('tcpConnectDuration', a, 9), sink.set('pathMtu', { probe: 'mtu', target: 'x', target_node: '' }, 1280)),
      () => undefined, // nothing changed: the cached text as it was
    ];
    const seen = new Set<string>();
    for (const step of steps) {
      await step(ours);
      await step(twin);
      const text = await ours.render();
      expect(text).toBe(await twin.registry.metrics());
      seen.add(text);
    }
    expect(seen.size).toBe(steps.length - 1); // every step but the last changed the text
  });

  it('streams the same text in pieces of whole lines, about pieceBytes each, with updates between pieces shown per series', async () => {
    const ours = new PrometheusSink(new Registry(), 'node-a');
    const labels = Array.from({ length: 200 }, (_, i) => Object.freeze({ probe: 'web', target: `198.18.${i >> 8}.${i & 255}:80`, target_kind: 'peer', target_node: `n-${i}` }));
    for (const l of labels) {
      ours.observe('tcpConnectDuration', l, 0.002);
      ours.add('tcpConnects', { ...l, result: 'connected' });
    }
    const whole = await ours.render();
    // The longest series: one histogram's 17 lines (one cut never splits a series).
    const longestSeries = whole.slice(whole.indexOf('netprobe_tcp_connect_duration_seconds_bucket{'), whole.indexOf('netprobe_tcp_connect_duration_seconds_count{')).length + 400; // + its _count line
    expect(longestSeries).toBeGreaterThan(2000);
    expect(longestSeries).toBeLessThan(4200);
    for (const pieceBytes of [1, 100, 4096, 65536]) {
      const pieces: string[] = [];
      for await (const piece of ours.pieces(pieceBytes)) pieces.push(piece);
      expect(pieces.join('')).toBe(whole);
      expect(pieces.every((p) => p.endsWith('\n'))).toBe(true);
      // Every piece but the last reached pieceBytes, and went past it by at most one series (and a separator).
      for (const p of pieces.slice(0, -1)) {
        expect(p.length).toBeGreaterThanOrEqual(Math.min(pieceBytes, whole.length));
        expect(p.length).toBeLessThan(pieceBytes + longestSeries + 2);
      }
      if (pieceBytes === 4096) expect(pieces.length).toBeGreaterThan(whole.length / (4096 + longestSeries + 2));
    }
    // An update between two pieces: the series rendered later shows it, and the text parses as a whole.
    const stream = ours.pieces(4096);
    const first = (await stream.next()).value as string;
    const last = labels.at(-1)!;
    ours.add('tcpConnects', { ...last, result: 'connected' }, 41);
    let rest = '';
    for await (const piece of stream) rest += piece;
    expect(first).not.toContain(`target_node="n-199",result="connected"} 42`);
    expect(first + rest).toContain(`target_node="n-199",result="connected"} 42\n`);
    expect(first + rest).toBe(await ours.render());
  });
});
