// What each install flavour ships for Prometheus and Grafana, on the output of
// the real `kubectl kustomize`: the recording rules every dashboard panel
// queries, absolute runbook URLs, the install settings (release label, runbook
// base) as a user overlay changes them, and the dashboards for the sidecar.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DASHBOARDS, renderDashboards } from '../../dashboards/generate.ts';
import { dashboardQueries } from '../../dashboards/lib/queries.ts';
import { DEFAULT_RUNBOOK_BASE, absoluteRunbookUrl } from '../../deploy/prometheus/generate-prometheusrule.ts';
import { KUBERNETES_DIR, OVERLAYS_DIR, flavours, kustomizeAvailable, render } from './kustomize.ts';
import { shippedRuleGroups } from './shipped.ts';

/** Recording rules the dashboards query (netprobe:* names), with the panels that use each. */
function panelRecordingRules(): Map<string, string[]> {
  const used = new Map<string, string[]>();
  for (const [file, text] of renderDashboards()) {
    for (const q of dashboardQueries(JSON.parse(text))) {
      for (const m of q.expr.matchAll(/\b(netprobe:[a-z0-9_:]+)/g)) used.set(m[1]!, [...(used.get(m[1]!) ?? []), `${file}: ${q.where}`]);
    }
  }
  return used;
}

