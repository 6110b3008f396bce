// Maps a finished probe run to instrument updates: the kind-specific recorder
// plus the series every probe has (success, runs). Recorders are the only
// place that knows both a result type and metric names.
import type { TargetInfo } from '../probes/types.ts';
import type { InstrumentKey, Labels, MetricSink } from './catalog.ts';

export interface SeriesMatch {
  key: InstrumentKey;
  match: Labels;
}

export interface KindRecorder<Target extends TargetInfo, Options, Result> {
  record(sink: MetricSink, probe: string, target: Target, options: Options, result: Result): void;
  /** Series this target owns, removed when the target goes away (no stale series). */
  series(probe: string, target: Target): SeriesMatch[];
  /** Extra labels of netprobe_probe_success (DNS: name_class); absent labels are "". */
  successLabels?(target: Target): Labels;
}

export interface FinishedRun {
  probe: string;
  target: TargetInfo;
  options: unknown;
  result: unknown;
  success: boolean;
  /** Bounded: "success" or a reason from the kind's fixed set. */
  reason: string;
}

// biome-ignore lint/suspicious/noExplicitAny: a table of recorders of different result types
export type AnyRecorder = KindRecorder<any, any, any>;

export function recordRun(sink: MetricSink, recorder: AnyRecorder | undefined, run: FinishedRun): void {
  recorder?.record(sink, run.probe, run.target, run.options, run.result);
  const labels = { probe: run.probe, target: run.target.label, target_kind: run.target.kind, name_class: '' };
  sink.set('probeSuccess', { ...labels, ...recorder?.successLabels?.(run.target) }, run.success ? 1 : 0);
  sink.add('probeRuns', { probe: run.probe, result: run.success ? 'success' : run.reason });
}

export function seriesOf(recorder: AnyRecorder | undefined, probe: string, target: TargetInfo): SeriesMatch[] {
  return [
    { key: 'probeSuccess', match: { probe, target: target.label, target_kind: target.kind, ...recorder?.successLabels?.(target) } },
    ...(recorder?.series(probe, target) ?? []),
  ];
}
