// A small Kustomize renderer for the features deploy/kubernetes uses, so tests
// can check what `kubectl apply -k` would send without kubectl here:
// resources (files and directories with a kustomization), namespace, labels,
// configMapGenerator (files, with the content-hash name suffix and the
// references to it rewritten), images, and JSON 6902 patches with a target.
// Any other field is refused, so a manifest change this does not understand
// fails the tests instead of being silently ignored.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export interface Rendered {
  objects: K8sObject[];
  /** Every file read, relative path -> text. */
  files: Map<string, string>;
}

const SUPPORTED = new Set(['apiVersion', 'kind', 'namespace', 'labels', 'resources', 'configMapGenerator', 'images', 'patches']);
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'PriorityClass', 'CustomResourceDefinition']);

export function parseYamlFile(path: string): unknown[] {
  const docs = parseAllDocuments(readFileSync(path, 'utf8'));
  const out: unknown[] = [];
  for (const doc of docs) {
    if (doc.errors.length) throw new Error(`${path}: ${doc.errors[0]!.message}`);
    const value = doc.toJS();
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

export function render(dir: string, files = new Map<string, string>()): Rendered {
  const kpath = join(dir, 'kustomization.yaml');
  if (!existsSync(kpath)) throw new Error(`${dir}: no kustomization.yaml`);
  const k = parseYamlFile(kpath)[0] as Record<string, unknown>;
  files.set(kpath, readFileSync(kpath, 'utf8'));
  for (const key of Object.keys(k)) if (!SUPPORTED.has(key)) throw new Error(`${kpath}: field "${key}" is not understood by the test renderer`);
  if (k.apiVersion !== 'kustomize.config.k8s.io/v1beta1' || k.kind !== 'Kustomization') throw new Error(`${kpath}: not a Kustomization`);

  let objects: K8sObject[] = [];
  for (const res of (k.resources as string[]) ?? []) {
    const path = join(dir, res);
    if (!existsSync(path)) throw new Error(`${kpath}: resource ${res} does not exist`);
    if (statSync(path).isDirectory()) objects.push(...render(path, files).objects);
    else {
      files.set(path, readFileSync(path, 'utf8'));
      objects.push(...(parseYamlFile(path) as K8sObject[]));
    }
  }

  const renames = new Map<string, string>();
  for (const gen of (k.configMapGenerator as { name: string; files?: string[]; literals?: string[] }[]) ?? []) {
    const data: Record<string, string> = {};
    for (const f of gen.files ?? []) {
      const path = join(dir, f);
      data[basename(f)] = readFileSync(path, 'utf8');
      files.set(path, data[basename(f)]!);
    }
    for (const lit of gen.literals ?? []) {
      const i = lit.indexOf('=');
      data[lit.slice(0, i)] = lit.slice(i + 1);
    }
    // Kustomize hashes the object; any stable content hash gives the same behaviour (new name per content).
    const hash = createHash('sha256').update(JSON.stringify(data)).digest('hex').slice(0, 10);
    const name = `${gen.name}-${hash}`;
    renames.set(gen.name, name);
    objects.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data });
  }

  const namespace = k.namespace as string | undefined;
  if (namespace) {
    for (const o of objects) {
      if (!CLUSTER_SCOPED.has(o.kind)) o.metadata.namespace = namespace;
      // Kustomize also moves ServiceAccount subjects of (Cluster)RoleBindings into the namespace.
      if (o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding') {
        for (const s of (o.subjects as { kind: string; namespace?: string }[]) ?? []) if (s.kind === 'ServiceAccount') s.namespace = namespace;
      }
    }
  }
  for (const l of (k.labels as { pairs: Record<string, string>; includeSelectors?: boolean }[]) ?? []) {
    if (l.includeSelectors) throw new Error(`${kpath}: labels.includeSelectors is not supported by the test renderer`);
    for (const o of objects) o.metadata.labels = { ...o.metadata.labels, ...l.pairs };
  }
  for (const img of (k.images as { name: string; newName?: string; newTag?: string }[]) ?? []) {
    for (const c of containersOf(objects)) {
      if (c.image === img.name || c.image.startsWith(`${img.name}:`)) c.image = `${img.newName ?? img.name}:${img.newTag ?? 'latest'}`;
    }
  }
  for (const o of objects) {
    const volumes = podSpec(o)?.volumes as { configMap?: { name: string } }[] | undefined;
    for (const v of volumes ?? []) if (v.configMap && renames.has(v.configMap.name)) v.configMap.name = renames.get(v.configMap.name)!;
  }
  for (const p of (k.patches as { target: { kind?: string; name?: string }; patch: string }[]) ?? []) {
    const ops = parseAllDocuments(p.patch)[0]!.toJS() as { op: string; path: string; value?: unknown }[];
    const targets = objects.filter((o) => (!p.target.kind || o.kind === p.target.kind) && (!p.target.name || o.metadata.name === p.target.name));
    if (targets.length === 0) throw new Error(`${kpath}: patch target ${JSON.stringify(p.target)} matches nothing`);
    for (const o of targets) for (const op of ops) applyOp(o, op, kpath);
  }
  objects = objects.map((o) => structuredClone(o));
  return { objects, files };
}

function applyOp(o: K8sObject, op: { op: string; path: string; value?: unknown }, where: string): void {
  const parts = op.path.split('/').slice(1).map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
  const last = parts.pop()!;
  let node: Record<string, unknown> = o;
  for (const part of parts) {
    node = node[part] as Record<string, unknown>;
    if (node === undefined) throw new Error(`${where}: patch path ${op.path} does not exist`);
  }
  if (op.op === 'remove') {
    if (!(last in node)) throw new Error(`${where}: patch removes missing ${op.path}`);
    delete node[last];
  } else if (op.op === 'add' || op.op === 'replace') node[last] = op.value;
  else throw new Error(`${where}: patch op ${op.op} not supported by the test renderer`);
}

export function podSpec(o: K8sObject): Record<string, unknown> | undefined {
  const spec = o.spec as { template?: { spec?: Record<string, unknown> } } | undefined;
  return spec?.template?.spec;
}

export function containersOf(objects: K8sObject[]): { name: string; image: string; [k: string]: unknown }[] {
  return objects.flatMap((o) => {
    const spec = podSpec(o);
    return [...((spec?.containers as []) ?? []), ...((spec?.initContainers as []) ?? [])];
  });
}

export const repoRoot = join(dirname(new URL(import.meta.url).pathname), '..', '..');
