// The frame every netprobe dashboard shares: datasource, cluster, node and probe
// variables, time settings, links between the dashboards and the alert annotations.
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import { DATASOURCE } from './panels.ts';

export const TAG = 'netprobe';

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  /** Metric whose labels feed the probe variable (probes of this dashboard's kind). */
  probeMetric: string;
}

function queryVariable(name: string, label: string, query: string, description: string): dashboard.QueryVariableBuilder {
  return new dashboard.QueryVariableBuilder(name)
    .label(label)
    .description(description)
    .datasource(DATASOURCE)
    .query(query)
    .definition(query)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    // ".*" rather than the list of values: also matches series without the label
    // (no `cluster` label in a single-cluster Prometheus).
    .allValue('.*')
    .current({ text: 'All', value: '$__all' });
}

export function baseDashboard(spec: DashboardSpec): dashboard.DashboardBuilder {
  return new dashboard.DashboardBuilder(spec.title)
    .uid(spec.uid)
    .description(spec.description)
    .tags([TAG])
    .editable()
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .time({ from: 'now-6h', to: 'now' })
    .refresh('1m')
    .timezone('browser')
    .link(
      new dashboard.DashboardLinkBuilder('netprobe dashboards')
        .type(dashboard.DashboardLinkType.Dashboards)
        .tags([TAG])
        .asDropdown(true)
        .includeVars(true)
        .keepTime(true),
    )
    .annotation(
      new dashboard.AnnotationQueryBuilder()
        .name('netprobe alerts')
        .datasource(DATASOURCE)
        .enable(true)
        .iconColor('red')
        .target(
          new prometheus.DataqueryBuilder()
            .refId('Anno')
            .expr('ALERTS{alertname=~"Netprobe.*", alertstate="firing", cluster=~"$cluster"}'),
        ),
    )
    .withVariable(
      new dashboard.DatasourceVariableBuilder('datasource').label('Data source').type('prometheus').regex(''),
    )
    .withVariable(
      queryVariable(
        'cluster',
        'Cluster',
        'label_values(netprobe_build_info, cluster)',
        'The `cluster` label your Prometheus adds (external label or relabelling); "All" also matches series without it.',
      ),
    )
    .withVariable(
      queryVariable(
        'node',
        'Source node',
        'label_values(netprobe_build_info{cluster=~"$cluster"}, source_node)',
        'The node the probe ran on (source_node).',
      ),
    )
    .withVariable(
      queryVariable(
        'probe',
        'Probe',
        `label_values(${spec.probeMetric}{cluster=~"$cluster", source_node=~"$node"}, probe)`,
        'Probe name from the netprobe config.',
      ),
    );
}
