// Every dashboard panel against a real Prometheus per install flavour: the
// rules each flavour ships (taken from its `kubectl kustomize` output: the
// PrometheusRule of operator, the rules ConfigMap of annotations) loaded into
// their own Prometheus, all scraping one running netprobe. A reference
// Prometheus loads deploy/prometheus/netprobe-rules.yaml itself. Each flavour
// must give data for every panel query the reference gives data for, and the
// reference must cover every panel but the few that need a cluster (listed).
//
// Time is compressed by one factor (compressTime, 15): 5m windows become 20 s.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderDashboards } from '../../dashboards/generate.ts';
import { dashboardQueries, toPromQL } from '../../dashboards/lib/queries.ts';
import { RULES_PATH } from '../../deploy/prometheus/generate-prometheusrule.ts';
import { type Netprobe, compressTime, startNetprobe } from '../e2e/prometheus-harness.ts';
import { type Prometheus, instantQuery, prometheusAvailable, startPrometheus, waitFor } from '../support/prometheus.ts';
import { OVERLAYS_DIR, flavours, kustomizeAvailable, render } from './kustomize.ts';
import { shippedRuleGroups } from './shipped.ts';

const NODE = 'flavour-node';
const WINDOW_SECONDS = 20;
const asRoot = process.getuid?.() === 0;
if (process.env.CI === 'true' && !prometheusAvailable()) throw new Error('CI: /usr/bin/prometheus is missing (Debian package "prometheus")');

/** Panel queries that cannot have data without a cluster, with the reason. */
const NEEDS_A_CLUSTER: Record<string, string> = {
  'netprobe-nodes / Young nodes vs fleet': 'needs the Node creation time (Kubernetes discovery)',
  'netprobe-nodes / Node age': 'needs the Node creation time (Kubernetes discovery)',
  'netprobe-nodes / Kubernetes discovery errors': 'no Kubernetes API here',
  'netprobe-nodes / Skipped runs': 'runs are skipped only when one outlasts its interval',
  'netprobe-dns / Mismatched responses and TCP fallbacks': 'no stray datagrams or truncation on loopback',
  'netprobe-dns / Stalled lookups by node and server': 'lists only paths with stalls (> 0); no fault is injected here (test/e2e does)',
};
/** Grafana annotations show firing alerts only; with no fault none fires (test/e2e covers alerts). */
const isAlertAnnotation = (panel: string) => panel.endsWith(' / annotation netprobe alerts');

function netprobeConfig(tcpPort: number): string {
  const dns = (name: string, transport: string, mode: string, targetKind: string) => `
  - name: ${name}
    kind: dns
    every: 1s
    servers: [embedded]
    targetKind: ${targetKind}
    names: [kubernetes.default.svc.cluster.local, example.com]
    transport: ${transport}
    mode: ${mode}
    timeout: 2s`;
  const icmp = `
  - name: mtu
    kind: icmp
    every: 5s
    timeout: 3s
    targets: [{ host: 127.0.0.1, node: ${NODE} }]
    sizes: [84, 1500]
    search: { min: 68, max: 1500 }
    expectedMtu: 1500
    targetKind: peer`;
  return `sourceNode: ${NODE}
listen: 127.0.0.1:0
probes:${dns('vip-parallel', 'udp', 'parallel', 'service_vip')}${dns('vip-reopen', 'udp', 'reopen', 'service_vip')}${dns('vip-tcp', 'tcp', 'parallel', 'service_vip')}${dns('endpoint-reopen', 'udp', 'reopen', 'endpoint')}
  - name: tcp-peer
    kind: tcp
    every: 1s
    targets: [{ address: "127.0.0.1:${tcpPort}", node: ${NODE} }]
    count: 2
    interval: 100ms
    targetKind: peer${asRoot ? icmp : ''}
`;
}

