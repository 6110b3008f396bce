// The shipped Alertmanager config (deploy/alertmanager/alertmanager.yaml) in a real
// Alertmanager: each fault's alerts, posted as Prometheus posts them (the symptom a
// second before the alert that explains it), give exactly one notification at the
// webhook receiver. Each scenario has its own `cluster` label, so they run side by
// side in one Alertmanager without touching each other. A second Alertmanager with
// the inhibitions removed shows that the test can fail: there the MTU fault pages twice.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALERTMANAGER_CONFIG,
  type Alertmanager,
  type Webhook,
  alertmanagerAvailable,
  shippedConfigFor,
  startAlertmanager,
  startWebhook,
} from './alertmanager-harness.ts';

const canRun = alertmanagerAvailable();
if (!canRun && process.env.CI === 'true') throw new Error('CI: /usr/bin/prometheus-alertmanager is missing (Debian package "prometheus-alertmanager")');

type Labels = Record<string, string>;
const f = (mode: string, alertname: string, labels: Labels): Labels => ({ alertname, failure_mode: mode, severity: 'critical', ...labels });
const sym = (alertname: string, labels: Labels): Labels => ({ alertname, severity: 'warning', ...labels });

interface Scenario {
  cluster: string;
  /** Posted first: what the fault also looks like. */
  symptoms: Labels[];
  /** Posted a second later: the alerts that should page. */
  causes: Labels[];
  /** Expected notifications: each is the list of alertnames it carries. */
  expect: string[][];
}

const N = { source_node: 'node-a' };
const PATH = { ...N, target: '198.18.2.2', target_node: 'node-b' };
const VIP = { ...N, server: '198.19.0.10:53', target: '198.19.0.10:53' };
const SCENARIOS: Scenario[] = [
  {
    cluster: 'pmtu-blackhole',
    symptoms: [f('F4', 'NetprobePathMTUBelowExpected', { ...PATH, probe: 'peers-mtu' })],
    causes: [f('F5', 'NetprobePMTUBlackhole', PATH)],
    expect: [['NetprobePMTUBlackhole']],
  },
  {
    cluster: 'vip-broken',
    symptoms: [
      sym('NetprobeDNSLatencyHigh', { ...N, server: '198.19.0.10:53', target_kind: 'service_vip' }),
      sym('NetprobeDNSStalls', { ...N, server: '198.19.0.10:53', transport: 'udp', mode: 'reopen' }),
    ],
    causes: [f('F2', 'NetprobeDNSServiceVIPNotTranslated', VIP)],
    expect: [['NetprobeDNSServiceVIPNotTranslated']],
  },
  {
    cluster: 'node-b-unreachable',
    symptoms: [f('F9', 'NetprobeTCPConnectLoss', { ...N, target: '198.18.2.2:9810', target_kind: 'peer', target_node: 'node-b' })],
    causes: [f('F3', 'NetprobeCrossNodePathFailing', PATH)],
    expect: [['NetprobeCrossNodePathFailing']],
  },
  {
    cluster: 'new-node-broken',
    symptoms: [
      f('F2', 'NetprobeDNSServiceVIPNotTranslated', { ...VIP, source_node: 'node-new' }),
      f('F3', 'NetprobeCrossNodePathFailing', { source_node: 'node-new' }),
      f('F9', 'NetprobeTCPConnectLoss', { source_node: 'node-new', target: '198.18.2.2:9810', target_kind: 'peer', target_node: 'node-b' }),
    ],
    causes: [f('F8', 'NetprobeYoungNodeFailing', { source_node: 'node-new' })],
    expect: [['NetprobeYoungNodeFailing']],
  },
  {
    cluster: 'coredns-replica-down',
    symptoms: [
      sym('NetprobeDNSLatencyHigh', { source_node: 'node-a', server: '198.19.0.10:53', target_kind: 'service_vip' }),
      sym('NetprobeDNSLatencyHigh', { source_node: 'node-b', server: '198.19.0.10:53', target_kind: 'service_vip' }),
    ],
    causes: [f('F7', 'NetprobeCoreDNSEndpointFailing', { server: '198.18.16.11:53', target: '198.18.16.11:53' })],
    expect: [['NetprobeCoreDNSEndpointFailing']],
  },
  {
    // One fault seen from every node: one notification listing the nodes.
    cluster: 'vip-broken-everywhere',
    symptoms: [],
    causes: ['node-a', 'node-b', 'node-c'].map((n) => f('F2', 'NetprobeDNSServiceVIPNotTranslated', { ...VIP, source_node: n })),
    expect: [['NetprobeDNSServiceVIPNotTranslated', 'NetprobeDNSServiceVIPNotTranslated', 'NetprobeDNSServiceVIPNotTranslated']],
  },
  {
    // Two faults at once are two notifications, one each.
    cluster: 'two-faults',
    symptoms: [],
    causes: [f('F1', 'NetprobeDNSConntrackRaceSuspected', VIP), f('F5', 'NetprobePMTUBlackhole', { ...PATH, source_node: 'node-c' })],
    expect: [['NetprobeDNSConntrackRaceSuspected'], ['NetprobePMTUBlackhole']],
  },
];

