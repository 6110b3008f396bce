import { TCP_OUTCOMES, type TcpOptions, type TcpResult, type TcpTarget } from '../probes/tcp/types.ts';
import type { Labels } from './catalog.ts';
import type { KindRecorder } from './recorder.ts';

function targetLabels(probe: string, target: TcpTarget): Labels {
  return { probe, target: target.label, target_kind: target.kind, target_node: target.node };
}

/** Turns one paping run into instrument updates: one count per connect, one observation per success. */
export const tcpRecorder: KindRecorder<TcpTarget, TcpOptions, TcpResult> = {
  record(sink, probe, target, _options, result) {
    const labels = targetLabels(probe, target);
    const byOutcome = new Map<string, number>(TCP_OUTCOMES.map((o) => [o, 0]));
    for (const connect of result.connects) {
      byOutcome.set(connect.outcome, (byOutcome.get(connect.outcome) ?? 0) + 1);
      if (connect.outcome === 'connected') sink.observe('tcpConnectDuration', labels, connect.seconds);
    }
    // Every result series exists from the first run (adding 0), so
    // rate(...{result="timeout"}) is 0 rather than absent on a healthy target.
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
