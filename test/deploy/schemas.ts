// Validates rendered objects against the Kubernetes OpenAPI schemas
// (kubernetes-models) and the prometheus-operator CRD schemas
// (@kubernetes-models/prometheus-operator). An object of a kind neither knows
// is an error, so a new kind cannot slip through unchecked.
import type { K8sObject } from './kustomize.ts';

/** apiVersion -> the module holding its model classes. */
function modelModule(apiVersion: string): string {
  if (apiVersion.startsWith('monitoring.coreos.com/')) return `@kubernetes-models/prometheus-operator/${apiVersion}`;
  return `kubernetes-models/${apiVersion}`;
}

export async function validate(o: K8sObject): Promise<void> {
  let mod: Record<string, new (data: unknown) => { validate(): void }>;
  try {
    mod = (await import(modelModule(o.apiVersion))) as typeof mod;
  } catch {
    throw new Error(`no schema module for apiVersion ${o.apiVersion} (${o.kind} ${o.metadata?.name})`);
  }
  const Model = mod[o.kind];
  if (!Model) throw new Error(`no schema for ${o.apiVersion} ${o.kind}`);
  try {
    new Model(o).validate();
  } catch (error) {
    throw new Error(`${o.kind}/${o.metadata?.name}: ${(error as Error).message}`);
  }
}

/** Kinds the cluster keeps outside any namespace. */
export const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'PriorityClass', 'CustomResourceDefinition']);
