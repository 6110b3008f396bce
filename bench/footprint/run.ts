// Footprint bench: `npm run bench:footprint [ROUNDS]` (default 3).
//
// Measures the shipped artefact (bin/netprobe -> dist/) as a user starts it,
// beside its reference tools in the same run, each round with fresh processes:
//   - daemon memory: `netprobe run` on the embedded default (8 DNS targets,
//     its own loopback responder) vs prometheus-blackbox-exporter answering
//     a DNS /probe every second against a local dnsmasq, both running side by
//     side for SETTLE_MS with a Prometheus-like scrape every 5 s; VmRSS each
//     second: steady (median of the last 10 s) and peak (a young daemon's
//     heap grows for ~20 s until V8's first full collection shrinks it, so one
//     reading at a fixed time lands on either side of that step), private
//     memory (without the shared executable pages) at the end, and an idle
//     `node -e` as the floor any Node program starts from;
//   - CLI start to first output: `netprobe mtu 127.0.0.1` vs `dig` against the
//     same dnsmasq, plus `netprobe --version` and bare `node -e` as the floor.
// Prints min / median / max and ratios. Loopback only; bounded (~150 s).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, startDnsmasq } from '../../test/support/dnsmasq.ts';
import { fmtRatio, fmtSpread, privateMb, rssMb, type Spread, spread, startProcess, stopProcess, timeCommand } from './measure.ts';

const ROUNDS = Math.max(3, Number(process.argv[2] ?? 3));
const CLI_ROUNDS = Math.max(5, ROUNDS);
const SETTLE_MS = 40_000;
const STEADY_SAMPLES = 10;
const ROOT = path.resolve(import.meta.dirname, '../..');
const NETPROBE = path.join(ROOT, 'bin/netprobe');
const NODE = path.join(ROOT, 'node_modules/.bin/node');
const BLACKBOX = '/usr/bin/prometheus-blackbox-exporter';
const DIG = '/usr/bin/dig';
const NAME = 'a.netprobe.test';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function scrape(url: string): Promise<void> {
  await (await fetch(url)).text();
}

interface Memory {
  /** Median VmRSS of the last STEADY_SAMPLES seconds. */
  rss: number;
  /** Highest VmRSS of the window. */
  peak: number;
  priv: number;
}

