// End to end, nothing compressed: the shipped rules file as it is, in a real
// Prometheus scraping a real netprobe daemon every 15 s (the shipped
// ServiceMonitor's interval), sending to a real Alertmanager loaded with the
// shipped deploy/alertmanager/alertmanager.yaml (only its receiver URL points at
// this test's webhook). The daemon runs in the lab's node namespace with the
// shipped probe set and intervals (test/e2e/shipped-config.ts).
//
//   1. healthy: no alert fires, no notification;
//   2. two faults at once: F2 (the node's VIP DNAT removed: a DNS fault) and F5
//      (the DNS pod's namespace drops packets over 1400 bytes without "fragmentation
//      needed": an ICMP path fault whose ceiling is also below the expected 1450,
//      the case that used to page twice). Each must page within 90 s with
//      exactly one notification, and nothing else may be sent;
//   3. the status page, in Debian's chromium, shows the failing targets (and the
//      verdicts once the daemon serves /api/verdicts); a screenshot is kept in
//      test-artifacts/;
//   4. every PromQL expression of the rules and dashboards evaluates without
//      error, with data where this run produces it.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderDashboards } from '../../dashboards/generate.ts';
import { dashboardQueries, toPromQL } from '../../dashboards/lib/queries.ts';
import { type Alertmanager, type Webhook, alertmanagerAvailable, shippedConfigFor, startAlertmanager, startWebhook } from '../alerts/alertmanager-harness.ts';
import { RULES_FILE, alertRules, recordingRules } from '../alerts/rules.ts';
import { buildServiceVipLab, Lab, removeVipDnat, requireLab, startNetprobeDaemon, type NetprobeDaemon, type ServiceVipLab } from '../lab/harness/index.ts';
import { type Prometheus, alerts, instantQuery, prometheusAvailable, startPrometheus, waitFor } from '../support/prometheus.ts';
import { labConfigFromShipped, startPeerListener } from './shipped-config.ts';

const labAvailable = requireLab({ commands: ['dnsmasq'] });
const CHROMIUM = '/usr/bin/chromium';
const missing = [
  ...(prometheusAvailable() ? [] : ['/usr/bin/prometheus (Debian "prometheus")']),
  ...(alertmanagerAvailable() ? [] : ['/usr/bin/prometheus-alertmanager (Debian "prometheus-alertmanager")']),
];
if (missing.length > 0 && process.env.CI === 'true') throw new Error(`CI: missing ${missing.join(', ')}`);
const canRun = labAvailable && missing.length === 0;

const NODE = 'lab-node';
const PEER_NODE = 'lab-dns-node';
const PORT = 9812;
/** The paging promise for a severe fault, from injection to the notification at the receiver. */
const PAGE_BUDGET_MS = 90_000;
const BLACKHOLE_RULESET = [
  'table ip np_blackhole {',
  'chain pre {',
  'type filter hook prerouting priority -300; policy accept;',
  'ip length > 1400 drop',
  '}',
  '}',
  '',
].join('\n');
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

/** Expressions allowed to return nothing in this run, with the reason. */
const NOT_PRODUCED_HERE: Record<string, string> = {
  'alert NetprobeNodeWithoutData': 'needs kube_node_info from kube-state-metrics; there is no cluster here',
  'alert NetprobeYoungNodeFailing': 'needs netprobe_node_created_timestamp_seconds from the Node object (Kubernetes discovery)',
  'alert NetprobeDiscoveryFailing': 'netprobe_discovery_watching exists only with Kubernetes discovery',
  'alert NetprobeAbsent': 'absent() is empty while netprobe is scraped: it only returns a series when data are missing',
  'alert NetprobeDNSConntrackRaceSuspected': 'relaxed to always-true, its `unless` arm (TCP stalls) removes every series',
  'alert NetprobeDNSLatencyHigh': 'relaxed to always-true, its `unless` arm (failures or stalls) removes every series',
  'alert NetprobeTCPConnectLoss': 'relaxed to always-true, its `unless` arm (ICMP loss to the node) removes every series',
  'alert NetprobePathMTUBelowExpected': 'relaxed to always-true, its `unless` arm (a black hole on the path) removes every series',
  'netprobe-dns / Stalled lookups by node and server / A': 'shows paths with stalls (> 0); this run injects none',
  'record netprobe:node_age:seconds': 'needs netprobe_node_created_timestamp_seconds (Kubernetes discovery)',
  'netprobe-nodes / Young nodes vs fleet / A': 'young nodes need the Node creation time (Kubernetes discovery)',
  'netprobe-nodes / Node age / A': 'needs the Node creation time (Kubernetes discovery)',
  'netprobe-nodes / Kubernetes discovery errors / A': 'no Kubernetes API here, so no discovery errors',
  'netprobe-nodes / Skipped runs / A': 'runs are skipped only when one outlasts its interval (overlap); may or may not happen',
  'netprobe-dns / Mismatched responses and TCP fallbacks / A': 'no spoofed or stray datagrams in the lab',
  'netprobe-dns / Mismatched responses and TCP fallbacks / B': 'the lab DNS never truncates, so no TCP fallback',
};

