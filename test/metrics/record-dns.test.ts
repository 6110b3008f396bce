// src/metrics/record-dns.ts: one lookup result -> the DNS series, through a
// real prom-client registry, checked line by line in the exposition.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { PrometheusSink } from '../../src/exporters/prometheus.ts';
import { dnsRecorder } from '../../src/metrics/record-dns.ts';
import { recordRun, seriesOf } from '../../src/metrics/recorder.ts';
import type { Labels, MetricSink } from '../../src/metrics/catalog.ts';
import type { DnsOptions, DnsOutcome, DnsResult, DnsTarget } from '../../src/probes/dns/types.ts';

const target: DnsTarget = {
  id: 'udp://10.96.0.10:53/kubernetes.default.svc.cluster.local',
  label: '10.96.0.10:53',
  kind: 'service_vip',
  node: '',
  server: { host: '10.96.0.10', port: 53 },
  name: 'kubernetes.default.svc.cluster.local',
  nameClass: 'cluster',
};
const options: DnsOptions = { transport: 'udp', mode: 'parallel', qtypes: ['A', 'AAAA'], timeoutMs: 5000, attempts: 2, tcpFallback: true, search: [], ndots: 1 };

function lookup(a: DnsOutcome, aaaa: DnsOutcome, extra: Partial<DnsResult> = {}): DnsResult {
  const query = (qtype: string, outcome: DnsOutcome, durationSeconds: number) => ({ qtype, outcome, rcode: outcome === 'success' ? 'NOERROR' : '', durationSeconds, attempts: 1, answers: [] });
  const queries = [query('A', a, 0.002), query('AAAA', aaaa, 5.004)];
  return {
    outcome: a === 'success' && aaaa === 'success' ? 'success' : aaaa,
    durationSeconds: 5.004,
    stalled: false,
    attemptTimeouts: 0,
    mismatched: {},
    tcpFallbacks: 0,
    sender: 'sendmmsg',
    queriedName: target.name,
    queries,
    candidates: [{ name: target.name, outcome: 'success', durationSeconds: 5.004, queries: queries.map(({ qtype, outcome, rcode }) => ({ qtype, outcome, rcode })) }],
    ...extra,
  };
}

const lookupLabels =
  'source_node="node-a",probe="coredns",server="10.96.0.10:53",name="kubernetes.default.svc.cluster.local",target_kind="service_vip",transport="udp",mode="parallel",name_class="cluster"';

