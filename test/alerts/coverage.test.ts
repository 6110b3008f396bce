// Structural checks on the rules: every alert is tested both ways, carries what
// an on-call engineer needs, links to a runbook that exists, and uses only
// metric names from the catalog (src/metrics/catalog.ts).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { INSTRUMENTS } from '../../src/metrics/catalog.ts';
import {
  PROMETHEUS_RULE_PATH,
  renderPrometheusRule,
} from '../../deploy/prometheus/generate-prometheusrule.ts';
import { ROOT, RULES_FILE, alertCaseCounts, alertRules, loadGroups, markdownAnchors, recordingRules } from './rules.ts';

const alerts = alertRules();
const records = recordingRules();
const cases = alertCaseCounts();

/** Series netprobe does not export itself: Prometheus' own and kube-state-metrics'. */
const EXTERNAL_METRICS = new Set(['up', 'kube_node_info']);

function exportedNames(): Set<string> {
  const names = new Set<string>();
  for (const spec of Object.values(INSTRUMENTS)) {
    names.add(spec.name);
    if (spec.type === 'histogram') for (const s of ['_bucket', '_count', '_sum']) names.add(spec.name + s);
  }
  return names;
}

function durationSeconds(text: string): number {
  const m = /^(\d+)([smh])$/.exec(text);
  if (!m) throw new Error(`unexpected duration ${text}`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2] as 's' | 'm' | 'h'];
}

describe('alert rules', () => {
  it('cover at least the failure modes the product promises', () => {
    const names = alerts.map((a) => a.alert);
    for (const required of [
      'NetprobeDNSStalls',
      'NetprobeDNSServiceVIPFailing',
      'NetprobeCoreDNSEndpointFailing',
      'NetprobeDNSLatencyHigh',
      'NetprobeDNSUpstreamFailing',
      'NetprobeDNSConntrackRaceSuspected',
      'NetprobeDNSServiceVIPNotTranslated',
      'NetprobeTCPConnectLoss',
      'NetprobePathMTUBelowExpected',
      'NetprobePMTUBlackhole',
      'NetprobeYoungNodeFailing',
      'NetprobeNodeWithoutData',
    ]) {
      expect(names).toContain(required);
    }
    expect(new Set(names).size).toBe(names.length);
  });

  it.each(alerts.map((a) => [a.alert, a] as const))('%s has a firing and a not-firing promtool case', (name) => {
    const c = cases.get(name);
    expect(c, `no promtool case for ${name} in deploy/prometheus/tests`).toBeDefined();
    expect(c!.firing, `${name}: no case with exp_alerts`).toBeGreaterThan(0);
    expect(c!.notFiring, `${name}: no case with exp_alerts: []`).toBeGreaterThan(0);
  });

  it('promtool cases name only alerts that exist', () => {
    const names = new Set(alerts.map((a) => a.alert));
    for (const name of cases.keys()) expect(names.has(name), name).toBe(true);
  });

  it.each(alerts.map((a) => [a.alert, a] as const))('%s has severity, summary, description and a runbook', (name, rule) => {
    expect(['critical', 'warning']).toContain(rule.labels?.severity);
    expect(rule.annotations?.summary?.length ?? 0).toBeGreaterThan(10);
    const description = rule.annotations?.description ?? '';
    expect(description).toMatch(/Check first:/);
    // Names where to look: the source node, the scrape target, or (for the fleet-wide
    // CoreDNS endpoint alert) the endpoint. NetprobeAbsent has no labels to name.
    if (name !== 'NetprobeAbsent') expect(description).toMatch(/\$labels\.(source_node|node|instance|server)/);
    // The alert's lowercased name, or a named anchor (#config-reload-failing); the heading check is below.
    expect(rule.annotations?.runbook_url).toMatch(/^docs\/runbooks\.md#[a-z0-9-]+$/);
    // Paging at night: no alert may fire on a single bad evaluation.
    expect(durationSeconds(rule.for ?? '0s')).toBeGreaterThanOrEqual(300);
  });

  it('every runbook link points at a heading in docs/runbooks.md', () => {
    const anchors = markdownAnchors(readFileSync(`${ROOT}docs/runbooks.md`, 'utf8'));
    for (const rule of alerts) {
      const anchor = rule.annotations!.runbook_url!.split('#')[1]!;
      expect(anchors.has(anchor), `docs/runbooks.md has no heading for #${anchor}`).toBe(true);
    }
  });

  it('docs/alerts.md lists every alert with its runbook link', () => {
    const doc = readFileSync(`${ROOT}docs/alerts.md`, 'utf8');
    for (const rule of alerts) {
      expect(doc, rule.alert).toContain(`### ${rule.alert}`);
      expect(doc, rule.alert).toContain(rule.annotations!.runbook_url!.replace(/^docs\//, ''));
    }
    for (const rule of records) expect(doc, rule.record).toContain(`\`${rule.record}\``);
  });

  it('use only metric names from the catalog, recording rules, up and kube_node_info', () => {
    const exported = exportedNames();
    const recorded = new Set(records.map((r) => r.record));
    for (const group of loadGroups()) {
      for (const rule of group.rules) {
        for (const [name] of rule.expr.matchAll(/\bnetprobe_[a-z0-9_]+\b/g)) {
          expect(exported.has(name), `${name} (in ${'alert' in rule ? rule.alert : rule.record}) is not in the catalog`).toBe(true);
        }
        for (const [name] of rule.expr.matchAll(/\bnetprobe:[a-z0-9_:]+/g)) {
          expect(recorded.has(name), `${name} is not a recording rule`).toBe(true);
        }
        for (const [, name] of rule.expr.matchAll(/(?:^|[\s(])([a-z_]+)\{/g)) {
          if (!name!.startsWith('netprobe')) expect(EXTERNAL_METRICS.has(name!), name).toBe(true);
        }
      }
    }
  });

  it('recording rules follow netprobe:<metric>:<operation>', () => {
    for (const rule of records) expect(rule.record).toMatch(/^netprobe:[a-z0-9_]+:[a-z0-9_]+$/);
  });

  it('the PrometheusRule manifest equals the one generated from the rules file', () => {
    const generated = renderPrometheusRule(readFileSync(RULES_FILE, 'utf8'));
    expect(readFileSync(PROMETHEUS_RULE_PATH, 'utf8')).toBe(generated);
  });
});
