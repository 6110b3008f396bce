// Loads the rules file and the promtool unit-test files as data, for the
// structural checks (coverage, docs, metric names) in this folder.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const RULES_FILE = `${ROOT}deploy/prometheus/netprobe-rules.yaml`;
export const TESTS_DIR = `${ROOT}deploy/prometheus/tests`;

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
export interface RecordingRule {
  record: string;
  expr: string;
}
export interface RuleGroup {
  name: string;
  rules: (AlertRule | RecordingRule)[];
}

export function loadGroups(text = readFileSync(RULES_FILE, 'utf8')): RuleGroup[] {
  return (parse(text) as { groups: RuleGroup[] }).groups;
}

export function alertRules(groups = loadGroups()): AlertRule[] {
  return groups.flatMap((g) => g.rules.filter((r): r is AlertRule => 'alert' in r));
}

export function recordingRules(groups = loadGroups()): RecordingRule[] {
  return groups.flatMap((g) => g.rules.filter((r): r is RecordingRule => 'record' in r));
}

export function promtoolTestFiles(): string[] {
  return readdirSync(TESTS_DIR)
    .filter((f) => f.endsWith('.test.yaml'))
    .sort()
    .map((f) => `${TESTS_DIR}/${f}`);
}

interface AlertCase {
  eval_time: string;
  alertname: string;
  exp_alerts?: unknown[] | null;
}
interface PromtoolTest {
  name?: string;
  alert_rule_test?: AlertCase[];
}

/** Per alert name: how many promtool cases expect it firing and how many expect nothing. */
export function alertCaseCounts(files = promtoolTestFiles()): Map<string, { firing: number; notFiring: number }> {
  const counts = new Map<string, { firing: number; notFiring: number }>();
  for (const file of files) {
    const doc = parse(readFileSync(file, 'utf8')) as { tests?: PromtoolTest[] };
    for (const test of doc.tests ?? []) {
      for (const c of test.alert_rule_test ?? []) {
        const entry = counts.get(c.alertname) ?? { firing: 0, notFiring: 0 };
        if ((c.exp_alerts ?? []).length > 0) entry.firing++;
        else entry.notFiring++;
        counts.set(c.alertname, entry);
      }
    }
  }
  return counts;
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to dashes. */
export function githubAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

export function markdownAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const line of markdown.split('\n')) {
    const m = /^#{1,6}\s+(.*)$/.exec(line);
    if (m) anchors.add(githubAnchor(m[1]!));
  }
  return anchors;
}

/** Every alert case with its test name, for the timing checks. */
export function timedCases(files = promtoolTestFiles()): { test: string; alertname: string; eval_time: string; firing: boolean }[] {
  const out: { test: string; alertname: string; eval_time: string; firing: boolean }[] = [];
  for (const file of files) {
    const doc = parse(readFileSync(file, 'utf8')) as { tests?: PromtoolTest[] };
    for (const test of doc.tests ?? []) {
      for (const c of test.alert_rule_test ?? []) {
        out.push({ test: test.name ?? '', alertname: c.alertname, eval_time: c.eval_time, firing: (c.exp_alerts ?? []).length > 0 });
      }
    }
  }
  return out;
}
