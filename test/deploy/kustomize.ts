// Renders the install flavours with the real `kubectl kustomize` (kustomize is
// built into kubectl), exactly as `kubectl apply -k` would send them. The tool
// is found on PATH or at /usr/bin/kubectl, or a standalone `kustomize` binary;
// with CI=true a missing tool fails the tests instead of skipping them.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export const repoRoot = join(dirname(new URL(import.meta.url).pathname), '..', '..');
export const KUBERNETES_DIR = join(repoRoot, 'deploy', 'kubernetes');
export const BASE_DIR = join(KUBERNETES_DIR, 'base');
export const OVERLAYS_DIR = join(KUBERNETES_DIR, 'overlays');

/** Every install flavour: each directory of deploy/kubernetes/overlays with a kustomization. */
export function flavours(): string[] {
  return readdirSync(OVERLAYS_DIR)
    .filter((d) => statSync(join(OVERLAYS_DIR, d)).isDirectory() && existsSync(join(OVERLAYS_DIR, d, 'kustomization.yaml')))
    .sort();
}

interface Tool {
  cmd: string;
  args: (dir: string) => string[];
}

function findTool(): Tool | undefined {
  const onPath = (name: string) =>
    (process.env.PATH ?? '')
      .split(':')
      .map((d) => join(d, name))
      .find((p) => existsSync(p));
  const kubectl = onPath('kubectl') ?? (existsSync('/usr/bin/kubectl') ? '/usr/bin/kubectl' : undefined);
  if (kubectl) return { cmd: kubectl, args: (dir) => ['kustomize', dir] };
  const kustomize = onPath('kustomize');
  if (kustomize) return { cmd: kustomize, args: (dir) => ['build', dir] };
  return undefined;
}

const tool = findTool();
if (!tool && process.env.CI === 'true') {
  throw new Error('CI: neither kubectl nor kustomize found (kubectl >= 1.27 has kustomize v5 built in)');
}
export const kustomizeAvailable = tool !== undefined;

/** The tool's version line, for failure messages. */
export function kustomizeVersion(): string {
  if (!tool) return 'none';
  return execFileSync(tool.cmd, tool.cmd.endsWith('kubectl') ? ['version', '--client'] : ['version'], { encoding: 'utf8' }).trim();
}

export function parseObjects(text: string, where: string): K8sObject[] {
  const out: K8sObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length) throw new Error(`${where}: ${doc.errors[0]!.message}`);
    const value = doc.toJS() as K8sObject | null;
    if (value) out.push(value);
  }
  return out;
}

/** `kubectl kustomize DIR` as text; throws with kustomize's own message on failure. */
export function kustomizeText(dir: string): string {
  if (!tool) throw new Error('kustomize is not available');
  try {
    return execFileSync(tool.cmd, tool.args(dir), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`kustomize ${dir}: ${e.stderr?.trim() || e.message}`);
  }
}

const cache = new Map<string, K8sObject[]>();
/** The objects `kubectl apply -k DIR` would send (rendered once per directory). */
export function render(dir: string): K8sObject[] {
  if (!cache.has(dir)) cache.set(dir, parseObjects(kustomizeText(dir), dir));
  return structuredClone(cache.get(dir)!);
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
