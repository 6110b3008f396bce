import type { DnsOptions, DnsResult, DnsTarget, MismatchReason } from '../probes/dns/types.ts';
import type { Labels } from './catalog.ts';
import { fixedLabels, perTarget } from './labels.ts';
import type { KindRecorder } from './recorder.ts';

interface QtypeLabels {
  labels: Labels;
  /** Outcome -> the labels of netprobe_dns_lookups_total (at most the outcome list, per qtype). */
  byOutcome: Map<string, Labels>;
}

interface LookupLabels {
  /** Carries transport and mode, checked against the options of each run. */
  lookup: Labels;
  byQtype: Map<string, QtypeLabels>;
}

// Frozen label objects per (probe, target), so the sink finds a series by
// object identity instead of building a key from nine label values for each
// of the five to seven updates of every lookup. Transport and mode come from
// the options: a reload that changes them rebuilds the entry.
const cache = perTarget((): { entry?: LookupLabels } => ({}));

function lookupLabels(probe: string, target: DnsTarget, options: DnsOptions): LookupLabels {
  const slot = cache(probe, target);
  const hit = slot.entry;
  if (hit !== undefined && hit.lookup.transport === options.transport && hit.lookup.mode === options.mode) return hit;
  const lookup = fixedLabels({
    probe,
    server: target.label,
    name: target.name,
    target_kind: target.kind,
    transport: options.transport,
    mode: options.mode,
    name_class: target.nameClass,
  });
  return (slot.entry = { lookup, byQtype: new Map() });
}

function qtypeLabels(entry: LookupLabels, qtype: string): QtypeLabels {
  let q = entry.byQtype.get(qtype);
  if (q === undefined) entry.byQtype.set(qtype, (q = { labels: fixedLabels({ ...entry.lookup, qtype }), byOutcome: new Map() }));
  return q;
}

function outcomeLabels(q: QtypeLabels, outcome: string): Labels {
  let labels = q.byOutcome.get(outcome);
  if (labels === undefined) q.byOutcome.set(outcome, (labels = fixedLabels({ ...q.labels, result: outcome })));
  return labels;
}

/** Turns one DNS lookup result into instrument updates. */
export const dnsRecorder: KindRecorder<DnsTarget, DnsOptions, DnsResult> = {
  record(sink, probe, target, options, result) {
    const entry = lookupLabels(probe, target, options);
    const { lookup } = entry;
    for (const query of result.queries) {
      const q = qtypeLabels(entry, query.qtype);
      sink.observe('dnsLookupDuration', q.labels, query.durationSeconds);
      sink.add('dnsLookups', outcomeLabels(q, query.outcome));
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
