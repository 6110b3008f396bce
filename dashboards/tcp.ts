// TCP connect (paping-style): connect time, results by target, loss.
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { baseDashboard } from './lib/dashboard.ts';
import { GOOD_BAD_RATIO, SEL, heatmap, row, stat, table, timeseries } from './lib/panels.ts';

const CONNECT_STEPS = [
  { value: null, color: 'green' },
  { value: 0.1, color: 'orange' },
  // 1 s: the first SYN retransmit; connects near it lost their first SYN.
  { value: 1, color: 'red' },
];

export function tcpDashboard(): dashboard.Dashboard {
  const all = `sum(netprobe:tcp_connects:rate5m{${SEL}})`;
  return baseDashboard({
    uid: 'netprobe-tcp',
    title: 'netprobe / TCP connect',
    description: 'Repeated TCP connects from every node to peers and configured targets: connect time, refused vs timed out, loss.',
    probeMetric: 'netprobe_tcp_connects_total',
  })
    .withRow(row('Overview'))
    .withPanel(
      stat({
        title: 'Connect failure ratio',
        description: 'Share of connects not established over 5 minutes (refused, timeout, unreachable, error).',
        unit: 'percentunit',
        width: 8,
        height: 4,
        thresholds: GOOD_BAD_RATIO,
        queries: [{ expr: `(sum(netprobe:tcp_connects:rate5m{${SEL}, result!="connected"}) or 0 * ${all}) / ${all}` }],
      }),
    )
    .withPanel(
      stat({
        title: 'Worst p99 connect time',
        description: 'Highest 99th percentile time from SYN to established over the selected paths. Around 1 s or 3 s means lost SYNs (retransmit timers).',
        unit: 's',
        width: 8,
        height: 4,
        thresholds: CONNECT_STEPS,
        queries: [{ expr: `max(netprobe:tcp_connect_duration_seconds:p99_rate5m{${SEL}})` }],
      }),
    )
    .withPanel(
      stat({
        title: 'Connects per second',
        description: 'Connect attempts per second over the selected probes.',
        unit: 'ops',
        width: 8,
        height: 4,
        queries: [{ expr: all }],
      }),
    )
    .withRow(row('Connect time'))
    .withPanel(
      heatmap({
        title: 'Connect time heatmap',
        description: 'Successful connects per latency bucket (log scale). Bands at 1 s and 3 s are SYN retransmits after a lost SYN or SYN-ACK.',
        unit: 's',
        width: 12,
        logScale: true,
        queries: [
          {
            expr: `sum by (le) (rate(netprobe_tcp_connect_duration_seconds_bucket{${SEL}}[$__rate_interval]))`,
            legend: '{{le}}',
            format: 'heatmap',
          },
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: 'p50 and p99 connect time by target',
        description: 'Median and 99th percentile connect time per source node and target.',
        unit: 's',
        thresholds: CONNECT_STEPS,
        thresholdLines: true,
        queries: [
          {
            expr: `netprobe:tcp_connect_duration_seconds:p99_rate5m{${SEL}}`,
            legend: 'p99 {{source_node}} → {{target}}',
          },
          {
            expr: `netprobe:tcp_connect_duration_seconds:p50_rate5m{${SEL}}`,
            legend: 'p50 {{source_node}} → {{target}}',
          },
        ],
      }),
    )
    .withRow(row('Results'))
    .withPanel(
      timeseries({
        title: 'Results by target',
        description: 'Connects per second by target and result. refused = RST (nothing listening, REJECT rule; F9); timeout = SYN dropped (firewall, route, tunnel; F3).',
        unit: 'ops',
        stacked: true,
        queries: [
          {
            expr: `sum by (target, target_node, result) (netprobe:tcp_connects:rate5m{${SEL}})`,
            legend: '{{target}} {{target_node}} {{result}}',
          },
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Failure ratio by path',
        description: 'Share of connects that failed per source node and target. The alert fires above 5 % for 15 minutes.',
        unit: 'percentunit',
        thresholds: [
          { value: null, color: 'green' },
          { value: 0.05, color: 'red' },
        ],
        thresholdLines: true,
        min: 0,
        queries: [
          {
            expr: `netprobe:tcp_connect_failures:ratio_rate5m{${SEL}}`,
            legend: '{{source_node}} → {{target}}',
          },
        ],
      }),
    )
    .withPanel(
      table({
        title: 'Worst paths',
        description: 'Current failure ratio per source node and target, worst first.',
        unit: 'percentunit',
        width: 24,
        thresholds: GOOD_BAD_RATIO,
        sortBy: 'Value',
        queries: [
          {
            expr: `topk(20, max by (source_node, target, target_kind, target_node) (netprobe:tcp_connect_failures:ratio_rate5m{${SEL}}))`,
            instant: true,
          },
        ],
      }),
    )
    .build();
}
