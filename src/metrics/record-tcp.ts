import { TCP_OUTCOMES, TLS_OUTCOMES, type TcpOptions, type TcpResult, type TcpTarget } from '../probes/tcp/types.ts';
import type { Labels, MetricSink } from './catalog.ts';
import { fixedLabels, perTarget } from './labels.ts';
import type { KindRecorder } from './recorder.ts';

function targetLabels(probe: string, target: TcpTarget): Labels {
  return { probe, target: target.label, target_kind: target.kind, target_node: target.node };
}

/** The target's labels and one label object per result, built once per (probe, target). */
const labelsOf = perTarget((probe, target) => {
  const base = targetLabels(probe, target as TcpTarget);
  const byResult: Record<string, Labels> = {};
  for (const result of TCP_OUTCOMES) byResult[result] = fixedLabels({ ...base, result });
  return { base: fixedLabels(base), byResult };
});

// Targets whose five result series already exist in a sink. Keyed by the
// sink so a fresh sink (tests, a new exporter) starts over; weak so neither
// sinks nor removed targets are kept alive by it.
const initialized = new WeakMap<MetricSink, WeakSet<TcpTarget>>();

/** Turns one paping run into instrument updates: one count per connect, one observation per success. */
export const tcpRecorder: KindRecorder<TcpTarget, TcpOptions, TcpResult> = {
  record(sink, probe, target, options, result) {
    const { base, byResult } = labelsOf(probe, target);
    let seen = initialized.get(sink);
    if (!seen) initialized.set(sink, (seen = new WeakSet()));
    const counts: Record<string, number> = {};
    if (!seen.has(target)) {
      // Every result series exists from the first run (adding 0), so
      // rate(...{result="timeout"}) is 0 rather than absent on a healthy
      // target; later runs touch only the results that happened (cheaper at
      // a thousand targets a second).
      // TLS results exist only for probes that do a handshake.
      for (const outcome of TCP_OUTCOMES) if (options.tls || !TLS_OUTCOMES.includes(outcome)) counts[outcome] = 0;
      seen.add(target);
    }
    for (const connect of result.connects) {
      counts[connect.outcome] = (counts[connect.outcome] ?? 0) + 1;
      if (connect.outcome === 'connected') sink.observe('tcpConnectDuration', base, connect.seconds);
      if (connect.tlsSeconds !== undefined) sink.observe('tlsHandshakeDuration', base, connect.tlsSeconds);
    }
    for (const outcome in counts) sink.add('tcpConnects', byResult[outcome] ?? { ...base, result: outcome }, counts[outcome]);
  },
  series(probe, target) {
    const match = targetLabels(probe, target);
    return [
      { key: 'tcpConnectDuration', match },
      { key: 'tcpConnects', match },
      { key: 'tlsHandshakeDuration', match },
    ];
  },
};