const scratch = mkdtempSync(join(tmpdir(), 'netprobe-flavours-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe.skipIf(!kustomizeAvailable)('install flavours', () => {
  const rendered = new Map(flavours().map((f) => [f, render(join(OVERLAYS_DIR, f))] as const));
  /** Flavours that install the probes: they must make Prometheus scrape them and ship the rules. */
  const probeFlavours = [...rendered].filter(([, objects]) => objects.some((o) => o.kind === 'DaemonSet'));

  it('the dashboards query recording rules, and the check below sees them', () => {
    expect(panelRecordingRules().size).toBeGreaterThan(5);
    // And it can fail: a flavour without rules misses every one of them.
    const missing = [...panelRecordingRules().keys()].filter((r) => !shippedRuleGroups([]).some((g) => g.rules.some((x) => x.record === r)));
    expect(missing.length).toBe(panelRecordingRules().size);
  });

  it.each(probeFlavours.map(([f]) => f))('%s ships every recording rule a dashboard panel queries', (f) => {
    const records = new Set(shippedRuleGroups(rendered.get(f)!).flatMap((g) => g.rules.map((r) => r.record).filter(Boolean)));
    const missing = [...panelRecordingRules()].filter(([r]) => !records.has(r)).map(([r, panels]) => `${r} (used by ${panels.join(', ')})`);
    expect(missing).toEqual([]);
  });

  it.each(probeFlavours.map(([f]) => f))('%s is scraped exactly one way (annotations or a ServiceMonitor)', (f) => {
    const objects = rendered.get(f)!;
    const ds = objects.find((o) => o.kind === 'DaemonSet')!;
    const annotated = (ds.spec as any).template.metadata.annotations?.['prometheus.io/scrape'] === 'true';
    const monitors = objects.filter((o) => o.kind === 'ServiceMonitor' || o.kind === 'PodMonitor');
    expect(Number(annotated) + Number(monitors.length > 0), f).toBe(1);
    if (annotated) expect((ds.spec as any).template.metadata.annotations).toMatchObject({ 'prometheus.io/port': '9810', 'prometheus.io/path': '/metrics' });
    for (const sm of monitors) {
      const svc = objects.find((o) => o.kind === 'Service' && o.metadata.name === 'netprobe-peers')!;
      const spec = sm.spec as Record<string, any>;
      expect(svc.metadata.labels).toMatchObject(spec.selector.matchLabels);
      expect(spec.namespaceSelector.matchNames).toEqual([svc.metadata.namespace]);
      for (const ep of spec.endpoints) {
        expect((svc.spec as any).ports.map((p: { name: string }) => p.name)).toContain(ep.port);
        expect(ep.interval, 'the fleet verdicts and alert windows assume 15 s').toBe('15s');
      }
    }
  });

  it.each(probeFlavours.map(([f]) => f))('%s: every alert has an absolute runbook URL into docs/runbooks.md', (f) => {
    const alerts = shippedRuleGroups(rendered.get(f)!).flatMap((g) => g.rules.filter((r) => r.alert));
    expect(alerts.length).toBeGreaterThan(5);
    for (const a of alerts) expect(a.annotations?.runbook_url, a.alert).toMatch(/^https:\/\/[^\s]+\/docs\/runbooks\.md#[a-z0-9-]+$/);
  });

  it('operator: ServiceMonitor and PrometheusRule carry the release label from settings.env', () => {
    const settings = readFileSync(join(OVERLAYS_DIR, 'operator', 'settings.env'), 'utf8');
    const release = /^release=(.+)$/m.exec(settings)![1];
    expect(release).toBe('kube-prometheus-stack');
    for (const kind of ['ServiceMonitor', 'PrometheusRule']) {
      const o = rendered.get('operator')!.find((x) => x.kind === kind)!;
      expect(o.metadata.labels?.release, kind).toBe(release);
    }
  });

  it('a user overlay changes the release label and the runbook base as docs/deploy.md shows', () => {
    // The snippet from docs/deploy.md, with the remote references swapped for this checkout
    // (relative: kustomize refuses absolute resource paths).
    const doc = readFileSync(join(KUBERNETES_DIR, '..', '..', 'docs', 'deploy.md'), 'utf8');
    const snippet = /```yaml\n(# my-operator-overlay\/kustomization\.yaml\n[\s\S]*?)```/.exec(doc)?.[1];
    expect(snippet, 'docs/deploy.md has the settings overlay example').toBeDefined();
    const dir = join(scratch, 'my-operator-overlay');
    mkdirSync(dir, { recursive: true });
    const local = snippet!
      .replace(/https:\/\/github\.com\/netprobe\/netprobe\/\/deploy\/kubernetes\/overlays\/operator\?ref=\S+/, relative(dir, join(OVERLAYS_DIR, 'operator')))
      .replace(/https:\/\/github\.com\/netprobe\/netprobe\/\/deploy\/kubernetes\/components\/operator-settings\?ref=\S+/, relative(dir, join(KUBERNETES_DIR, 'components', 'operator-settings')));
    expect(local).not.toMatch(/github\.com/);
    writeFileSync(join(dir, 'kustomization.yaml'), local);
    const objects = render(dir);
    const rule = objects.find((o) => o.kind === 'PrometheusRule')!;
    expect(rule.metadata.labels?.release).toBe('monitoring');
    expect(objects.find((o) => o.kind === 'ServiceMonitor')!.metadata.labels?.release).toBe('monitoring');
    const urls = shippedRuleGroups([rule]).flatMap((g) => g.rules.map((r) => r.annotations?.runbook_url).filter(Boolean));
    expect(urls.length).toBeGreaterThan(5);
    for (const u of urls) expect(u).toMatch(/^https:\/\/git\.example\.com\/platform\/netprobe\/-\/blob\/v0\.1\.0\/docs\/runbooks\.md#/);
    expect(objects.some((o) => o.metadata.name === 'netprobe-install-settings')).toBe(false);
  });

  it('the generator makes relative runbook links absolute and honours another base', () => {
    expect(absoluteRunbookUrl('docs/runbooks.md#x')).toBe(`${DEFAULT_RUNBOOK_BASE}docs/runbooks.md#x`);
    expect(absoluteRunbookUrl(`${DEFAULT_RUNBOOK_BASE}docs/runbooks.md#x`, 'https://wiki.example/np/')).toBe('https://wiki.example/np/docs/runbooks.md#x');
    expect(() => absoluteRunbookUrl('docs/runbooks.md#x', 'https://no-slash')).toThrow(/end with/);
  });

  it('grafana: one ConfigMap per dashboard, labelled for the sidecar, holding exactly dashboards/*.json', () => {
    const objects = rendered.get('grafana')!;
    const generated = renderDashboards();
    expect(objects.every((o) => o.kind === 'ConfigMap')).toBe(true);
    expect(objects).toHaveLength(Object.keys(DASHBOARDS).length);
    for (const cm of objects) {
      expect(cm.metadata.labels?.grafana_dashboard, cm.metadata.name).toBe('1');
      const data = cm.data as Record<string, string>;
      expect(Object.keys(data)).toHaveLength(1);
      const [file, text] = Object.entries(data)[0]!;
      expect(text, file).toBe(generated.get(file));
      // kubectl apply keeps a copy in an annotation, limited to 256 KiB.
      expect(Buffer.byteLength(text)).toBeLessThan(200 * 1024);
    }
  });
});