describe('dnsRecorder', () => {
  it('per query type: a duration and a count by outcome; per lookup: stalls, attempt timeouts, queries sent', async () => {
    const sink = new PrometheusSink(new Registry(), 'node-a');
    dnsRecorder.record(sink, 'coredns', target, options, lookup('success', 'success', { stalled: true, attemptTimeouts: 1 }));
    dnsRecorder.record(sink, 'coredns', target, options, lookup('success', 'nxdomain'));
    const text = await sink.render();
    expect(text).toContain(`netprobe_dns_lookups_total{${lookupLabels},qtype="A",result="success"} 2\n`);
    expect(text).toContain(`netprobe_dns_lookups_total{${lookupLabels},qtype="AAAA",result="success"} 1\n`);
    expect(text).toContain(`netprobe_dns_lookups_total{${lookupLabels},qtype="AAAA",result="nxdomain"} 1\n`);
    expect(text).toContain(`netprobe_dns_lookup_duration_seconds_count{${lookupLabels},qtype="AAAA"} 2\n`);
    expect(text).toContain(`netprobe_dns_lookup_duration_seconds_sum{${lookupLabels},qtype="A"} 0.004\n`);
    expect(text).toContain(`netprobe_dns_stalled_lookups_total{${lookupLabels}} 1\n`);
    expect(text).toContain(`netprobe_dns_attempt_timeouts_total{${lookupLabels}} 1\n`);
    expect(text).toContain(`netprobe_dns_queries_per_lookup_sum{${lookupLabels}} 4\n`);
  });

  it('a healthy lookup still makes the stall and timeout series (0, not absent); mismatches and TCP fallbacks only when they happen', async () => {
    const sink = new PrometheusSink(new Registry(), 'node-a');
    dnsRecorder.record(sink, 'coredns', target, options, lookup('success', 'success'));
    let text = await sink.render();
    expect(text).toContain(`netprobe_dns_stalled_lookups_total{${lookupLabels}} 0\n`);
    expect(text).toContain(`netprobe_dns_attempt_timeouts_total{${lookupLabels}} 0\n`);
    expect(text).not.toMatch(/^netprobe_dns_mismatched_responses_total\{/m);
    expect(text).not.toMatch(/^netprobe_dns_tcp_fallbacks_total\{/m);
    dnsRecorder.record(sink, 'coredns', target, options, lookup('success', 'success', { mismatched: { wrong_id: 2, wrong_source: 0 }, tcpFallbacks: 1 }));
    text = await sink.render();
    const short = 'source_node="node-a",probe="coredns",server="10.96.0.10:53",name="kubernetes.default.svc.cluster.local"';
    expect(text).toContain(`netprobe_dns_mismatched_responses_total{${short},reason="wrong_id"} 2\n`);
    expect(text).not.toContain('reason="wrong_source"');
    expect(text).toContain(`netprobe_dns_tcp_fallbacks_total{${short}} 1\n`);
  });

  it('probe success carries name and name_class; the error text is never a label', async () => {
    const sink = new PrometheusSink(new Registry(), 'node-a');
    const failed = lookup('timeout', 'timeout', { error: 'A: no answer after 2 attempts' });
    recordRun(sink, dnsRecorder, { probe: 'coredns', target, options, result: failed, success: false, reason: 'timeout' });
    const text = await sink.render();
    expect(text).toContain(
      'netprobe_probe_success{source_node="node-a",probe="coredns",target="10.96.0.10:53",target_kind="service_vip",name="kubernetes.default.svc.cluster.local",name_class="cluster"} 0\n',
    );
    expect(text).not.toContain('no answer after');
  });

  it('names every series of a target, so a removed name leaves none behind and another name keeps its own', async () => {
    const sink = new PrometheusSink(new Registry(), 'node-a');
    const other: DnsTarget = { ...target, id: 'udp://10.96.0.10:53/example.com', name: 'example.com', nameClass: 'external' };
    const busy = lookup('success', 'success', { mismatched: { wrong_id: 1 }, tcpFallbacks: 1, stalled: true });
    for (const t of [target, other]) recordRun(sink, dnsRecorder, { probe: 'coredns', target: t, options, result: busy, success: true, reason: 'success' });
    for (const { key, match } of seriesOf(dnsRecorder, 'coredns', target)) await sink.remove(key, match);
    const text = await sink.render();
    expect(text).not.toContain('name="kubernetes.default.svc.cluster.local"');
    expect(text).toContain('netprobe_dns_tcp_fallbacks_total{source_node="node-a",probe="coredns",server="10.96.0.10:53",name="example.com"} 1\n');
    expect(text).toMatch(/^netprobe_probe_success\{.*name="example\.com".*\} 1$/m);
  });

  it('reuses one frozen label object per series across runs (the sink caches by identity), rebuilt when the mode changes', async () => {
    const seen: { key: string; labels: Labels }[] = [];
    const capture: MetricSink = {
      add: (key, labels) => void seen.push({ key, labels }),
      set: (key, labels) => void seen.push({ key, labels }),
      observe: (key, labels) => void seen.push({ key, labels }),
      remove: () => undefined,
    };
    const own: DnsTarget = { ...target };
    dnsRecorder.record(capture, 'coredns', own, options, lookup('success', 'nxdomain'));
    const first = seen.splice(0);
    dnsRecorder.record(capture, 'coredns', own, options, lookup('success', 'nxdomain'));
    const second = seen.splice(0);
    expect(second.map((u) => u.key)).toEqual(first.map((u) => u.key));
    second.forEach((u, i) => {
      expect(Object.isFrozen(u.labels), u.key).toBe(true);
      expect(u.labels, u.key).toBe(first[i]!.labels);
    });
    // The same target object under other options (a reload): new labels, the new mode in them.
    dnsRecorder.record(capture, 'coredns', own, { ...options, mode: 'sequential' }, lookup('success', 'nxdomain'));
    const third = seen.splice(0);
    expect(third.every((u) => u.labels.mode === 'sequential')).toBe(true);
    // And through the real sink: both modes' series, each counted once.
    const sink = new PrometheusSink(new Registry(), 'node-a');
    dnsRecorder.record(sink, 'coredns', own, options, lookup('success', 'success'));
    dnsRecorder.record(sink, 'coredns', own, { ...options, mode: 'sequential' }, lookup('success', 'success'));
    const text = await sink.render();
    expect(text).toContain(`netprobe_dns_lookups_total{${lookupLabels},qtype="A",result="success"} 1\n`);
    expect(text).toContain(`netprobe_dns_lookups_total{${lookupLabels.replace('mode="parallel"', 'mode="sequential"')},qtype="A",result="success"} 1\n`);
  });
});
