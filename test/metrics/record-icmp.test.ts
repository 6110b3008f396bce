import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { PrometheusSink } from '../../src/exporters/prometheus.ts';
import { icmpRecorder } from '../../src/metrics/record-icmp.ts';
import { icmpTarget } from '../../src/probes/icmp/targets.ts';
import type { IcmpOptions, IcmpResult, SizeStats } from '../../src/probes/icmp/types.ts';

const target = icmpTarget('198.18.2.2', 'peer', 'node-b');
const options: IcmpOptions = {
  sizes: [84, 1500],
  count: 3,
  intervalMs: 0,
  timeoutMs: 1000,
  search: { min: 68, max: 9000, parallel: 8, attempts: 2 },
  expectedMtu: 1500,
  socket: 'raw',
};

function stats(size: number, over: Partial<SizeStats>): SizeStats {
  return { size, sent: 0, replies: 0, rttSeconds: [], timeouts: 0, fragNeeded: 0, localTooBig: 0, errors: 0, abandoned: 0, ...over };
}

function result(over: Partial<IcmpResult>): IcmpResult {
  return {
    reason: 'mtu_below_expected',
    address: '198.18.2.2',
    socket: 'raw',
    ceilingBytes: 1400,
    firstFailingBytes: 1401,
    expectedBytes: 1500,
    blackhole: false,
    fragNeeded: [{ hop: '198.18.1.2', mtu: 1400 }],
    localMtu: 1500,
    probesSent: 12,
    interfaceName: 'eth0',
    interfaceMtu: 1500,
    searched: true,
    sizes: [stats(84, { sent: 3, replies: 3, rttSeconds: [0.001, 0.002, 0.003] }), stats(1500, { sent: 3, fragNeeded: 3 })],
    searchSizes: [stats(1344, { sent: 2, replies: 1, abandoned: 1, rttSeconds: [0.001] }), stats(1400, { sent: 2, replies: 2, rttSeconds: [0.001, 0.001] })],
    durationSeconds: 0.01,
    ...over,
  };
}

const base = 'source_node="node-a",probe="mtu",target="198.18.2.2",target_node="node-b"';

describe('icmpRecorder', () => {
  it('per-size counters and RTTs from the configured sizes, path gauges from the search', async () => {
    const sink = new PrometheusSink(new Registry(), 'node-a');
    icmpRecorder.record(sink, 'mtu', target, options, result({}));
    const text = await sink.render();
    expect(text).toContain(`netprobe_icmp_requests_total{${base},size="84"} 3\n`);
    expect(text).toContain(`netprobe_icmp_replies_total{${base},size="84"} 3\n`);
    expect(text).toContain(`netprobe_icmp_requests_total{${base},size="1500"} 3\n`);
    expect(text).toContain(`netprobe_icmp_replies_total{${base},size="1500"} 0\n`);
    expect(text).toContain(`netprobe_icmp_rtt_seconds_count{${base},size="84"} 3\n`);
    expect(text).toContain(`netprobe_icmp_rtt_seconds_bucket{le="0.001",${base},size="84"} 1\n`);
    expect(text).toContain(`netprobe_path_mtu_bytes{${base}} 1400\n`);
    expect(text).toContain(`netprobe_path_mtu_expected_bytes{${base}} 1500\n`);
    expect(text).toContain(`netprobe_path_mtu_blackhole{${base}} 0\n`);
    // The pod's own interface (1500) above the measured ceiling (1400): F4 evidence.
    expect(text).toContain(`netprobe_interface_mtu_bytes{${base}} 1500\n`);
    // Search candidates never become `size` label values.
    expect(text).not.toContain('size="1344"');
    expect(text).not.toContain('size="1400"');
  });

  it('requests cancelled in flight are not counted as requests (no false loss)', async () => {
    const sink = new PrometheusSink(new Registry(), 'node-a');
    const r = result({ sizes: [stats(84, { sent: 3, replies: 2, abandoned: 1, rttSeconds: [0.001, 0.001] })] });
    icmpRecorder.record(sink, 'mtu', target, { ...options, sizes: [84] }, r);
    const text = await sink.render();
    expect(text).toContain(`netprobe_icmp_requests_total{${base},size="84"} 2\n`);
  });

  it('black hole -> gauge 1; nothing answered -> path gauges removed, not 0', async () => {
    const sink = new PrometheusSink(new Registry(), 'node-a');
    icmpRecorder.record(sink, 'mtu', target, options, result({ blackhole: true, reason: 'blackhole', fragNeeded: [] }));
    expect(await sink.render()).toContain(`netprobe_path_mtu_blackhole{${base}} 1\n`);
    icmpRecorder.record(sink, 'mtu', target, options, result({ ceilingBytes: null, firstFailingBytes: null, reason: 'no_reply' }));
    await new Promise((r) => setTimeout(r, 10)); // removal is asynchronous in the prom-client sink
    const text = await sink.render();
    expect(text).not.toContain(`netprobe_path_mtu_bytes{${base}}`);
    expect(text).not.toContain(`netprobe_path_mtu_blackhole{${base}}`);
    expect(text).toContain(`netprobe_path_mtu_expected_bytes{${base}} 1500\n`);
  });

  it('names every series of a target so a removed target leaves none behind', async () => {
    const sink = new PrometheusSink(new Registry(), 'node-a');
    const other = icmpTarget('198.18.3.3', 'peer', 'node-c');
    icmpRecorder.record(sink, 'mtu', target, options, result({}));
    icmpRecorder.record(sink, 'mtu', other, options, result({ address: '198.18.3.3' }));
    for (const { key, match } of icmpRecorder.series('mtu', target)) await sink.remove(key, match);
    const text = await sink.render();
    expect(text).not.toContain('target="198.18.2.2"');
    expect(text).toContain('target="198.18.3.3"');
  });
});

describe('icmpRecorder interface MTU', () => {
  it('is not exported when the route is unknown', async () => {
    const sink = new PrometheusSink(new Registry(), 'node-a');
    icmpRecorder.record(sink, 'mtu', target, options, result({ interfaceName: null, interfaceMtu: null }));
    expect(await sink.render()).not.toContain('netprobe_interface_mtu_bytes{');
  });
});
