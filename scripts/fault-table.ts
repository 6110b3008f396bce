// Runs every lab fault (and a healthy period) through the whole chain as shipped
// and writes the table "fault | verdict | seconds to verdict | seconds to page |
// notifications" between the fault-table markers in docs/diagnosis.md. Not a CI
// test: it takes about half an hour. Needs root (network namespaces), dnsmasq,
// Prometheus and Alertmanager (Debian packages).
//
//   sudo npx node scripts/fault-table.ts                 # every fault + 10 min healthy
//   sudo npx node scripts/fault-table.ts --only F2,F5 --healthy-minutes 0 --hold 120 --no-write
//
// Per fault, a fresh lab (test/lab/harness): the daemon in the node namespace with
// the shipped probes and intervals (test/e2e/shipped-config.ts), a real Prometheus
// scraping it every 15 s with deploy/prometheus/netprobe-rules.yaml unmodified, a
// real Alertmanager with deploy/alertmanager/alertmanager.yaml (receiver pointed at
// a local webhook). After 60 s healthy, the fault goes in; "seconds to verdict" is
// the first /api/verdicts answer naming the fault's F-number (n/a while the daemon
// has no /api/verdicts), "seconds to page" the first notification, and
// "notifications" counts every notification up to HOLD_S after injection. Every
// wait is bounded; all traffic stays inside the lab's namespaces and loopback.
import { readFileSync, writeFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { shippedConfigFor, startAlertmanager, startWebhook } from '../test/alerts/alertmanager-harness.ts';
import { RULES_FILE } from '../test/alerts/rules.ts';
import { startPrometheus } from '../test/support/prometheus.ts';
import { labConfigFromShipped, shippedPeerPort, startPeerListener } from '../test/e2e/shipped-config.ts';
import {
  breakUpstream,
  buildServiceVipLab,
  deleteRoute,
  injectConntrackRace,
  Lab,
  labUnavailableReasons,
  removeVipDnat,
  startNetprobeDaemon,
  stopDnsServer,
  type ServiceVipLab,
  type ServiceVipLabOptions,
} from '../test/lab/harness/index.ts';

const DOC = fileURLToPath(new URL('../docs/diagnosis.md', import.meta.url));
const BEGIN = '<!-- fault-table:begin (scripts/fault-table.ts writes this section) -->';
const END = '<!-- fault-table:end -->';
const WARMUP_S = 60;
/** Seconds after injection during which notifications are counted (--hold). */
let HOLD_S = 240;

interface Fault {
  id: string;
  what: string;
  lab?: ServiceVipLabOptions;
  inject?: (lab: Lab, vip: ServiceVipLab) => Promise<void>;
  /** Why this fault cannot be shown in the lab. */
  skip?: string;
}

const nftRules = (...lines: string[]) => [...lines, ''].join('\n');
const FAULTS: Fault[] = [
  { id: 'F1', what: 'conntrack race on the VIP (2nd packet of a UDP flow dropped)', inject: (_l, v) => injectConntrackRace(v) },
  { id: 'F2', what: 'VIP DNAT removed on the node', inject: (_l, v) => removeVipDnat(v) },
  { id: 'F3', what: 'route to the DNS pods\' subnet deleted', inject: (_l, v) => deleteRoute(v) },
  {
    id: 'F4',
    what: 'node link MTU 1400, expected path MTU 1450',
    inject: (l, v) => l.setMtu(v.nodeNs, v.links.nodeToDns.node, 1400),
  },
  {
    id: 'F5',
    what: 'packets over 1400 B dropped silently on the path',
    inject: (l, v) =>
      l.nft(v.dnsNs, nftRules('table ip np_blackhole {', 'chain pre {', 'type filter hook prerouting priority -300; policy accept;', 'ip length > 1400 drop', '}', '}')),
  },
  { id: 'F6', what: 'upstream DNS drops queries', lab: { upstream: true }, inject: (_l, v) => breakUpstream(v) },
  { id: 'F7', what: 'one of two CoreDNS replicas stopped', lab: { replicas: 2 }, inject: (_l, v) => stopDnsServer(v, 1) },
  { id: 'F8', what: 'new node joins broken', skip: 'needs the Node creation time (Kubernetes discovery); the lab has no API server' },
  {
    id: 'F9',
    what: 'peer port rejected by a firewall rule',
    inject: (l, v) =>
      l.nft(v.dnsNs, nftRules('table ip np_portclosed {', 'chain in {', 'type filter hook input priority 0; policy accept;', `tcp dport ${shippedPeerPort()} reject with tcp reset`, '}', '}')),
  },
];

interface Row {
  fault: string;
  verdict: string;
  verdictS: string;
  pageS: string;
  notifications: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function verdicts(base: string): Promise<string[] | undefined> {
  try {
    const res = await fetch(`${base}/api/verdicts`, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) return undefined;
    const body = (await res.json()) as { verdicts?: { failure: string }[] };
    return (body.verdicts ?? []).map((v) => v.failure);
  } catch {
    return undefined;
  }
}

/** One fault (or, with `fault` undefined, a healthy period of `healthyS`). */
async function measure(fault: Fault | undefined, healthyS: number): Promise<Row> {
  const label = fault ? `${fault.id} ${fault.what}` : `healthy, ${Math.round(healthyS / 60)} min`;
  if (fault?.skip) return { fault: label, verdict: `not run: ${fault.skip}`, verdictS: '-', pageS: '-', notifications: '-' };
  const dir = mkdtempSync(join(tmpdir(), 'netprobe-fault-table-'));
  const lab = await Lab.create(import.meta.url);
  const stops: (() => Promise<void>)[] = [];
  try {
    const vip = await buildServiceVipLab(lab, fault?.lab ?? {});
    const resolvConf = join(lab.tmpDir(), 'resolv.conf');
    writeFileSync(resolvConf, `nameserver ${vip.vip}\n`);
    const podIps = vip.dnsServers.map((d) => d.ip);
    for (const ip of podIps) await startPeerListener(lab, vip.dnsNs, ip);
    const listen = `${vip.nodeHttpIp}:9812`;
    const configFile = join(lab.tmpDir(), 'netprobe.yaml');
    writeFileSync(
      configFile,
      labConfigFromShipped({
        sourceNode: 'lab-node',
        listen,
        vip: vip.vip,
        endpoints: podIps,
        resolvConf,
        peers: podIps.map((ip, i) => ({ ip, node: `lab-dns-node-${i}` })),
        externalName: 'www.example.lab.',
      }),
    );
    const webhook = await startWebhook();
    stops.push(() => webhook.close());
    const am = await startAlertmanager(dir, shippedConfigFor(webhook.url));
    stops.push(() => am.stop());
    const daemon = await startNetprobeDaemon(lab, vip.nodeNs, configFile, 60_000);
    stops.push(() => daemon.process.stop());
    const prom = await startPrometheus({
      dir,
      rulesFile: RULES_FILE,
      jobs: { netprobe: [listen] },
      labels: { node: 'lab-node' },
      scrapeInterval: '15s',
      alertmanager: am.url.replace('http://', ''),
    });
    stops.push(() => prom.stop());
    const base = `http://${listen}`;
    await sleep(WARMUP_S * 1000);
    const before = webhook.notifications.length;
    const t0 = Date.now();
    if (fault) await fault.inject!(lab, vip);
    const horizon = fault ? HOLD_S : healthyS;
    let verdictAt: number | undefined;
    let verdictSeen = '';
    let apiSeen = false;
    while (Date.now() - t0 < horizon * 1000) {
      const v = await verdicts(base);
      if (v !== undefined) apiSeen = true;
      if (fault && v && verdictAt === undefined && v.includes(fault.id)) {
        verdictAt = Date.now();
        verdictSeen = v.join(' ');
      } else if (!fault && v && v.length > 0 && !verdictSeen) verdictSeen = v.join(' ');
      await sleep(2000);
    }
    const sent = webhook.notifications.slice(before);
    const first = sent[0];
    const pages = sent.map((n) => [...new Set(n.alerts.map((a) => `${a.labels.alertname}${a.labels.failure_mode ? ` (${a.labels.failure_mode})` : ''}`))].join('+'));
    return {
      fault: label,
      verdict: apiSeen ? verdictSeen || 'none' : 'n/a (no /api/verdicts)',
      verdictS: verdictAt ? ((verdictAt - t0) / 1000).toFixed(0) : '-',
      pageS: first ? ((first.at - t0) / 1000).toFixed(0) : 'no page',
      notifications: `${sent.length}${pages.length ? `: ${pages.join(', ')}` : ''}`,
    };
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

function table(rows: Row[]): string {
  const lines = ['| fault | verdict | seconds to verdict | seconds to page | notifications |', '|---|---|---|---|---|'];
  for (const r of rows) lines.push(`| ${r.fault} | ${r.verdict} | ${r.verdictS} | ${r.pageS} | ${r.notifications} |`);
  return lines.join('\n');
}

function writeDoc(rows: Row[]): void {
  const section = `${BEGIN}\n\nMeasured by \`sudo npx node scripts/fault-table.ts\` on ${new Date().toISOString().slice(0, 10)}: shipped probe intervals, 15 s scrape, shipped rules and Alertmanager config; notifications counted for ${HOLD_S} s after injection.\n\n${table(rows)}\n\n${END}`;
  const text = existsSync(DOC) ? readFileSync(DOC, 'utf8') : '# Diagnosis\n';
  const i = text.indexOf(BEGIN);
  const j = text.indexOf(END);
  const out = i >= 0 && j > i ? text.slice(0, i) + section + text.slice(j + END.length) : `${text.trimEnd()}\n\n## Fault table\n\n${section}\n`;
  writeFileSync(DOC, out);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const arg = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const reasons = labUnavailableReasons({ commands: ['dnsmasq'] });
  if (reasons.length > 0) {
    console.error(`fault-table: the lab cannot run here: ${reasons.join('; ')}`);
    process.exit(2);
  }
  const only = arg('--only')?.split(',');
  HOLD_S = Number(arg('--hold') ?? HOLD_S);
  const healthyMinutes = Number(arg('--healthy-minutes') ?? 10);
  const parallel = Math.max(1, Number(arg('--parallel') ?? 3));
  const jobs: (Fault | undefined)[] = [...FAULTS.filter((f) => !only || only.includes(f.id)), ...(healthyMinutes > 0 ? [undefined] : [])];
  const rows: Row[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, jobs.length) }, async () => {
      while (next < jobs.length) {
        const i = next++;
        const job = jobs[i];
        console.error(`fault-table: ${job ? job.id : 'healthy'} ...`);
        rows[i] = await measure(job, healthyMinutes * 60).catch((error: Error) => ({
          fault: job ? `${job.id} ${job.what}` : 'healthy',
          verdict: `error: ${error.message.split('\n')[0]}`,
          verdictS: '-',
          pageS: '-',
          notifications: '-',
        }));
        console.error(`fault-table: ${table([rows[i]!]).split('\n')[2]}`);
      }
    }),
  );
  console.log(table(rows));
  if (!args.includes('--no-write')) writeDoc(rows);
}

await main();