/** Every expression to evaluate, keyed for NOT_PRODUCED_HERE. Alert thresholds are relaxed to see the data behind them. */
function allExpressions(): { key: string; expr: string }[] {
  const out: { key: string; expr: string }[] = [];
  for (const r of recordingRules()) out.push({ key: `record ${r.record}`, expr: r.expr });
  for (const a of alertRules()) {
    out.push({ key: `alert ${a.alert} (as written)`, expr: a.expr });
    // Every comparison with a number made always-true: the joins and label sets
    // must still produce series when the data behind the alert exist.
    out.push({ key: `alert ${a.alert}`, expr: a.expr.replace(/(==|!=|>=|<=|>|<)\s*-?[0-9][0-9.e+]*/g, '>= -Inf') });
  }
  for (const [, text] of renderDashboards()) {
    const d = JSON.parse(text) as { uid: string };
    const perPanel = new Map<string, number>();
    for (const q of dashboardQueries(d)) {
      const n = perPanel.get(q.where) ?? 0;
      perPanel.set(q.where, n + 1);
      out.push({ key: `${d.uid} / ${q.where} / ${String.fromCharCode(65 + n)}`, expr: toPromQL(q.expr, '30s') });
    }
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!canRun)('lab faults through the shipped rules, Prometheus and Alertmanager: one page each, in 90 s', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netprobe-e2e-'));
  let lab: Lab;
  let vip: ServiceVipLab;
  let daemon: NetprobeDaemon | undefined;
  let prometheus: Prometheus | undefined;
  let am: Alertmanager | undefined;
  let webhook: Webhook | undefined;
  let base = '';
  let faultAt = 0;
  let pagedAt = 0;

  beforeAll(async () => {
    lab = await Lab.create(import.meta.url);
    vip = await buildServiceVipLab(lab);
    const resolvConf = join(lab.tmpDir(), 'resolv.conf');
    writeFileSync(resolvConf, `nameserver ${vip.vip}\n`);
    const configFile = join(lab.tmpDir(), 'netprobe.yaml');
    const podIp = vip.dnsServers[0]!.ip;
    await startPeerListener(lab, vip.dnsNs, podIp);
    writeFileSync(
      configFile,
      labConfigFromShipped({
        sourceNode: NODE,
        listen: `${vip.nodeHttpIp}:${PORT}`,
        vip: vip.vip,
        endpoints: [podIp],
        resolvConf,
        peers: [{ ip: podIp, node: PEER_NODE }],
        externalName: 'www.example.lab.',
      }),
    );
    base = `http://${vip.nodeHttpIp}:${PORT}`;
    webhook = await startWebhook();
    am = await startAlertmanager(dir, shippedConfigFor(webhook.url));
    daemon = await startNetprobeDaemon(lab, vip.nodeNs, configFile, 60_000);
    prometheus = await startPrometheus({
      dir,
      rulesFile: RULES_FILE,
      jobs: { netprobe: [`${vip.nodeHttpIp}:${PORT}`] },
      labels: { node: NODE },
      scrapeInterval: '15s',
      alertmanager: am.url.replace('http://', ''),
    });
  }, 120_000);

  afterAll(async () => {
    await prometheus?.stop();
    await am?.stop();
    await webhook?.close();
    await daemon?.process.stop();
    await lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const firing = async () => (await alerts(prometheus!.url)).filter((a) => a.state === 'firing');
  const describeState = async () =>
    `firing: ${JSON.stringify((await firing()).map((a) => a.labels))}\nnotifications: ${JSON.stringify(webhook!.notifications)}\n${am!.output()}\n${prometheus!.output()}`;

  it('healthy: every target answers, no alert fires, no notification', async () => {
    // Every target ran, and Prometheus has three scrapes of it (the 1m windows have data).
    await waitFor('the daemon ready', 60_000, async () => ((await fetch(`${base}/readyz`)).ok ? true : undefined));
    await waitFor('three scrapes in Prometheus', 90_000, async () => {
      const r = await instantQuery(prometheus!.url, 'count_over_time(up{job="netprobe"}[1m]) >= 3', Date.now() / 1000);
      return r.series > 0 ? true : undefined;
    });
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) {
      for (const a of await firing()) seen.add(JSON.stringify(a.labels));
      await sleep(2000);
    }
    expect([...seen], await describeState()).toEqual([]);
    expect(webhook!.notifications).toEqual([]);
  }, 200_000);

  it('F2 (VIP not translated) and F5 (PMTU black hole) injected at once: one notification each within 90 s, nothing else', async () => {
    faultAt = Date.now();
    await removeVipDnat(vip);
    // The DNS pod's namespace silently drops packets over 1400 bytes (a middlebox that
    // drops instead of answering "fragmentation needed"): a black hole with a 1400
    // ceiling where the shipped config expects 1450.
    await lab.nft(vip.dnsNs, BLACKHOLE_RULESET);
    const paged = await waitFor('F2 and F5 notifications', PAGE_BUDGET_MS + 30_000, async () => {
      const modes = new Set(webhook!.notifications.flatMap((n) => n.alerts.map((a) => a.labels.failure_mode)));
      return modes.has('F2') && modes.has('F5') ? true : undefined;
    }).catch(async (error: Error) => {
      throw new Error(`${error.message}\n${await describeState()}`);
    });
    expect(paged).toBe(true);
    pagedAt = Date.now();
    const seconds = (mode: string) => (webhook!.notifications.find((n) => n.alerts.some((a) => a.labels.failure_mode === mode))!.at - faultAt) / 1000;
    console.log(`paged after injection: F2 ${seconds('F2').toFixed(1)} s, F5 ${seconds('F5').toFixed(1)} s`);
    expect(seconds('F2')).toBeLessThanOrEqual(PAGE_BUDGET_MS / 1000);
    expect(seconds('F5')).toBeLessThanOrEqual(PAGE_BUDGET_MS / 1000);
    // Nothing more may arrive: wait two evaluation rounds past the last page plus group_wait.
    await sleep(40_000);
    const got = webhook!.notifications.map((n) => n.alerts.map((a) => `${a.labels.alertname}/${a.labels.failure_mode}/${a.labels.source_node}/${a.labels.target}`));
    expect(got.sort(), await describeState()).toEqual(
      [[`NetprobeDNSServiceVIPNotTranslated/F2/${NODE}/${vip.vip}:53`], [`NetprobePMTUBlackhole/F5/${NODE}/${vip.dnsServers[0]!.ip}`]].sort(),
    );
    // The F4 shortfall exists (1400 < 1450) but is F5's, not a second page.
    const firingNames = new Set((await firing()).map((a) => a.labels.alertname));
    expect(firingNames.has('NetprobePathMTUBelowExpected')).toBe(false);
  }, 240_000);

  it('the status page in chromium shows the failing targets during the fault', async () => {
    expect(pagedAt).toBeGreaterThan(0);
    const { chromium } = await import('playwright-core');
    // No hostname is ever resolved (the page's URL is an IP; every other name maps to nothing)
    // and Chromium's background services are off: it talks to the lab daemon only.
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        `--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE ${vip.nodeHttpIp}`,
        '--disable-background-networking',
        '--disable-component-update',
        '--no-pings',
      ],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const external: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith(base)) external.push(r.url());
      });
      const res = await page.goto(`${base}/`, { waitUntil: 'load', timeout: 30_000 });
      expect(res?.status()).toBe(200);
      const vipRow = page.locator(`tr[data-target="${vip.vip}:53"]`).first();
      await expect.poll(async () => (await vipRow.textContent()) ?? '', { timeout: 30_000 }).toMatch(/FAIL/);
      expect(await page.locator('tr.fail').count()).toBeGreaterThan(0);
      expect(await page.locator('svg.spark').count()).toBeGreaterThan(0);
      // Verdicts: once the daemon serves /api/verdicts the page must show F2 on top.
      const api = await fetch(`${base}/api/verdicts`);
      if (api.ok) {
        const { verdicts } = (await api.json()) as { verdicts: { failure: string }[] };
        if (verdicts.some((v) => v.failure === 'F2')) await expect.poll(() => page.locator('section.verdict[data-failure="F2"]').count(), { timeout: 30_000 }).toBeGreaterThan(0);
      }
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'status-page-f2-f5.png'), fullPage: true });
      expect(external).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 90_000);

  it('every rule and dashboard expression evaluates without error, with data where this run produces it', async () => {
    expect(faultAt).toBeGreaterThan(0);
    const exprs = allExpressions();
    expect(exprs.length).toBeGreaterThan(100);
    const errors: string[] = [];
    const empty: string[] = [];
    const allowedEmpty: string[] = [];
    const healthyAt = faultAt / 1000 - 1;
    const now = Date.now() / 1000;
    for (const { key, expr } of exprs) {
      const before = await instantQuery(prometheus!.url, expr, healthyAt);
      const during = await instantQuery(prometheus!.url, expr, now);
      const error = before.error ?? during.error;
      if (error) {
        errors.push(`${key}: ${error}\n    ${expr}`);
        continue;
      }
      if (before.series + during.series > 0 || key.endsWith('(as written)')) continue;
      if (NOT_PRODUCED_HERE[key]) allowedEmpty.push(`${key}: ${NOT_PRODUCED_HERE[key]}`);
      else empty.push(`${key}\n    ${expr}`);
    }
    console.log(`evaluated ${exprs.length} expressions at 2 times; empty by design here:\n  ${allowedEmpty.join('\n  ')}`);
    expect(errors).toEqual([]);
    expect(empty).toEqual([]);
  }, 180_000);
});
