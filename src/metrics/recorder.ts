// Maps a finished probe run to instrument updates: the kind-specific recorder
// plus the series every probe has (success, runs). Recorders are the only
// place that knows both a result type and metric names.
import type { KindName } from '../probes/kind-names.ts';
import type { TargetInfo } from '../probes/types.ts';
import type { InstrumentKey, Labels, MetricSink } from './catalog.ts';
import { fixedLabels, interned, perTarget } from './labels.ts';
import { dnsRecorder } from './record-dns.ts';
import { icmpRecorder } from './record-icmp.ts';
import { tcpRecorder } from './record-tcp.ts';

export interface SeriesMatch {
  key: InstrumentKey;
  match: Labels;
}

export interface KindRecorder<Target extends TargetInfo, Options, Result> {
  record(sink: MetricSink, probe: string, target: Target, options: Options, result: Result): void;
  /** Series this target owns, removed when the target goes away (no stale series). */
  series(probe: string, target: Target): SeriesMatch[];
  /** Extra labels of netprobe_probe_success (DNS: name, name_class); absent labels are "". */
  successLabels?(target: Target): Labels;
  /** Labels that come from the options rather than the target (DNS: transport, mode). */
  optionLabels?(options: Options): Labels;
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

/**
 * Probe kind -> recorder: the kind table's view for metrics. `satisfies`
 * makes a missing or extra kind a compile error; the exported type is keyed
 * by string because series bookkeeping keeps a kind as a plain label value.
 */
export const RECORDERS: Readonly<Record<string, AnyRecorder>> = {
  dns: dnsRecorder,
  tcp: tcpRecorder,
  icmp: icmpRecorder,
} satisfies Record<KindName, AnyRecorder>;

// The success labels depend on the recorder too (DNS adds name_class), so one cache per recorder.
const successLabelCaches = new WeakMap<AnyRecorder, (probe: string, target: TargetInfo) => Labels>();
const noRecorder = {} as AnyRecorder;
const runLabels = interned();

function successLabels(recorder: AnyRecorder | undefined, probe: string, target: TargetInfo): Labels {
  const key = recorder ?? noRecorder;
  let labelsOf = successLabelCaches.get(key);
  if (!labelsOf) {
    labelsOf = perTarget((p, t) =>
      fixedLabels({ probe: p, target: t.label, target_kind: t.kind, name: '', name_class: '', ...recorder?.successLabels?.(t) }),
    );
    successLabelCaches.set(key, labelsOf);
  }
  return labelsOf(probe, target);
}

export function recordRun(sink: MetricSink, recorder: AnyRecorder | undefined, run: FinishedRun): void {
  recorder?.record(sink, run.probe, run.target, run.options, run.result);
  sink.set('probeSuccess', successLabels(recorder, run.probe, run.target), run.success ? 1 : 0);
  const result = run.success ? 'success' : run.reason;
  sink.add('probeRuns', runLabels(run.probe, result, () => ({ probe: run.probe, result })));
}

export function seriesOf(recorder: AnyRecorder | undefined, probe: string, target: TargetInfo): SeriesMatch[] {
  return [
    { key: 'probeSuccess', match: { probe, target: target.label, target_kind: target.kind, ...recorder?.successLabels?.(target) } },
    ...(recorder?.series(probe, target) ?? []),
  ];
}

/**
 * What a target's series are labelled with beyond its key. A reload that
 * keeps the key but changes this (target_kind, node, DNS mode...) removes the
 * old series, which would otherwise stay forever beside the new ones.
 */
export function seriesIdentity(recorder: AnyRecorder | undefined, target: TargetInfo, options: unknown): string {
  return JSON.stringify([target, recorder?.optionLabels?.(options) ?? null]);
}

/** Series a probe owns as a whole, removed with the probe (not with one of its targets). */
export function probeSeries(probe: string): SeriesMatch[] {
  return (['probeRuns', 'probeSkipped', 'scheduleLag', 'targets', 'pathTraces'] as const).map((key) => ({ key, match: { probe } }));
}

/** Forget the cached label objects of a removed probe. */
export function forgetProbe(probe: string): void {
  runLabels.forget(probe);
}