/** VmRSS once a second per process, summarised as steady and peak. */
class RssSamples {
  readonly #samples: number[] = [];
  readonly pid: number;
  constructor(pid: number) {
    this.pid = pid;
  }
  take(): void {
    this.#samples.push(rssMb(this.pid));
  }
  memory(): Memory {
    const last = this.#samples.slice(-STEADY_SAMPLES);
    return { rss: spread(last).median, peak: Math.max(...this.#samples), priv: privateMb(this.pid) };
  }
}

/** One round: both daemons up at once, same window, same scrape cadence. */
async function daemonRound(dir: string, dnsPort: number): Promise<{ netprobe: Memory; blackbox: Memory; node: Memory }> {
  const config = path.join(dir, 'blackbox.yml');
  writeFileSync(
    config,
    ['modules:', '  dns:', '    prober: dns', '    timeout: 5s', '    dns:', `      query_name: ${NAME}`, '      query_type: A', '      transport_protocol: udp', '      preferred_ip_protocol: ip4', '      ip_protocol_fallback: false', ''].join('\n'),
  );
  const bbPort = await freePort();
  const np = await startProcess(NETPROBE, ['run', '--listen', '127.0.0.1:0', '--log-level', 'warn'], /metrics at (http:\/\/[\d.:]+)\/metrics/);
  // The floor: Node itself, idle, nothing loaded.
  const idle = await startProcess(NODE, ['-e', 'console.log("up"); setInterval(() => {}, 1000)'], /up/);
  const bb = await startProcess(BLACKBOX, [`--config.file=${config}`, `--web.listen-address=127.0.0.1:${bbPort}`], /Listening on|msg="Listening/, 15_000).catch(async (error) => {
    await Promise.all([stopProcess(np.child), stopProcess(idle.child)]);
    throw error;
  });
  try {
    const npUrl = np.match[1]!;
    const bbUrl = `http://127.0.0.1:${bbPort}`;
    const probe = `${bbUrl}/probe?target=127.0.0.1:${dnsPort}&module=dns`;
    const samples = [np.child.pid!, bb.child.pid!, idle.child.pid!].map((pid) => new RssSamples(pid));
    const start = Date.now();
    for (let s = 1; Date.now() - start < SETTLE_MS; s++) {
      for (const sample of samples) sample.take();
      await scrape(probe);
      if (s % 5 === 0) await Promise.all([scrape(`${npUrl}/metrics`), scrape(`${bbUrl}/metrics`)]);
      await sleep(Math.max(0, start + s * 1000 - Date.now()));
    }
    const [netprobe, blackbox, node] = samples.map((sample) => sample.memory()) as [Memory, Memory, Memory];
    return { netprobe, blackbox, node };
  } finally {
    await Promise.all([stopProcess(np.child), stopProcess(bb.child), stopProcess(idle.child)]);
  }
}

const started = performance.now();
const dir = mkdtempSync(path.join(tmpdir(), 'netprobe-bench-footprint-'));
const dns = await startDnsmasq();
const mem = { npRss: [] as number[], npPeak: [] as number[], bbPeak: [] as number[], npPriv: [] as number[], bbRss: [] as number[], bbPriv: [] as number[], nodeRss: [] as number[], nodePriv: [] as number[] };
const cli = { mtu: [] as number[], mtuExit: [] as number[], version: [] as number[], node: [] as number[], dig: [] as number[], digExit: [] as number[] };
try {
  for (let r = 0; r < ROUNDS; r++) {
    const { netprobe, blackbox, node } = await daemonRound(dir, dns.port);
    mem.nodeRss.push(node.rss);
    mem.nodePriv.push(node.priv);
    mem.npRss.push(netprobe.rss);
    mem.npPeak.push(netprobe.peak);
    mem.bbPeak.push(blackbox.peak);
    mem.npPriv.push(netprobe.priv);
    mem.bbRss.push(blackbox.rss);
    mem.bbPriv.push(blackbox.priv);
  }
  // Interleaved so each tool sees the same load on the shared machine.
  for (let r = 0; r < CLI_ROUNDS; r++) {
    const mtu = await timeCommand(NETPROBE, ['mtu', '127.0.0.1']);
    if (mtu.code !== 0) throw new Error(`netprobe mtu 127.0.0.1 exited ${mtu.code}: ${mtu.output}`);
    cli.mtu.push(mtu.firstOutputMs);
    cli.mtuExit.push(mtu.exitMs);
    const dig = await timeCommand(DIG, [`@127.0.0.1`, '-p', String(dns.port), NAME, 'A', '+tries=1', '+time=2']);
    if (dig.code !== 0 || !dig.output.includes('192.0.2.1')) throw new Error(`dig failed (${dig.code}): ${dig.output}`);
    cli.dig.push(dig.firstOutputMs);
    cli.digExit.push(dig.exitMs);
    cli.version.push((await timeCommand(NETPROBE, ['--version'])).firstOutputMs);
    cli.node.push((await timeCommand(NODE, ['-e', 'console.log(1)'])).firstOutputMs);
  }
} finally {
  await dns.stop();
  rmSync(dir, { recursive: true, force: true });
}

const s = (v: number[]): Spread => spread(v);
const row = (what: string, v: Spread, digits: number, vs = ''): string => `${what.padEnd(52)} ${fmtSpread(v, digits).padStart(22)}  ${vs}`;
const npRss = s(mem.npRss);
const bbRss = s(mem.bbRss);
const mtu = s(cli.mtu);
const dig = s(cli.dig);
const lines = [
  `Footprint bench: ${ROUNDS} daemon rounds of ${SETTLE_MS / 1000} s (RSS each second; steady = median of the last ${STEADY_SAMPLES} s), ${CLI_ROUNDS} CLI rounds (node ${process.version}, ${NETPROBE})`,
  '',
  `${'daemon memory, MB'.padEnd(52)} ${'min / median / max'.padStart(22)}  ratio of medians (best..worst)`,
  row('netprobe run, embedded default: RSS, steady', npRss, 1, `${fmtRatio(npRss, bbRss)} of blackbox`),
  row('  peak over the window', s(mem.npPeak), 1, `${fmtRatio(s(mem.npPeak), s(mem.bbPeak))} of blackbox`),
  row('  of which private (not shared executable pages)', s(mem.npPriv), 1),
  row('blackbox_exporter, 1 DNS /probe per s: RSS, steady', bbRss, 1),
  row('  peak over the window', s(mem.bbPeak), 1),
  row('  of which private', s(mem.bbPriv), 1),
  row('idle node -e (floor: Node itself): RSS', s(mem.nodeRss), 1),
  row('  of which private', s(mem.nodePriv), 1),
  '',
  `${'CLI, ms from spawn to first output'.padEnd(52)} ${'min / median / max'.padStart(22)}`,
  row('netprobe mtu 127.0.0.1', mtu, 0, `${fmtRatio(mtu, dig)} of dig`),
  row('  (to exit)', s(cli.mtuExit), 0),
  row('netprobe --version', s(cli.version), 0),
  row('node -e console.log(1) (floor: Node start)', s(cli.node), 0),
  row(`dig @127.0.0.1 ${NAME}`, dig, 0),
  row('  (to exit)', s(cli.digExit), 0),
  '',
  `targets: RSS <= 64 MB: ${npRss.median <= 64 ? 'met' : 'NOT met'} (steady median ${npRss.median.toFixed(1)} MB, peak median ${s(mem.npPeak).median.toFixed(1)} MB); ` +
    `CLI first output <= 150 ms: ${mtu.median <= 150 ? 'met' : 'NOT met'} (median ${mtu.median.toFixed(0)} ms)`,
  `total ${((performance.now() - started) / 1000).toFixed(1)} s`,
];
process.stdout.write(`${lines.join('\n')}\n`);
