// Turns one ICMP run into instrument updates. Per-size series come from the
// walk of the configured `sizes` only (a bounded, operator-chosen set): the
// search tries sizes that change from run to run, which would make `size` an
// unbounded label, so the search shows up in the path_mtu gauges instead.
import type { IcmpOptions, IcmpResult, IcmpTarget } from '../probes/icmp/types.ts';
import type { Labels, MetricSink } from './catalog.ts';
import { fixedLabels, perTarget } from './labels.ts';
import type { KindRecorder } from './recorder.ts';

function pathLabels(probe: string, target: IcmpTarget): Labels {
  return { probe, target: target.label, target_node: target.node };
}

/** Path labels and per-size labels, built once per (probe, target). */
const labelsOf = perTarget((probe, target) => ({
  path: fixedLabels(pathLabels(probe, target as IcmpTarget)),
  bySize: new Map<number, Labels>(),
}));

// Targets whose path gauges are set in a sink: a target that never answers
// then costs no removal scan per run. Weak, per sink, like record-tcp.ts.
const gaugesSet = new WeakMap<MetricSink, WeakSet<IcmpTarget>>();

export const icmpRecorder: KindRecorder<IcmpTarget, IcmpOptions, IcmpResult> = {
  record(sink, probe, target, options, result) {
    const { path, bySize } = labelsOf(probe, target);
    for (const s of result.sizes) {
      if (!options.sizes.includes(s.size)) continue; // defensive: the walk only sends configured sizes
      let labels = bySize.get(s.size);
      if (labels === undefined) bySize.set(s.size, (labels = fixedLabels({ ...path, size: String(s.size) })));
      // Requests cancelled in flight were neither answered nor lost: not counted,
      // so 1 - replies/requests stays a true loss ratio.
      sink.add('icmpRequests', labels, s.sent - s.abandoned);
      sink.add('icmpReplies', labels, s.replies);
      for (const rtt of s.rttSeconds) sink.observe('icmpRtt', labels, rtt);
    }
    if (options.expectedMtu !== null) sink.set('pathMtuExpected', path, options.expectedMtu);
    // A route that vanished leaves the last known value: the interface did not change MTU.
    if (result.interfaceMtu !== null) sink.set('interfaceMtu', path, result.interfaceMtu);
    let set = gaugesSet.get(sink);
    if (!set) gaugesSet.set(sink, (set = new WeakSet()));
    if (result.ceilingBytes !== null) {
      sink.set('pathMtu', path, result.ceilingBytes);
      sink.set('pathMtuBlackhole', path, result.blackhole ? 1 : 0);
      set.add(target);
    } else if (set.has(target)) {
      // Nothing answered: the path MTU is unknown, not 0 (probe_success tells the outage).
      void sink.remove('pathMtu', path);
      void sink.remove('pathMtuBlackhole', path);
      set.delete(target);
    }
  },
  series(probe, target) {
    const match = pathLabels(probe, target);
    return [
      { key: 'icmpRtt', match },
      { key: 'icmpRequests', match },
      { key: 'icmpReplies', match },
      { key: 'pathMtu', match },
      { key: 'pathMtuExpected', match },
      { key: 'pathMtuBlackhole', match },
      { key: 'interfaceMtu', match },
    ];
  },
};
