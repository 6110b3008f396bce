// Nodes and scale-out: young nodes against the established fleet, the source x
// target matrix, data coverage and the daemon's own health per node.
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { baseDashboard } from './lib/dashboard.ts';
import { GOOD_BAD_RATIO, SEL_CLUSTER, SEL_NODE, row, stat, table, timeseries } from './lib/panels.ts';

/** TCP connects per second by vantage (a pod without NETPROBE_VANTAGE is the pod network) and node pair. */
const byVantage = (extra: string): string =>
  `sum by (vantage, source_node, target_node) (label_replace(rate(netprobe_tcp_connects_total{${SEL_NODE}, target_node!=""${extra ? `, ${extra}` : ''}}[$__rate_interval]), "vantage", "pod", "vantage", ""))`;

/** Nodes younger than this are "young" (the NetprobeYoungNodeFailing alert's 6 h). */
const YOUNG_SECONDS = 21600;

export function nodesDashboard(): dashboard.Dashboard {
  return baseDashboard({
    uid: 'netprobe-nodes',
    title: 'netprobe / Nodes',
    description: 'Per-node health, nodes that joined recently against the established fleet, and the source × target matrix.',
    probeMetric: 'netprobe_probe_runs_total',
  })
    .withRow(row('Coverage'))
    .withPanel(
      stat({
        title: 'Nodes reporting',
        description: 'Nodes with a netprobe pod whose metrics reach Prometheus.',
        unit: 'none',
        width: 6,
        height: 4,
        queries: [{ expr: `count(netprobe_build_info{${SEL_CLUSTER}})` }],
      }),
    )
    .withPanel(
      stat({
        title: 'Nodes without netprobe data',
        description: 'Nodes listed by kube-state-metrics (kube_node_info) with no netprobe series. Empty without kube-state-metrics.',
        unit: 'none',
        width: 6,
        height: 4,
        thresholds: [
          { value: null, color: 'green' },
          { value: 1, color: 'red' },
        ],
        queries: [
          {
            expr: `count(count by (cluster, node) (kube_node_info{${SEL_CLUSTER}}) unless on (cluster, node) count by (cluster, node) (label_replace(netprobe_build_info{${SEL_CLUSTER}}, "node", "$1", "source_node", "(.+)"))) or vector(0)`,
          },
        ],
      }),
    )
    .withPanel(
      stat({
        title: 'Young nodes',
        description: 'Nodes created less than 6 hours ago (from the Node object).',
        unit: 'none',
        width: 6,
        height: 4,
        queries: [{ expr: `count(netprobe:node_age:seconds{${SEL_NODE}} < ${YOUNG_SECONDS}) or vector(0)` }],
      }),
    )
    .withPanel(
      stat({
        title: 'Established fleet failure ratio',
        description: 'Average share of failing probe targets over nodes older than 6 hours: the baseline young nodes are compared with.',
        unit: 'percentunit',
        width: 6,
        height: 4,
        thresholds: GOOD_BAD_RATIO,
        queries: [{ expr: `avg(netprobe:fleet_probe_failures:ratio_avg5m{${SEL_CLUSTER}})` }],
      }),
    )
    .withRow(row('Young nodes vs fleet'))
    .withPanel(
      timeseries({
        title: 'Young nodes vs fleet',
        description: 'Failure ratio of each node younger than 6 hours against the established fleet average. A young node far above the fleet joined broken (F8: kube-proxy pending, routes missing, duplicate address).',
        unit: 'percentunit',
        thresholds: [
          { value: null, color: 'green' },
          { value: 0.2, color: 'red' },
        ],
        thresholdLines: true,
        min: 0,
        max: 1,
        queries: [
          {
            expr: `netprobe:node_probe_failures:ratio_avg5m{${SEL_NODE}} and on (cluster, source_node) (netprobe:node_age:seconds < ${YOUNG_SECONDS})`,
            legend: 'young: {{source_node}}',
          },
          {
            expr: `netprobe:fleet_probe_failures:ratio_avg5m{${SEL_CLUSTER}}`,
            legend: 'established fleet',
          },
        ],
      }),
    )
    .withPanel(
      table({
        title: 'Node health',
        description: 'Share of failing (probe, target) pairs per node over 5 minutes, worst first.',
        unit: 'percentunit',
        thresholds: GOOD_BAD_RATIO,
        sortBy: 'Value',
        queries: [{ expr: `sort_desc(netprobe:node_probe_failures:ratio_avg5m{${SEL_NODE}})`, instant: true }],
      }),
    )
    .withPanel(
      table({
        title: 'Node age',
        description: 'Time since each node was created, youngest first (from netprobe_node_created_timestamp_seconds).',
        unit: 'dtdurations',
        thresholds: [
          { value: null, color: 'orange' },
          { value: YOUNG_SECONDS, color: 'green' },
        ],
        sortBy: 'Value',
        queries: [{ expr: `sort(netprobe:node_age:seconds{${SEL_NODE}})`, instant: true }],
      }),
    )
    .withRow(row('Source × target'))
    .withPanel(
      table({
        title: 'TCP connect failure ratio: source node × target node',
        description: 'Rows: node the probe ran on; columns: node of the target. A red column = that node unreachable (routes/tunnel to it); a red row = that node cannot reach others (F3, F8).',
        unit: 'percentunit',
        width: 24,
        height: 10,
        thresholds: GOOD_BAD_RATIO,
        matrix: { rowField: 'source_node', columnField: 'target_node' },
        queries: [
          {
            expr: `max by (source_node, target_node) (netprobe:tcp_connect_failures:ratio_rate5m{${SEL_NODE}, target_node!=""})`,
            instant: true,
          },
        ],
      }),
    )
    .withPanel(
      table({
        title: 'ICMP loss: source node × target node',
        description: 'Worst ICMP loss over all sizes per source and target node.',
        unit: 'percentunit',
        width: 24,
        height: 10,
        thresholds: GOOD_BAD_RATIO,
        matrix: { rowField: 'source_node', columnField: 'target_node' },
        queries: [
          {
            expr: `max by (source_node, target_node) (netprobe:icmp_loss:ratio_rate5m{${SEL_NODE}, target_node!=""})`,
            instant: true,
          },
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Pod network vs host network (vantage)',
        description:
          'TCP connect failure ratio per source → target node, from the pod network (vantage="pod", or no vantage label) and from the host-network DaemonSet (vantage="host", overlays/host-network). Pod failing while host is clean: the overlay (CNI tunnel). Both failing: the underlay (node network). Empty without the host-network flavour.',
        unit: 'percentunit',
        width: 24,
        min: 0,
        max: 1,
        thresholds: GOOD_BAD_RATIO,
        queries: [
          {
            expr: `(${byVantage('result!="connected"')} or 0 * ${byVantage('')}) / ${byVantage('')}`,
            legend: '{{vantage}}: {{source_node}} → {{target_node}}',
          },
        ],
      }),
    )
    .withRow(row('Daemon'))
    .withPanel(
      timeseries({
        title: 'Schedule lag p99 by node',
        description: 'Delay between when a run was due and when it started: CPU starvation or too many targets for the concurrency limit.',
        unit: 's',
        width: 8,
        queries: [
          {
            expr: `histogram_quantile(0.99, sum by (source_node, le) (rate(netprobe_schedule_lag_seconds_bucket{${SEL_NODE}}[$__rate_interval])))`,
            legend: '{{source_node}}',
          },
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Skipped runs',
        description: 'Runs skipped per second because the previous run of the same target was still going (overlap).',
        unit: 'ops',
        width: 8,
        queries: [
          {
            expr: `sum by (source_node, probe, reason) (rate(netprobe_probe_skipped_total{${SEL_NODE}}[$__rate_interval]))`,
            legend: '{{source_node}} {{probe}} {{reason}}',
          },
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Kubernetes discovery errors',
        description: 'Failed list/watch calls to the API server per node; targets stay the last known ones meanwhile.',
        unit: 'ops',
        width: 8,
        queries: [
          {
            expr: `sum by (source_node, resource, reason) (rate(netprobe_discovery_errors_total{${SEL_NODE}}[$__rate_interval]))`,
            legend: '{{source_node}} {{resource}} {{reason}}',
          },
        ],
      }),
    )
    .build();
}
