// What an install flavour ships for Prometheus, read back from its rendered objects.
import { parse } from 'yaml';
import type { K8sObject } from './kustomize.ts';

export interface Group {
  name: string;
  rules: { record?: string; alert?: string; annotations?: Record<string, string> }[];
}

/** The rule groups a flavour ships: PrometheusRule specs and rule files in ConfigMaps. */
export function shippedRuleGroups(objects: K8sObject[]): Group[] {
  const groups: Group[] = [];
  for (const o of objects) {
    if (o.kind === 'PrometheusRule') groups.push(...(o.spec as { groups: Group[] }).groups);
    if (o.kind === 'ConfigMap') {
      for (const [key, text] of Object.entries((o.data as Record<string, string>) ?? {})) {
        if (!/\.ya?ml$/.test(key)) continue;
        const doc = parse(text) as { groups?: Group[] } | null;
        if (doc && Array.isArray(doc.groups)) groups.push(...doc.groups);
      }
    }
  }
  return groups;
}