async function play(am: Alertmanager, scenarios: Scenario[]): Promise<void> {
  const withCluster = (ls: Labels[], cluster: string) => ls.map((labels) => ({ labels: { ...labels, cluster } }));
  const symptoms = scenarios.flatMap((s) => withCluster(s.symptoms, s.cluster));
  if (symptoms.length > 0) await am.post(symptoms);
  await new Promise((r) => setTimeout(r, 1000));
  await am.post(scenarios.flatMap((s) => withCluster(s.causes, s.cluster)));
}

/** Per cluster label: each notification's alertnames, sorted. */
function byCluster(webhook: Webhook): Map<string, string[][]> {
  const out = new Map<string, string[][]>();
  for (const n of webhook.notifications) {
    const cluster = n.alerts[0]?.labels.cluster ?? '?';
    const list = out.get(cluster) ?? [];
    list.push(n.alerts.map((a) => a.labels.alertname!).sort());
    out.set(cluster, list);
  }
  for (const list of out.values()) list.sort((a, b) => a.join().localeCompare(b.join()));
  return out;
}

describe.skipIf(!canRun)('Alertmanager with the shipped inhibitions: one fault, one notification', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netprobe-am-'));
  let shipped: { am: Alertmanager; webhook: Webhook };
  let control: { am: Alertmanager; webhook: Webhook };

  beforeAll(async () => {
    const start = async (inhibit: boolean) => {
      const webhook = await startWebhook();
      const am = await startAlertmanager(dir, shippedConfigFor(webhook.url, { inhibit }));
      return { am, webhook };
    };
    [shipped, control] = await Promise.all([start(true), start(false)]);
    await Promise.all([play(shipped.am, SCENARIOS), play(control.am, SCENARIOS.slice(0, 1))]);
    // group_wait is 5 s; wait well past it so a late second notification would be seen.
    await new Promise((r) => setTimeout(r, 12_000));
  }, 60_000);

  afterAll(async () => {
    await Promise.all([shipped?.am.stop(), control?.am.stop(), shipped?.webhook.close(), control?.webhook.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('amtool accepts the shipped file', () => {
    const out = execFileSync('amtool', ['check-config', ALERTMANAGER_CONFIG], { encoding: 'utf8' });
    expect(out).toMatch(/SUCCESS/);
    expect(out).toMatch(/6 inhibit rules/);
  });

  it.each(SCENARIOS.map((s) => [s.cluster, s] as const))('%s: exactly the expected notifications', (cluster, scenario) => {
    const got = byCluster(shipped.webhook).get(cluster) ?? [];
    expect(got, shipped.am.output()).toEqual(scenario.expect.map((e) => [...e].sort()));
  });

  it('without the inhibitions the MTU fault pages twice (the test can fail)', () => {
    const got = byCluster(control.webhook).get('pmtu-blackhole') ?? [];
    expect(got).toHaveLength(2);
    expect(got).toContainEqual(['NetprobePMTUBlackhole']);
    expect(got).toContainEqual(['NetprobePathMTUBelowExpected']);
  });
});
