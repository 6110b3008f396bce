// Generates the prometheus-operator PrometheusRule from the plain rules file, so
// the two can never disagree. The plain file stays the source of truth because
// promtool reads it directly.
//
//   npx node deploy/prometheus/generate-prometheusrule.ts          writes the manifest
//   npx node deploy/prometheus/generate-prometheusrule.ts --check  exits 1 if it is stale
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

export const RULES_PATH = fileURLToPath(new URL('./netprobe-rules.yaml', import.meta.url));
export const PROMETHEUS_RULE_PATH = fileURLToPath(
  new URL('../kubernetes/operator/prometheusrule.yaml', import.meta.url),
);

const HEADER = [
  '# Generated from deploy/prometheus/netprobe-rules.yaml by deploy/prometheus/generate-prometheusrule.ts.',
  '# Do not edit: change the rules file and run `npx node deploy/prometheus/generate-prometheusrule.ts`.',
  '',
].join('\n');

/** Wraps the groups of a Prometheus rules file in a PrometheusRule manifest (YAML text). */
export function renderPrometheusRule(rulesYaml: string): string {
  const rules = parse(rulesYaml) as { groups?: unknown };
  if (!rules || !Array.isArray(rules.groups) || rules.groups.length === 0) {
    throw new Error('rules file: expected a top-level "groups" list with at least one group');
  }
  const manifest = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: {
      name: 'netprobe',
      labels: {
        'app.kubernetes.io/name': 'netprobe',
        'app.kubernetes.io/component': 'alerting',
      },
    },
    spec: { groups: rules.groups },
  };
  return HEADER + stringify(manifest, { lineWidth: 0 });
}

function main(argv: string[]): number {
  const rendered = renderPrometheusRule(readFileSync(RULES_PATH, 'utf8'));
  if (argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(PROMETHEUS_RULE_PATH, 'utf8');
    } catch {
      // Missing counts as stale.
    }
    if (current !== rendered) {
      process.stderr.write(`${PROMETHEUS_RULE_PATH} is stale: run npx node deploy/prometheus/generate-prometheusrule.ts\n`);
      return 1;
    }
    return 0;
  }
  writeFileSync(PROMETHEUS_RULE_PATH, rendered);
  process.stdout.write(`wrote ${PROMETHEUS_RULE_PATH}\n`);
  return 0;
}

if (import.meta.main) process.exitCode = main(process.argv.slice(2));
