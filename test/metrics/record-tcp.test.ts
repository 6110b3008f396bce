import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { PrometheusSink } from '../../src/exporters/prometheus.ts';
import { tcpRecorder } from '../../src/metrics/record-tcp.ts';
import { tcpTarget } from '../../src/probes/tcp/targets.ts';
import { summarizeRun } from '../../src/probes/tcp/run.ts';
import type { TcpConnectResult } from '../../src/probes/tcp/types.ts';

const options = { count: 4, intervalMs: 0, timeoutMs: 1000 };
const target = tcpTarget('198.18.0.2', 8080, 'peer', 'node-b');

function connect(seq: number, outcome: TcpConnectResult['outcome'], seconds: number, detail?: string): TcpConnectResult {
  return { seq, outcome, seconds, address: '198.18.0.2', ...(detail ? { detail } : {}) };
}

describe('tcpRecorder', () => {
  it('counts connects by result, observes only successful connect times, never errno as a label', async () => {
    const sink = new PrometheusSink(new Registry(), 'node-a');
    const result = summarizeRun(
      [connect(1, 'connected', 0.002), connect(2, 'timeout', 1), connect(3, 'connected', 0.004), connect(4, 'error', 0.001, 'EACCES')],
      false,
      3.1,
    );
    tcpRecorder.record(sink, 'web', target, options, result);
    const text = await sink.render();
    const base = 'source_node="node-a",probe="web",target="198.18.0.2:8080",target_kind="peer",target_node="node-b"';
    for (const [outcome, n] of [['connected', 2], ['timeout', 1], ['error', 1], ['refused', 0], ['unreachable', 0]] as const) {
      expect(text).toContain(`netprobe_tcp_connects_total{${base},result="${outcome}"} ${n}\n`);
    }
    expect(text).toContain(`netprobe_tcp_connect_duration_seconds_count{${base}} 2\n`);
    expect(text).toContain(`netprobe_tcp_connect_duration_seconds_sum{${base}} 0.006\n`);
    expect(text).toContain(`netprobe_tcp_connect_duration_seconds_bucket{le="0.0025",${base}} 1\n`);
    expect(text).not.toContain('EACCES');
  });

  it('names every series of a target so a removed target leaves none behind', async () => {
    const sink = new PrometheusSink(new Registry(), 'node-a');
    const other = tcpTarget('198.18.0.3', 8080, 'peer', 'node-c');
    const ok = summarizeRun([connect(1, 'connected', 0.001)], false, 0.001);
    tcpRecorder.record(sink, 'web', target, options, ok);
    tcpRecorder.record(sink, 'web', other, options, ok);
    for (const { key, match } of tcpRecorder.series('web', target)) await sink.remove(key, match);
    const text = await sink.render();
    expect(text).not.toContain('target="198.18.0.2:8080"');
    expect(text).toContain('netprobe_tcp_connects_total{source_node="node-a",probe="web",target="198.18.0.3:8080"');
  });
});

describe('tcpRecorder across runs', () => {
  it('keeps counting after the first run, touching only the results that happened', async () => {
    const sink = new PrometheusSink(new Registry(), 'node-a');
    const run = (outcome: TcpConnectResult['outcome']) => summarizeRun([connect(1, outcome, 0.001)], false, 0.001);
    tcpRecorder.record(sink, 'web', target, options, run('connected'));
    tcpRecorder.record(sink, 'web', target, options, run('refused'));
    tcpRecorder.record(sink, 'web', target, options, run('refused'));
    const text = await sink.render();
    const base = 'source_node="node-a",probe="web",target="198.18.0.2:8080",target_kind="peer",target_node="node-b"';
    expect(text).toContain(`netprobe_tcp_connects_total{${base},result="connected"} 1\n`);
    expect(text).toContain(`netprobe_tcp_connects_total{${base},result="refused"} 2\n`);
    expect(text).toContain(`netprobe_tcp_connects_total{${base},result="timeout"} 0\n`);
    // A new sink starts its series from zero again.
    const fresh = new PrometheusSink(new Registry(), 'node-a');
    tcpRecorder.record(fresh, 'web', target, options, run('timeout'));
    expect(await fresh.render()).toContain(`netprobe_tcp_connects_total{${base},result="unreachable"} 0\n`);
  });
});
