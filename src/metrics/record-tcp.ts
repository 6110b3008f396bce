import { TCP_OUTCOMES, type TcpOptions, type TcpResult, type TcpTarget } from '../probes/tcp/types.ts';
import type { Labels, MetricSink } from './catalog.ts';
import type { KindRecorder } from './recorder.ts';

function targetLabels(probe: string, target: TcpTarget): Labels {
  return { probe, target: target.label, target_kind: target.kind, target_node: target.node };
}

// Targets whose five result series already exist in a sink. Keyed by the
// sink so a fresh sink (tests, a new exporter) starts over; weak so neither
// sinks nor removed targets are kept alive by it.
const initialized = new WeakMap<MetricSink, WeakSet<TcpTarget>>();

/** Turns one paping run into instrument updates: one count per connect, one observation per success. */
export const tcpRecorder: KindRecorder<TcpTarget, TcpOptions, TcpResult> = {
  record(sink, probe, target, _options, result) {
    const labels = targetLabels(probe, target);
    let seen = initialized.get(sink);
    if (!seen) initialized.set(sink, (seen = new WeakSet()));
    const byOutcome = new Map<string, number>();
    if (!seen.has(target)) {
      // Every result series exists from the first run (adding 0), so
      // rate(...{result="timeout"}) is 0 rather than absent on a healthy
      // target; later runs touch only the results that happened (cheaper at
      // a thousand targets a second).
      for (const outcome of TCP_OUTCOMES) byOutcome.set(outcome, 0);
      seen.add(target);
    }
    for (const connect of result.connects) {
      byOutcome.set(connect.outcome, (byOutcome.get(connect.outcome) ?? 0) + 1);
      if (connect.outcome === 'connected') sink.observe('tcpConnectDuration', labels, connect.seconds);
    }
    for (const [result, count] of byOutcome) sink.add('tcpConnects', { ...labels, result }, count);
  },
  series(probe, target) {
    const match = targetLabels(probe, target);
    return [
      { key: 'tcpConnectDuration', match },
      { key: 'tcpConnects', match },
    ];
  },
};
