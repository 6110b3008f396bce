// Small typed helpers over @grafana/grafana-foundation-sdk so each dashboard file
// reads as a list of panels: title, what it answers (description), PromQL, unit,
// thresholds. Every panel and query points at the ${datasource} variable.
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as heatmapPanel from '@grafana/grafana-foundation-sdk/heatmap';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as statPanel from '@grafana/grafana-foundation-sdk/stat';
import * as tablePanel from '@grafana/grafana-foundation-sdk/table';
import * as timeseriesPanel from '@grafana/grafana-foundation-sdk/timeseries';

export const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

/** Label matchers every query carries so the cluster/node/probe variables filter it. */
export const SEL = 'cluster=~"$cluster", source_node=~"$node", probe=~"$probe"';
export const SEL_NODE = 'cluster=~"$cluster", source_node=~"$node"';
export const SEL_CLUSTER = 'cluster=~"$cluster"';

export interface Query {
  expr: string;
  legend?: string;
  /** One value per series (tables, stats, matrices) instead of a range. */
  instant?: boolean;
  format?: 'time_series' | 'table' | 'heatmap';
}

/** A threshold step: `value` null is the base colour. */
export interface Step {
  value: number | null;
  color: string;
}

export const GOOD_BAD_RATIO: Step[] = [
  { value: null, color: 'green' },
  { value: 0.01, color: 'orange' },
  { value: 0.1, color: 'red' },
];

interface PanelCommon {
  title: string;
  description: string;
  queries: Query[];
  unit: string;
  width?: number;
  height?: number;
  thresholds?: Step[];
  min?: number;
  max?: number;
}

function target(q: Query, index: number): prometheus.DataqueryBuilder {
  const t = new prometheus.DataqueryBuilder()
    .datasource(DATASOURCE)
    .refId(String.fromCharCode(65 + index))
    .expr(q.expr)
    .legendFormat(q.legend ?? '__auto');
  if (q.instant) t.instant().format(prometheus.PromQueryFormat.Table);
  else if (q.format === 'heatmap') t.format(prometheus.PromQueryFormat.Heatmap);
  return t;
}

function thresholds(steps: Step[]): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps(steps);
}

type AnyPanel = {
  datasource(d: dashboard.DataSourceRef): unknown;
  title(t: string): unknown;
  description(d: string): unknown;
  unit(u: string): unknown;
  span(w: number): unknown;
  height(h: number): unknown;
  thresholds(t: dashboard.ThresholdsConfigBuilder): unknown;
  min(v: number): unknown;
  max(v: number): unknown;
  withTarget(t: prometheus.DataqueryBuilder): unknown;
};

function applyCommon<P extends AnyPanel>(panel: P, o: PanelCommon, defaultSteps: Step[]): P {
  panel.datasource(DATASOURCE);
  panel.title(o.title);
  panel.description(o.description);
  panel.unit(o.unit);
  panel.span(o.width ?? 12);
  panel.height(o.height ?? 8);
  panel.thresholds(thresholds(o.thresholds ?? defaultSteps));
  if (o.min !== undefined) panel.min(o.min);
  if (o.max !== undefined) panel.max(o.max);
  o.queries.forEach((q, i) => panel.withTarget(target(q, i)));
  return panel;
}

export interface TimeseriesOptions extends PanelCommon {
  /** Draw the thresholds as lines (e.g. the 5 s resolver timeout). */
  thresholdLines?: boolean;
  stacked?: boolean;
  bars?: boolean;
}

export function timeseries(o: TimeseriesOptions): timeseriesPanel.PanelBuilder {
  const p = applyCommon(new timeseriesPanel.PanelBuilder(), o, [{ value: null, color: 'green' }]);
  p.legend(
    new common.VizLegendOptionsBuilder()
      .showLegend(true)
      .displayMode(common.LegendDisplayMode.Table)
      .placement(common.LegendPlacement.Bottom)
      .calcs(['mean', 'max', 'lastNotNull']),
  );
  p.tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending));
  p.fillOpacity(o.stacked ? 40 : 10).lineWidth(1).spanNulls(false);
  if (o.bars) p.drawStyle(common.GraphDrawStyle.Bars);
  if (o.stacked) p.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal));
  if (o.thresholdLines) {
    p.thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.DashedAndArea));
  }
  return p;
}

export function stat(o: PanelCommon): statPanel.PanelBuilder {
  const p = applyCommon(new statPanel.PanelBuilder(), o, [{ value: null, color: 'green' }]);
  p.colorMode(common.BigValueColorMode.Background)
    .graphMode(common.BigValueGraphMode.Area)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false));
  return p;
}

export interface TableOptions extends PanelCommon {
  /** Pivot `rowField` x `columnField` into a matrix (e.g. source node x target node). */
  matrix?: { rowField: string; columnField: string };
  sortBy?: string;
}

export function table(o: TableOptions): tablePanel.PanelBuilder {
  const p = applyCommon(new tablePanel.PanelBuilder(), o, [{ value: null, color: 'green' }]);
  p.cellOptions({ type: common.TableCellDisplayMode.ColorBackground } as common.TableCellOptions);
  if (o.matrix) {
    p.withTransformation({
      id: 'groupingToMatrix',
      options: { rowField: o.matrix.rowField, columnField: o.matrix.columnField, valueField: 'Value', emptyValue: 'null' },
    });
  } else {
    // Drop the Time column of instant queries: one row per series is what is read here.
    p.withTransformation({ id: 'organize', options: { excludeByName: { Time: true } } });
  }
  if (o.sortBy) p.sortBy([new common.TableSortByFieldStateBuilder().displayName(o.sortBy).desc(true)]);
  return p;
}

export interface HeatmapOptions extends PanelCommon {
  /** Log scale on the y axis so milliseconds and the 5 s band are both visible. */
  logScale?: boolean;
}

export function heatmap(o: HeatmapOptions): heatmapPanel.PanelBuilder {
  const p = applyCommon(new heatmapPanel.PanelBuilder(), o, [{ value: null, color: 'green' }]);
  p.calculate(false)
    .cellGap(1)
    .color(
      new heatmapPanel.HeatmapColorOptionsBuilder()
        .mode(heatmapPanel.HeatmapColorMode.Scheme)
        .scheme('Oranges')
        .scale(heatmapPanel.HeatmapColorScale.Exponential)
        .exponent(0.5)
        .steps(64),
    )
    .yAxis(
      new heatmapPanel.YAxisConfigBuilder()
        .unit(o.unit)
        .axisPlacement(common.AxisPlacement.Left)
        .scaleDistribution(
          o.logScale
            ? new common.ScaleDistributionConfigBuilder().type(common.ScaleDistribution.Log).log(10)
            : new common.ScaleDistributionConfigBuilder().type(common.ScaleDistribution.Linear),
        ),
    )
    .rowsFrame(new heatmapPanel.RowsHeatmapOptionsBuilder().layout(common.HeatmapCellLayout.Le))
    .cellValues(new heatmapPanel.CellValuesBuilder().unit('reqps'))
    .tooltip(new heatmapPanel.HeatmapTooltipBuilder().mode(common.TooltipDisplayMode.Single).yHistogram(true).showColorScale(true))
    .showLegend();
  return p;
}

export function row(title: string): dashboard.RowBuilder {
  return new dashboard.RowBuilder(title);
}
