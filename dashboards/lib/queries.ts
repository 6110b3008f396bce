// Reads the PromQL back out of generated dashboards, so tests can check the
// metric names and evaluate every expression against a real Prometheus.

export interface DashboardQuery {
  dashboard: string;
  /** Panel title, "variable <name>" or "annotation <name>". */
  where: string;
  expr: string;
}

interface JsonPanel {
  title?: string;
  targets?: { expr?: string }[];
  panels?: JsonPanel[];
}

interface JsonDashboard {
  uid?: string;
  panels?: JsonPanel[];
  templating?: { list?: { name: string; type: string; query?: unknown }[] };
  annotations?: { list?: { name: string; target?: { expr?: string } }[] };
}

export function dashboardQueries(d: JsonDashboard): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  const uid = d.uid ?? '?';
  const walk = (panels: JsonPanel[] | undefined): void => {
    for (const p of panels ?? []) {
      for (const t of p.targets ?? []) if (t.expr) out.push({ dashboard: uid, where: p.title ?? '?', expr: t.expr });
      walk(p.panels);
    }
  };
  walk(d.panels);
  for (const v of d.templating?.list ?? []) {
    if (v.type === 'query' && typeof v.query === 'string') out.push({ dashboard: uid, where: `variable ${v.name}`, expr: v.query });
  }
  for (const a of d.annotations?.list ?? []) {
    if (a.target?.expr) out.push({ dashboard: uid, where: `annotation ${a.name}`, expr: a.target.expr });
  }
  return out;
}

/**
 * Grafana macros and variables replaced by what Grafana would send with "All"
 * selected; `label_values(selector, label)` becomes its selector, which is what
 * Grafana asks Prometheus for the values of.
 */
export function toPromQL(expr: string, rateInterval = '1m'): string {
  const m = /^label_values\((.*),\s*[a-zA-Z_][a-zA-Z0-9_]*\)$/.exec(expr.trim());
  const body = m ? m[1]! : expr;
  return body
    .replaceAll('$__rate_interval', rateInterval)
    .replaceAll('$__interval', rateInterval)
    .replaceAll('$__range', '1h')
    .replaceAll('$cluster', '.*')
    .replaceAll('$node', '.*')
    .replaceAll('$probe', '.*');
}
