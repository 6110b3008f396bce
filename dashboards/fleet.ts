// Fleet overview: one screen for "is the pod network healthy", health per node
// and the worst paths, with links into the per-kind dashboards.
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { baseDashboard } from './lib/dashboard.ts';
import { GOOD_BAD_RATIO, SEL, SEL_CLUSTER, SEL_NODE, row, stat, table, timeseries } from './lib/panels.ts';

export function fleetDashboard(): dashboard.Dashboard {
  const vip = `netprobe:dns_queries:rate5m{${SEL}, target_kind="service_vip"}`;
  return baseDashboard({
    uid: 'netprobe-fleet',
    title: 'netprobe / Fleet overview',
    description: 'Is the pod network healthy? Firing netprobe alerts, health per node, and the worst paths across DNS, TCP and MTU.',
    probeMetric: 'netprobe_probe_runs_total',
  })
    .withRow(row('Now'))
    .withPanel(
      stat({
        title: 'Firing netprobe alerts',
        description: 'Netprobe alerts currently firing in this Prometheus (ALERTS series).',
        unit: 'none',
        width: 5,
        height: 4,
        thresholds: [
          { value: null, color: 'green' },
          { value: 1, color: 'red' },
        ],
        queries: [{ expr: `count(ALERTS{alertname=~"Netprobe.*", alertstate="firing", ${SEL_CLUSTER}}) or vector(0)` }],
      }),
    )
    .withPanel(
      stat({
        title: 'Nodes reporting',
        description: 'Nodes whose netprobe pod is scraped.',
        unit: 'none',
        width: 5,
        height: 4,
        queries: [{ expr: `count(netprobe_build_info{${SEL_NODE}})` }],
      }),
    )
    .withPanel(
      stat({
        title: 'Failing probe targets',
        description: 'Share of (node, probe, target) pairs whose last run failed.',
        unit: 'percentunit',
        width: 5,
        height: 4,
        thresholds: GOOD_BAD_RATIO,
        queries: [{ expr: `1 - avg(netprobe_probe_success{${SEL}})` }],
      }),
    )
    .withPanel(
      stat({
        title: 'DNS via Service VIP: failures',
        description: 'Share of queries through the cluster DNS Service VIP without a usable answer, all selected nodes.',
        unit: 'percentunit',
        width: 5,
        height: 4,
        thresholds: GOOD_BAD_RATIO,
        queries: [{ expr: `sum(netprobe:dns_query_failures:rate5m{${SEL}, target_kind="service_vip"}) / sum(${vip})` }],
      }),
    )
    .withPanel(
      stat({
        title: 'DNS stalls',
        description: 'Share of lookups that hit the 5-second resolver timeout, all selected nodes.',
        unit: 'percentunit',
        width: 4,
        height: 4,
        thresholds: GOOD_BAD_RATIO,
        queries: [{ expr: `sum(netprobe:dns_stalled_lookups:rate5m{${SEL}}) / sum(netprobe:dns_lookups:rate5m{${SEL}})` }],
      }),
    )
    .withRow(row('Health per node'))
    .withPanel(
      timeseries({
        title: 'Failing targets per node',
        description: 'Share of probe targets failing, per source node, averaged over 5 minutes. One node alone high: look at that node (routes, kube-proxy, CNI).',
        unit: 'percentunit',
        thresholds: GOOD_BAD_RATIO,
        min: 0,
        max: 1,
        queries: [{ expr: `netprobe:node_probe_failures:ratio_avg5m{${SEL_NODE}}`, legend: '{{source_node}}' }],
      }),
    )
    .withPanel(
      timeseries({
        title: 'DNS failure ratio via the Service VIP per node',
        description: 'Per node, share of queries through the Service VIP that failed (cluster and external names).',
        unit: 'percentunit',
        thresholds: GOOD_BAD_RATIO,
        thresholdLines: true,
        min: 0,
        queries: [
          {
            expr: `sum by (source_node) (netprobe:dns_query_failures:rate5m{${SEL}, target_kind="service_vip"}) / sum by (source_node) (${vip})`,
            legend: '{{source_node}}',
          },
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Probe runs by result',
        description: 'Runs per second by probe and result (success or the failure reason).',
        unit: 'ops',
        stacked: true,
        queries: [
          {
            expr: `sum by (probe, result) (rate(netprobe_probe_runs_total{${SEL}}[$__rate_interval]))`,
            legend: '{{probe}} {{result}}',
          },
        ],
      }),
    )
    .withPanel(
      table({
        title: 'netprobe versions',
        description: 'Nodes per netprobe version and runtime: a rollout in progress shows two rows.',
        unit: 'none',
        queries: [{ expr: `count by (version, runtime) (netprobe_build_info{${SEL_NODE}})`, instant: true }],
      }),
    )
    .withRow(row('Worst paths'))
    .withPanel(
      table({
        title: 'Worst probe targets (last 30 minutes)',
        description: 'Share of failed runs per node, probe and target over the last 30 minutes, worst first.',
        unit: 'percentunit',
        width: 24,
        thresholds: GOOD_BAD_RATIO,
        sortBy: 'Value',
        queries: [
          {
            expr: `topk(20, 1 - avg_over_time(netprobe_probe_success{${SEL}}[30m]))`,
            instant: true,
          },
        ],
      }),
    )
    .withPanel(
      table({
        title: 'Worst DNS paths',
        description: 'Highest DNS failure ratio per node, server, transport and mode.',
        unit: 'percentunit',
        thresholds: GOOD_BAD_RATIO,
        sortBy: 'Value',
        queries: [{ expr: `topk(10, netprobe:dns_query_failures:ratio_rate5m{${SEL}})`, instant: true }],
      }),
    )
    .withPanel(
      table({
        title: 'Worst TCP paths',
        description: 'Highest TCP connect failure ratio per node and target.',
        unit: 'percentunit',
        thresholds: GOOD_BAD_RATIO,
        sortBy: 'Value',
        queries: [{ expr: `topk(10, netprobe:tcp_connect_failures:ratio_rate5m{${SEL}})`, instant: true }],
      }),
    )
    .build();
}
