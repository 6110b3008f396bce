// The committed dashboards are exactly what the TypeScript generates, and every
// dashboard has what an operator needs: variables, units, thresholds,
// descriptions, and PromQL over metric names that exist.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DASHBOARDS, DASHBOARD_DIR, renderDashboards } from '../../dashboards/generate.ts';
import { dashboardQueries } from '../../dashboards/lib/queries.ts';
import { DNS_BUCKETS, INSTRUMENTS } from '../../src/metrics/catalog.ts';
import { recordingRules } from '../alerts/rules.ts';

interface Panel {
  type: string;
  title: string;
  description?: string;
  datasource?: { uid?: string };
  fieldConfig?: { defaults?: { unit?: string; thresholds?: { steps?: unknown[] } } };
  targets?: { expr?: string; datasource?: { uid?: string }; format?: string }[];
  options?: Record<string, unknown>;
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query?: unknown; allValue?: string; includeAll?: boolean }[] };
}

const rendered = renderDashboards();
const dashboards = [...rendered.entries()].map(([file, text]) => [file, JSON.parse(text) as Dashboard] as const);

function knownNames(): Set<string> {
  const names = new Set<string>(['ALERTS', 'kube_node_info']);
  for (const spec of Object.values(INSTRUMENTS)) {
    names.add(spec.name);
    if (spec.type === 'histogram') for (const s of ['_bucket', '_count', '_sum']) names.add(spec.name + s);
  }
  for (const r of recordingRules()) names.add(r.record);
  return names;
}

describe('dashboards', () => {
  it('generates the five dashboards with unique uids', () => {
    expect(Object.keys(DASHBOARDS).sort()).toEqual(['dns.json', 'fleet.json', 'mtu.json', 'nodes.json', 'tcp.json']);
    const uids = dashboards.map(([, d]) => d.uid);
    expect(new Set(uids).size).toBe(uids.length);
  });

  it.each([...rendered.keys()])('committed %s equals the generated JSON', (file) => {
    expect(readFileSync(DASHBOARD_DIR + file, 'utf8')).toBe(rendered.get(file));
  });

  it('the generator --check passes on the committed files', async () => {
    const { stderr } = await promisify(execFile)(process.execPath, [`${DASHBOARD_DIR}generate.ts`, '--check']);
    expect(stderr).toBe('');
  });

  it.each(dashboards)('%s has datasource, cluster, node and probe variables', (_file, d) => {
    const vars = new Map(d.templating.list.map((v) => [v.name, v]));
    expect(vars.get('datasource')?.type).toBe('datasource');
    for (const name of ['cluster', 'node', 'probe']) {
      const v = vars.get(name);
      expect(v?.type, name).toBe('query');
      expect(v?.includeAll, name).toBe(true);
      // ".*" so "All" also matches series without the label.
      expect(v?.allValue, name).toBe('.*');
    }
  });

  it.each(dashboards)('%s: every panel has a description, unit, thresholds and the datasource variable', (_file, d) => {
    const panels = d.panels.filter((p) => p.type !== 'row');
    expect(panels.length).toBeGreaterThanOrEqual(6);
    for (const p of panels) {
      expect(p.description?.length ?? 0, p.title).toBeGreaterThan(30);
      expect(p.fieldConfig?.defaults?.unit, p.title).toBeTruthy();
      expect(p.fieldConfig?.defaults?.thresholds?.steps?.length ?? 0, p.title).toBeGreaterThan(0);
      expect(p.datasource?.uid, p.title).toBe('${datasource}');
      expect(p.targets?.length ?? 0, p.title).toBeGreaterThan(0);
      for (const t of p.targets ?? []) {
        expect(t.datasource?.uid, p.title).toBe('${datasource}');
        expect(t.expr, p.title).toContain('cluster=~"$cluster"');
      }
    }
  });

  it.each(dashboards)('%s uses only metric names from the catalog and the recording rules', (_file, d) => {
    const known = knownNames();
    for (const q of dashboardQueries(d)) {
      const names = [...q.expr.matchAll(/\b(netprobe[_:][a-z0-9_:]+|ALERTS|kube_node_info)\b/g)].map((m) => m[1]!);
      expect(names.length, `${q.where}: ${q.expr}`).toBeGreaterThan(0);
      for (const name of names) expect(known.has(name), `${q.where}: ${name}`).toBe(true);
    }
  });

  it('the DNS heatmap shows the 5-second band', () => {
    const dns = dashboards.find(([f]) => f === 'dns.json')![1];
    const heat = dns.panels.find((p) => p.type === 'heatmap')!;
    expect(heat.targets?.[0]?.expr).toContain('netprobe_dns_lookup_duration_seconds_bucket');
    expect(heat.targets?.[0]?.format).toBe('heatmap');
    expect((heat.options?.rowsFrame as { layout?: string }).layout).toBe('le');
    // The band exists only because the buckets bracket the resolver timeout.
    expect(DNS_BUCKETS).toContain(4.5);
    expect(DNS_BUCKETS).toContain(5.5);
    const band = dns.panels.find((p) => p.title === 'Queries in the 5-second band')!;
    expect(band.targets?.[0]?.expr).toMatch(/le="5\.5".*le="4\.5"/);
  });

  it('the runbooks name panels that exist', () => {
    const titles = new Set(dashboards.flatMap(([, d]) => d.panels.map((p) => p.title)));
    for (const t of ['Stall ratio by mode', 'Outcomes by server', 'Outcomes by name class', 'Young nodes vs fleet', 'Black holes']) {
      expect(titles.has(t), t).toBe(true);
    }
  });

  it('docs/dashboards.md describes every dashboard and panel', () => {
    // Line breaks in the prose do not matter.
    const doc = readFileSync(new URL('../../docs/dashboards.md', import.meta.url), 'utf8').replace(/\s+/g, ' ');
    for (const [file, d] of dashboards) {
      expect(doc, file).toContain(`dashboards/${file}`);
      expect(doc, d.title).toContain(`### ${d.title}`);
      for (const p of d.panels) expect(doc, `${d.title}: ${p.title}`).toContain(p.title);
    }
  });
});
