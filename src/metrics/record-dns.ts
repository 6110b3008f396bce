import type { DnsOptions, DnsResult, DnsTarget, MismatchReason } from '../probes/dns/types.ts';
import type { Labels } from './catalog.ts';
import type { KindRecorder } from './recorder.ts';

/** Turns one DNS lookup result into instrument updates. */
export const dnsRecorder: KindRecorder<DnsTarget, DnsOptions, DnsResult> = {
  record(sink, probe, target, options, result) {
    const lookup: Labels = {
      probe,
      server: target.label,
      name: target.name,
      target_kind: target.kind,
      transport: options.transport,
      mode: options.mode,
      name_class: target.nameClass,
    };
    for (const query of result.queries) {
      const labels = { ...lookup, qtype: query.qtype };
      sink.observe('dnsLookupDuration', labels, query.durationSeconds);
      sink.add('dnsLookups', { ...labels, result: query.outcome });
    }
    // Add zero too, so "no stalls" is a 0 series and not an absent one.
    sink.add('dnsStalled', lookup, result.stalled ? 1 : 0);
    sink.add('dnsAttemptTimeouts', lookup, result.attemptTimeouts);
    sink.observe('dnsQueriesPerLookup', lookup, result.candidates.reduce((n, c) => n + c.queries.length, 0));
    for (const [reason, count] of Object.entries(result.mismatched) as [MismatchReason, number][]) {
      if (count > 0) sink.add('dnsMismatched', { probe, server: target.label, name: target.name, reason }, count);
    }
    if (result.tcpFallbacks > 0) sink.add('dnsTcpFallbacks', { probe, server: target.label, name: target.name }, result.tcpFallbacks);
  },
  successLabels: (target) => ({ name: target.name, name_class: target.nameClass }),
  optionLabels: (options) => ({ transport: options.transport, mode: options.mode }),
  series(probe, target) {
    const keys = ['dnsLookupDuration', 'dnsLookups', 'dnsStalled', 'dnsAttemptTimeouts', 'dnsMismatched', 'dnsTcpFallbacks', 'dnsQueriesPerLookup'] as const;
    // Every DNS series carries server and name, so this match is exactly this target's.
    return keys.map((key) => ({ key, match: { probe, server: target.label, name: target.name } }));
  },
};