/** Every dashboard query, keyed "uid / panel / A". */
function panelQueries(): { key: string; panel: string; expr: string }[] {
  const out: { key: string; panel: string; expr: string }[] = [];
  for (const [, text] of renderDashboards()) {
    const d = JSON.parse(text) as { uid: string };
    const seen = new Map<string, number>();
    for (const q of dashboardQueries(d)) {
      const n = seen.get(q.where) ?? 0;
      seen.set(q.where, n + 1);
      out.push({ key: `${d.uid} / ${q.where} / ${String.fromCharCode(65 + n)}`, panel: `${d.uid} / ${q.where}`, expr: toPromQL(q.expr, '30s') });
    }
  }
  return out;
}

const canRun = prometheusAvailable() && kustomizeAvailable;

describe.skipIf(!canRun)('every dashboard panel has data with every flavour’s rules (real Prometheus)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netprobe-flavour-prom-'));
  const probeFlavours = flavours().filter((f) => render(join(OVERLAYS_DIR, f)).some((o) => o.kind === 'DaemonSet'));
  const instances = new Map<string, Prometheus>();
  let tcpServer: Server;
  let netprobe: Netprobe | undefined;

  beforeAll(async () => {
    tcpServer = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => tcpServer.listen(0, '127.0.0.1', resolve));
    const configFile = join(dir, 'netprobe.yaml');
    writeFileSync(configFile, netprobeConfig((tcpServer.address() as { port: number }).port));
    netprobe = await startNetprobe(configFile);
    const sources: [string, string][] = [['reference', readFileSync(RULES_PATH, 'utf8')]];
    for (const f of probeFlavours) sources.push([f, stringify({ groups: shippedRuleGroups(render(join(OVERLAYS_DIR, f))) })]);
    for (const [name, text] of sources) {
      const sub = join(dir, name);
      mkdirSync(sub);
      writeFileSync(join(sub, 'rules.yaml'), compressTime(text, 300 / WINDOW_SECONDS));
      instances.set(name, await startPrometheus({ dir: sub, rulesFile: join(sub, 'rules.yaml'), jobs: { netprobe: [netprobe.address] }, labels: { node: NODE } }));
    }
  }, 120_000);

  afterAll(async () => {
    await netprobe?.stop();
    for (const p of instances.values()) await p.stop();
    await new Promise((r) => tcpServer?.close(r));
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('finds the annotations and operator flavours', () => {
    expect(probeFlavours).toEqual(expect.arrayContaining(['annotations', 'operator']));
  });

  it('each flavour answers every panel query the reference answers, and the reference all but the cluster-only ones', async () => {
    // Recording rules over 20 s windows: wait until they have two windows of data everywhere.
    for (const [name, p] of instances) {
      await waitFor(`${name}: recorded DNS lookups`, 60_000, async () =>
        (await instantQuery(p.url, 'sum(netprobe:dns_lookups:rate5m) > 0', Date.now() / 1000)).series > 0 ? true : undefined,
      );
    }
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, WINDOW_SECONDS * 1000));
    const at = Date.now() / 1000;
    const queries = panelQueries();
    expect(queries.length).toBeGreaterThan(50);
    const has = new Map<string, Set<string>>();
    const errors: string[] = [];
    for (const [name, p] of instances) {
      const set = new Set<string>();
      for (const q of queries) {
        const r = await instantQuery(p.url, q.expr, at);
        if (r.error) errors.push(`${name}: ${q.key}: ${r.error}`);
        else if (r.series > 0) set.add(q.key);
      }
      has.set(name, set);
    }
    expect(errors).toEqual([]);
    const reference = has.get('reference')!;
    const unexplained = queries.filter((q) => !reference.has(q.key) && !NEEDS_A_CLUSTER[q.panel] && !isAlertAnnotation(q.panel) && (asRoot || !q.panel.startsWith('netprobe-mtu'))).map((q) => `${q.key}\n    ${q.expr}`);
    expect(unexplained, 'reference Prometheus: panels without data').toEqual([]);
    for (const f of probeFlavours) {
      const missing = [...reference].filter((k) => !has.get(f)!.has(k));
      expect(missing, `${f}: panels with data on the reference but not with this flavour's rules`).toEqual([]);
    }
    console.log(`panel queries with data: ${[...has].map(([n, s]) => `${n} ${s.size}/${queries.length}`).join(', ')} (${Math.round((Date.now() - t0) / 1000)} s)`);
  }, 150_000);
});
