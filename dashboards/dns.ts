// DNS: latency with the 5-second resolver-timeout band, stalls, and outcomes by
// server, endpoint, transport, mode and name class.
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { baseDashboard } from './lib/dashboard.ts';
import { GOOD_BAD_RATIO, SEL, heatmap, row, stat, table, timeseries } from './lib/panels.ts';

/** Failed / all queries by `by` (0, not absent, where nothing failed: see the recording rule). */
export function dnsFailureRatio(by: string, extra = ''): string {
  const sel = extra ? `${SEL}, ${extra}` : SEL;
  return `sum by (${by}) (netprobe:dns_query_failures:rate5m{${sel}}) / sum by (${by}) (netprobe:dns_queries:rate5m{${sel}})`;
}

const LATENCY_STEPS = [
  { value: null, color: 'green' },
  { value: 0.5, color: 'orange' },
  // 4.5 s: the bucket edge below the resolver's 5 s timeout; above it is a stall.
  { value: 4.5, color: 'red' },
];

export function dnsDashboard(): dashboard.Dashboard {
  return baseDashboard({
    uid: 'netprobe-dns',
    title: 'netprobe / DNS',
    description: 'DNS lookups from every node: latency (5 s stalls), failures by server, endpoint, transport and mode.',
    probeMetric: 'netprobe_dns_lookups_total',
  })
    .withRow(row('Overview'))
    .withPanel(
      stat({
        title: 'Query failure ratio',
        description: 'Share of DNS queries with no usable answer (timeout, SERVFAIL, REFUSED, malformed, network error) over 5 minutes. NXDOMAIN counts as an answer.',
        unit: 'percentunit',
        width: 6,
        height: 4,
        thresholds: GOOD_BAD_RATIO,
        queries: [{ expr: dnsFailureRatio('cluster') }],
      }),
    )
    .withPanel(
      stat({
        title: 'Stalled lookups',
        description: 'Share of lookups answered only after a resolver timeout: each one is a 5-second hang for a real pod (F1 conntrack race, packet loss).',
        unit: 'percentunit',
        width: 6,
        height: 4,
        thresholds: GOOD_BAD_RATIO,
        queries: [
          { expr: `sum(netprobe:dns_stalled_lookups:rate5m{${SEL}}) / sum(netprobe:dns_lookups:rate5m{${SEL}})` },
        ],
      }),
    )
    .withPanel(
      stat({
        title: 'Worst p99 query time',
        description: 'Highest 99th percentile query time over all selected nodes and servers. Near 5 s means stalls.',
        unit: 's',
        width: 6,
        height: 4,
        thresholds: LATENCY_STEPS,
        queries: [{ expr: `max(netprobe:dns_lookup_duration_seconds:p99_rate5m{${SEL}})` }],
      }),
    )
    .withPanel(
      stat({
        title: 'Lookups per second',
        description: 'Probe lookups per second (A+AAAA sent together count once).',
        unit: 'ops',
        width: 6,
        height: 4,
        queries: [{ expr: `sum(netprobe:dns_lookups:rate5m{${SEL}})` }],
      }),
    )
    .withRow(row('Latency'))
    .withPanel(
      heatmap({
        title: 'Query time heatmap (the 5 s band is the resolver timeout)',
        description:
          'Queries per latency bucket (log scale). The histogram has a dedicated 4.5-5.5 s bucket: a bright band there is lookups that waited for the 5-second resolver timeout and were answered on the retry. A band at 10 s is two timeouts.',
        unit: 's',
        width: 24,
        height: 10,
        logScale: true,
        queries: [
          {
            expr: `sum by (le) (rate(netprobe_dns_lookup_duration_seconds_bucket{${SEL}}[$__rate_interval]))`,
            legend: '{{le}}',
            format: 'heatmap',
          },
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Queries in the 5-second band',
        description: 'Queries per second that took between 4.5 s and 5.5 s: answered on the retry after one 5 s timeout. Should be zero.',
        unit: 'ops',
        queries: [
          {
            expr: `sum by (source_node, server, mode) (rate(netprobe_dns_lookup_duration_seconds_bucket{${SEL}, le="5.5"}[$__rate_interval])) - sum by (source_node, server, mode) (rate(netprobe_dns_lookup_duration_seconds_bucket{${SEL}, le="4.5"}[$__rate_interval]))`,
            legend: '{{source_node}} → {{server}} {{mode}}',
          },
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: 'p99 query time by server',
        description: 'Worst 99th percentile per node, server, transport and mode. Dashed lines: 500 ms (alert threshold) and 4.5 s (stall band).',
        unit: 's',
        thresholds: LATENCY_STEPS,
        thresholdLines: true,
        queries: [
          {
            expr: `max by (source_node, server, transport, mode) (netprobe:dns_lookup_duration_seconds:p99_rate5m{${SEL}})`,
            legend: '{{source_node}} → {{server}} {{transport}}/{{mode}}',
          },
        ],
      }),
    )
    .withRow(row('Stalls'))
    .withPanel(
      timeseries({
        title: 'Stall ratio by mode',
        description:
          'Share of lookups that stalled, per transport and mode. Only parallel stalling while reopen and TCP stay clean is the conntrack insert race (F1); all UDP modes stalling alike is packet loss.',
        unit: 'percentunit',
        thresholds: GOOD_BAD_RATIO,
        thresholdLines: true,
        min: 0,
        queries: [
          {
            expr: `sum by (transport, mode) (netprobe:dns_stalled_lookups:rate5m{${SEL}}) / sum by (transport, mode) (netprobe:dns_lookups:rate5m{${SEL}})`,
            legend: '{{transport}}/{{mode}}',
          },
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Stalled lookups by node and server',
        description: 'Stalled lookups per second, per source node, server and mode: where the 5-second hangs happen.',
        unit: 'ops',
        queries: [
          {
            expr: `sum by (source_node, server, mode) (netprobe:dns_stalled_lookups:rate5m{${SEL}}) > 0`,
            legend: '{{source_node}} → {{server}} {{mode}}',
          },
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Lost attempts',
        description: 'Single query attempts that got no answer within the per-attempt timeout, per second (a stall needs one; a timeout needs all).',
        unit: 'ops',
        queries: [
          {
            expr: `sum by (source_node, server, transport, mode) (netprobe:dns_attempt_timeouts:rate5m{${SEL}})`,
            legend: '{{source_node}} → {{server}} {{transport}}/{{mode}}',
          },
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Queries per lookup (search-path amplification)',
        description: 'Queries a lookup sends on average: 2 for A+AAAA of a name asked as given; ndots:5 with a 3-domain search list makes an external name cost 8.',
        unit: 'none',
        queries: [
          {
            expr: `sum by (probe, server) (rate(netprobe_dns_queries_per_lookup_sum{${SEL}}[$__rate_interval])) / sum by (probe, server) (rate(netprobe_dns_queries_per_lookup_count{${SEL}}[$__rate_interval]))`,
            legend: '{{probe}} → {{server}}',
          },
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Mismatched responses and TCP fallbacks',
        description: 'Datagrams ignored because id, question, QR bit or source did not match (spoofing, late answers to a retried query), and truncated answers retried over TCP.',
        unit: 'ops',
        queries: [
          {
            expr: `sum by (server, reason) (rate(netprobe_dns_mismatched_responses_total{${SEL}}[$__rate_interval]))`,
            legend: '{{server}} mismatched: {{reason}}',
          },
          {
            expr: `sum by (server) (rate(netprobe_dns_tcp_fallbacks_total{${SEL}}[$__rate_interval]))`,
            legend: '{{server}} TCP fallback',
          },
        ],
      }),
    )
    .withRow(row('Outcomes'))
    .withPanel(
      timeseries({
        title: 'Outcomes by server',
        description: 'Queries per second by server (Service VIP, each CoreDNS endpoint, NodeLocal DNS) and result. VIP failing while endpoints answer from the same node = Service NAT (F2); one endpoint failing = one replica (F7).',
        unit: 'ops',
        stacked: true,
        queries: [
          {
            expr: `sum by (server, target_kind, result) (netprobe:dns_queries:rate5m{${SEL}})`,
            legend: '{{server}} ({{target_kind}}) {{result}}',
          },
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Failure ratio by endpoint',
        description: 'Failure ratio per server seen from all selected nodes together. One endpoint high while others are low: that CoreDNS replica.',
        unit: 'percentunit',
        thresholds: GOOD_BAD_RATIO,
        thresholdLines: true,
        min: 0,
        queries: [{ expr: dnsFailureRatio('server, target_kind'), legend: '{{server}} ({{target_kind}})' }],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Failure ratio by transport and mode',
        description: 'UDP vs TCP and the four UDP modes (single, parallel, sequential, reopen): telling a NAT race from loss from a blocked port.',
        unit: 'percentunit',
        thresholds: GOOD_BAD_RATIO,
        min: 0,
        queries: [{ expr: dnsFailureRatio('transport, mode'), legend: '{{transport}}/{{mode}}' }],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Outcomes by name class',
        description: 'Cluster names vs external names. External failing while cluster names resolve = CoreDNS upstream (F6).',
        unit: 'ops',
        stacked: true,
        queries: [
          {
            expr: `sum by (name_class, result) (netprobe:dns_queries:rate5m{${SEL}})`,
            legend: '{{name_class}} {{result}}',
          },
        ],
      }),
    )
    .withPanel(
      table({
        title: 'Paths by failure ratio',
        description: 'Current failure ratio per source node, server, transport and mode, worst first.',
        unit: 'percentunit',
        width: 24,
        thresholds: GOOD_BAD_RATIO,
        sortBy: 'Value',
        queries: [
          {
            expr: `sort_desc(max by (source_node, server, target_kind, transport, mode) (netprobe:dns_query_failures:ratio_rate5m{${SEL}}))`,
            instant: true,
          },
        ],
      }),
    )
    .build();
}
