// The Helm chart (generated from the kustomize flavours by deploy/helm/generate.ts)
// rendered with a real `helm template`: it must give back exactly the objects
// of the matching kustomize flavour (so every check in manifests.test.ts holds
// for it too), pass the same schemas, honour its values and refuse bad ones.
// helm comes from scripts/install-helm.sh (PATH, or a pinned npm package);
// with CI=true a missing helm fails.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHART_DIR, renderChart } from '../../deploy/helm/generate.ts';
import { OVERLAYS_DIR, type K8sObject, kustomizeAvailable, parseObjects, render, repoRoot } from './kustomize.ts';
import { shippedRuleGroups } from './shipped.ts';
import { validate } from './schemas.ts';

function findHelm(): string | undefined {
  try {
    return execFileSync(join(repoRoot, 'scripts', 'install-helm.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 }).trim();
  } catch (error) {
    if (process.env.CI === 'true') throw new Error(`CI: no helm (scripts/install-helm.sh): ${(error as { stderr?: string }).stderr ?? error}`);
    return undefined;
  }
}
const helm = kustomizeAvailable ? findHelm() : undefined;

function template(sets: string[]): K8sObject[] {
  const args = ['template', 'netprobe', CHART_DIR, '--namespace', 'netprobe', ...sets.flatMap((s) => ['--set', s])];
  return parseObjects(execFileSync(helm!, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }), `helm ${sets.join(' ')}`);
}

/** Objects keyed by kind/namespace/name, the config ConfigMap's hash suffix (kustomize's vs the chart's) made equal. */
function normalised(objects: K8sObject[]): Map<string, unknown> {
  const text = JSON.stringify(objects).replace(/netprobe-config-[a-z0-9]{10}/g, 'netprobe-config-HASH');
  return new Map((JSON.parse(text) as K8sObject[]).filter((o) => o.kind !== 'Namespace').map((o) => [`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`, o]));
}

describe.skipIf(!helm)('Helm chart', () => {
  it('the committed chart is what deploy/helm/generate.ts makes of the kustomize flavours', () => {
    for (const [file, text] of renderChart()) expect(readFileSync(join(CHART_DIR, file), 'utf8'), file).toBe(text);
  });

  it('helm lint passes', () => {
    const out = execFileSync(helm!, ['lint', CHART_DIR], { encoding: 'utf8' });
    expect(out).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it.each([
    ['annotations', ['scraping=annotations'], ['annotations']],
    ['operator', ['scraping=operator'], ['operator']],
    ['operator + dashboards', ['scraping=operator', 'dashboards.enabled=true'], ['operator', 'grafana']],
    ['annotations + dashboards', ['dashboards.enabled=true'], ['annotations', 'grafana']],
  ] as const)('%s renders the same objects as kubectl kustomize, each passing its schema', async (_name, sets, overlays) => {
    const fromHelm = template([...sets]);
    for (const o of fromHelm) await validate(o);
    const fromKustomize = normalised(overlays.flatMap((o) => render(join(OVERLAYS_DIR, o))));
    const got = normalised(fromHelm);
    expect([...got.keys()].sort()).toEqual([...fromKustomize.keys()].sort());
    for (const [key, o] of got) expect(o, key).toEqual(fromKustomize.get(key));
  });

  it('values reach the objects: image, release label, runbook base, config (with a new ConfigMap name)', () => {
    const objects = template([
      'scraping=operator',
      'image.repository=registry.example/netprobe',
      'image.tag=1.2.3',
      'release=monitoring',
      'runbookBase=https://wiki.example/np/',
      'config=listen: 0.0.0.0:9810',
    ]);
    const ds = objects.find((o) => o.kind === 'DaemonSet')!;
    const pod = (ds.spec as any).template.spec;
    expect(pod.containers[0].image).toBe('registry.example/netprobe:1.2.3');
    for (const kind of ['ServiceMonitor', 'PrometheusRule']) expect(objects.find((o) => o.kind === kind)!.metadata.labels?.release).toBe('monitoring');
    const urls = shippedRuleGroups(objects).flatMap((g) => g.rules.map((r) => r.annotations?.runbook_url).filter(Boolean));
    expect(urls.length).toBeGreaterThan(5);
    for (const u of urls) expect(u).toMatch(/^https:\/\/wiki\.example\/np\/docs\/runbooks\.md#/);
    const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('netprobe-config-'))!;
    expect(cm.data).toEqual({ 'config.yaml': 'listen: 0.0.0.0:9810' });
    expect(pod.volumes.find((v: { configMap?: { name: string } }) => v.configMap)!.configMap.name).toBe(cm.metadata.name);
    const defaults = template([]).find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('netprobe-config-'))!;
    expect(defaults.metadata.name).not.toBe(cm.metadata.name);
  });

  it('installs into the release namespace, keeping the DNS Role in kube-system and the kubernetes Service Role in default', () => {
    const objects = parseObjects(execFileSync(helm!, ['template', 'np', CHART_DIR, '--namespace', 'probes'], { encoding: 'utf8' }), 'helm -n probes');
    const fixed: Record<string, string> = { 'netprobe-dns': 'kube-system', 'netprobe-api-service': 'default' };
    for (const o of objects) {
      if (['ClusterRole', 'ClusterRoleBinding', 'PriorityClass'].includes(o.kind)) continue;
      expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe(fixed[o.metadata.name] ?? 'probes');
    }
    for (const b of objects.filter((o) => o.kind.endsWith('Binding'))) expect((b.subjects as { namespace: string }[])[0]!.namespace).toBe('probes');
  });

  it('refuses an unknown scraping mode and a runbook base without a trailing slash', () => {
    expect(() => template(['scraping=podmonitor'])).toThrow(/scraping: "podmonitor" is not one of annotations, operator/);
    expect(() => template(['runbookBase=https://x.example/np'])).toThrow(/runbookBase must end with/);
  });
});
