// Turns one ICMP run into instrument updates. Per-size series come from the
// walk of the configured `sizes` only (a bounded, operator-chosen set): the
// search tries sizes that change from run to run, which would make `size` an
// unbounded label, so the search shows up in the path_mtu gauges instead.
import type { IcmpOptions, IcmpResult, IcmpTarget } from '../probes/icmp/types.ts';
import type { Labels } from './catalog.ts';
import type { KindRecorder } from './recorder.ts';

function pathLabels(probe: string, target: IcmpTarget): Labels {
  return { probe, target: target.label, target_node: target.node };
}

export const icmpRecorder: KindRecorder<IcmpTarget, IcmpOptions, IcmpResult> = {
  record(sink, probe, target, options, result) {
    const path = pathLabels(probe, target);
    const configured = new Set(options.sizes);
    for (const s of result.sizes) {
      if (!configured.has(s.size)) continue; // defensive: the walk only sends configured sizes
      const labels = { ...path, size: String(s.size) };
      // Requests cancelled in flight were neither answered nor lost: not counted,
      // so 1 - replies/requests stays a true loss ratio.
      sink.add('icmpRequests', labels, s.sent - s.abandoned);
      sink.add('icmpReplies', labels, s.replies);
      for (const rtt of s.rttSeconds) sink.observe('icmpRtt', labels, rtt);
    }
    if (options.expectedMtu !== null) sink.set('pathMtuExpected', path, options.expectedMtu);
    if (result.ceilingBytes !== null) {
      sink.set('pathMtu', path, result.ceilingBytes);
      sink.set('pathMtuBlackhole', path, result.blackhole ? 1 : 0);
    } else {
      // Nothing answered: the path MTU is unknown, not 0 (probe_success tells the outage).
      void sink.remove('pathMtu', path);
      void sink.remove('pathMtuBlackhole', path);
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
    ];
  },
};
