// Packages the plain rules file for the install flavours, so the copies can
// never disagree with it. The plain file stays the source of truth because
// promtool reads it directly.
//
//   - overlays/operator/prometheusrule.yaml: the groups wrapped in a PrometheusRule;
//   - overlays/annotations/netprobe-rules.yaml: the rule file itself, which the
//     overlay turns into the ConfigMap netprobe-rules (kustomize reads files only
//     from inside the overlay, hence a copy).
//
// Both get absolute runbook URLs: a relative `docs/...` link in the source is
// prefixed with the runbook base, and the default base is swapped for
// --runbook-base when given. The operator flavour can change the base again
// at install time (a kustomize replacement, docs/deploy.md, "Settings").
//
//   npx node deploy/prometheus/generate-prometheusrule.ts            write both
//   npx node deploy/prometheus/generate-prometheusrule.ts --check    exit 1 if either is stale
//   npx node deploy/prometheus/generate-prometheusrule.ts --runbook-base URL   (your fork's copies)
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

export const RULES_PATH = fileURLToPath(new URL('./netprobe-rules.yaml', import.meta.url));
export const PROMETHEUS_RULE_PATH = fileURLToPath(new URL('../kubernetes/overlays/operator/prometheusrule.yaml', import.meta.url));
export const RULES_CONFIGMAP_FILE = fileURLToPath(new URL('../kubernetes/overlays/annotations/netprobe-rules.yaml', import.meta.url));
/** Where the repository tree is published; runbook links are <base>docs/runbooks.md#anchor. */
export const DEFAULT_RUNBOOK_BASE = 'https://github.com/netprobe/netprobe/blob/main/';

const HEADER = (what: string) =>
  [
    `# Generated from deploy/prometheus/netprobe-rules.yaml by deploy/prometheus/generate-prometheusrule.ts (${what}).`,
    '# Do not edit: change the rules file and run `npm run docs`.',
    '',
  ].join('\n');

interface Rule {
  annotations?: Record<string, string>;
  [k: string]: unknown;
}

function groupsOf(rulesYaml: string): { name: string; rules: Rule[] }[] {
  const rules = parse(rulesYaml) as { groups?: unknown };
  if (!rules || !Array.isArray(rules.groups) || rules.groups.length === 0) {
    throw new Error('rules file: expected a top-level "groups" list with at least one group');
  }
  return rules.groups as { name: string; rules: Rule[] }[];
}

/** One runbook URL made absolute against `base` (which ends in "/"). */
export function absoluteRunbookUrl(url: string, base = DEFAULT_RUNBOOK_BASE): string {
  if (!base.endsWith('/')) throw new Error(`runbook base must end with "/": ${base}`);
  if (url.startsWith(DEFAULT_RUNBOOK_BASE)) return base + url.slice(DEFAULT_RUNBOOK_BASE.length);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return url;
  return base + url.replace(/^\.?\//, '');
}

function withAbsoluteRunbooks<T extends { rules: Rule[] }>(groups: T[], base: string): T[] {
  return groups.map((g) => ({
    ...g,
    rules: g.rules.map((r) =>
      r.annotations?.runbook_url ? { ...r, annotations: { ...r.annotations, runbook_url: absoluteRunbookUrl(r.annotations.runbook_url, base) } } : r,
    ),
  }));
}

/** Wraps the groups of a Prometheus rules file in a PrometheusRule manifest (YAML text). */
export function renderPrometheusRule(rulesYaml: string, base = DEFAULT_RUNBOOK_BASE): string {
  const manifest = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: {
      name: 'netprobe',
      labels: {
        'app.kubernetes.io/name': 'netprobe',
        'app.kubernetes.io/component': 'alerting',
        // Overwritten from overlays/operator/settings.env at build time.
        release: 'kube-prometheus-stack',
      },
    },
    spec: { groups: withAbsoluteRunbooks(groupsOf(rulesYaml), base) },
  };
  return HEADER('PrometheusRule') + stringify(manifest, { lineWidth: 0 });
}

/** The rules file as a Prometheus loads it, with absolute runbook URLs. */
export function renderRuleFile(rulesYaml: string, base = DEFAULT_RUNBOOK_BASE): string {
  return HEADER('rule file') + stringify({ groups: withAbsoluteRunbooks(groupsOf(rulesYaml), base) }, { lineWidth: 0 });
}

export function renderAll(rulesYaml: string, base = DEFAULT_RUNBOOK_BASE): Map<string, string> {
  return new Map([
    [PROMETHEUS_RULE_PATH, renderPrometheusRule(rulesYaml, base)],
    [RULES_CONFIGMAP_FILE, renderRuleFile(rulesYaml, base)],
  ]);
}

function main(argv: string[]): number {
  const i = argv.indexOf('--runbook-base');
  const base = i >= 0 ? argv[i + 1] : DEFAULT_RUNBOOK_BASE;
  if (!base || !/^https?:\/\/\S+\/$/.test(base)) {
    process.stderr.write('--runbook-base: expected an http(s) URL ending in "/", e.g. https://git.example.com/netprobe/blob/main/\n');
    return 2;
  }
  let stale = 0;
  for (const [path, text] of renderAll(readFileSync(RULES_PATH, 'utf8'), base)) {
    if (argv.includes('--check')) {
      let current = '';
      try {
        current = readFileSync(path, 'utf8');
      } catch {
        // Missing counts as stale.
      }
      if (current !== text) {
        process.stderr.write(`${path} is stale: run npm run docs\n`);
        stale++;
      }
    } else {
      writeFileSync(path, text);
      process.stdout.write(`wrote ${path}\n`);
    }
  }
  return stale > 0 ? 1 : 0;
}

if (import.meta.main) process.exitCode = main(process.argv.slice(2));
