// Scale bench (issue 3): one daemon probing 1,000 targets once per second
// per kind: DNS (single A over UDP to a local dnsmasq, one name per target),
// TCP and ICMP (on loopback aliases), loopback only. dnsmasq and the TCP farm
// are separate processes, so their work is not charged to the daemon.
// Measures the daemon's CPU share of one core (/proc/PID/stat), RSS
// (/proc/PID/status), schedule-lag p99 (netprobe_schedule_lag_seconds) and
// /metrics render time, over a bounded window. Beside it in every round, the
// reference: floor.c, the same socket work with no runtime (built with cc),
// against the same farm and dnsmasq; the two legs alternate which goes first,
// and the summary prints daemon / floor as a ratio of medians with the best
// and worst pairing. Not a timed test: it prints.
//
//   npm run bench:scale -- [--targets 1000] [--seconds 60] [--every 1s] [--refused 0.1] [--no-icmp] [--no-dns] [--node-options OPTS] [--node-args FLAGS] [--cpu-prof DIR] [--main PATH]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { KINDS } from '../../src/probes/registry.ts';
import { parseDuration } from '../../src/util/durations.ts';
import { quantile } from '../../src/util/stats.ts';
import { type Dnsmasq, startDnsmasq } from '../../test/support/dnsmasq.ts';
import { fmtRatio, fmtSpread, spread } from '../footprint/measure.ts';
import { farmAddress } from './farm.ts';
import { histogramQuantile, parseSamples, sumSamples, type Samples } from './prom-text.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SHIPPED_MAIN = path.resolve(HERE, '../../dist/cli/main.js');
const FARM = path.join(HERE, 'farm.ts');
const FLOOR_SOURCE = path.join(HERE, 'floor.c');
const PORT = 9410;
const WARMUP_MS = 5000;
const CPU_TARGET = 0.1;
const RSS_TARGET_MB = 150;

const { values: flags } = parseArgs({
  options: {
    targets: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '60' },
    /** Fresh farm, dnsmasq and daemon per round; the summary gives min / median / max. */
    rounds: { type: 'string', default: '3' },
    refused: { type: 'string', default: '0.1' },
    'no-icmp': { type: 'boolean', default: false },
    'no-dns': { type: 'boolean', default: false },
    /** Probe interval; the issue's figure is 1s, longer ones show how cost scales. */
    every: { type: 'string', default: '1s' },
    /** NODE_OPTIONS for the daemon only, e.g. "--max-semi-space-size=32" (heap tuning experiments). */
    'node-options': { type: 'string' },
    /** Extra node/V8 flags for the daemon's command line (V8 flags NODE_OPTIONS refuses), e.g. "--no-allocation-site-pretenuring". */
    'node-args': { type: 'string' },
    /** Write a V8 CPU profile of the daemon into this directory (node --cpu-prof). */
    'cpu-prof': { type: 'string' },
    /** Another build's dist/cli/main.js (an older tree, for A/B runs with this bench); default this tree's. */
    main: { type: 'string' },
  },
});
const MAIN = flags.main ? path.resolve(flags.main) : SHIPPED_MAIN;
const targetCount = Number(flags.targets);
const seconds = Number(flags.seconds);
const refusedShare = Number(flags.refused);
if (!Number.isInteger(targetCount) || targetCount < 1 || targetCount > 20_000) throw new Error(`--targets: 1..20000, got ${flags.targets}`);
if (!(seconds >= 5 && seconds <= 600)) throw new Error(`--seconds: 5..600, got ${flags.seconds}`);
if (!(refusedShare >= 0 && refusedShare <= 1)) throw new Error(`--refused: 0..1, got ${flags.refused}`);
const everyMs = parseDuration(flags.every) ?? Number.NaN;
if (!(everyMs >= 100 && everyMs <= 60_000)) throw new Error(`--every: a duration from 100ms to 60s, got ${flags.every}`);
const withIcmp = !flags['no-icmp'] && 'icmp' in KINDS;
const withDns = !flags['no-dns'];
const DNS_ZONE = 'scale.test';
const listening = Math.round(targetCount * (1 - refusedShare));

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100;

/** User and system CPU seconds of a process so far (all its threads). */
function cpuTimes(pid: number): { user: number; system: number; total: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after "pid (comm) ": state is [0], utime [11], stime [12].
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const user = Number(fields[11]) / CLK_TCK;
  const system = Number(fields[12]) / CLK_TCK;
  return { user, system, total: user + system };
}

function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function waitForLine(child: ChildProcess, pattern: RegExp, what: string, timeoutMs: number): Promise<RegExpMatchArray> {
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no ${pattern} within ${timeoutMs} ms\n${out}`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      out += String(chunk);
      const match = pattern.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (out += String(chunk)));
    child.once('exit', (code) => reject(new Error(`${what} exited (${code})\n${out}`)));
  });
}

function writeConfig(dir: string, dnsPort: number | undefined): string {
  const addresses = Array.from({ length: targetCount }, (_, i) => farmAddress(i));
  const lines = [
    'sourceNode: bench',
    'listen: 127.0.0.1:0',
    'concurrency: 256',
    // One target per kind per address: above the default maxTargets (1,000) from 334 addresses on.
    `maxTargets: ${3 * targetCount}`,
    'probes:',
    '  - name: scale_tcp',
    '    kind: tcp',
    `    every: ${flags.every}`,
    '    count: 1',
    '    timeout: 1s',
    '    targetKind: loopback',
    '    targets:',
    ...addresses.map((a) => `      - "${a}:${PORT}"`),
  ];
  if (withIcmp) {
    lines.push('  - name: scale_icmp', '    kind: icmp', `    every: ${flags.every}`, '    count: 1', '    sizes: [84]', '    timeout: 1s', '    targetKind: loopback', '    targets:');
    lines.push(...addresses.map((a) => `      - "${a}"`));
  }
  if (dnsPort !== undefined) {
    lines.push('  - name: scale_dns', '    kind: dns', `    every: ${flags.every}`, `    servers: ["127.0.0.1:${dnsPort}"]`, '    transport: udp', '    mode: single', '    qtypes: [A]', '    timeout: 1s', '    attempts: 1', '    targetKind: loopback', '    names:');
    lines.push(...Array.from({ length: targetCount }, (_, i) => `      - n${i}.${DNS_ZONE}`));
  }
  const file = path.join(dir, 'scale.yaml');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/**
 * One GET of /metrics. `firstByteMs` is headers in: the daemon streams its render, so the
 * head leaves with the first pieces (src/app/http.ts); builds before that wrote it after the
 * whole render. `ms` (whole body) is render and delivery, in pieces and 64 KiB slices with
 * the probes' work between them, so at thousands of targets it is latency, not CPU.
 */
async function scrape(url: string): Promise<{ ms: number; firstByteMs: number; bytes: number; samples: Samples }> {
  const t0 = performance.now();
  const res = await fetch(url);
  const firstByteMs = performance.now() - t0;
  const text = await res.text();
  const ms = performance.now() - t0;
  return { ms, firstByteMs, bytes: text.length, samples: parseSamples(text) };
}

async function stopChild(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  await Promise.race([once(child, 'exit'), sleep(5000)]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

interface RoundResult {
  cpuPercent: number;
  usPerRun: number;
  rssMaxMb: number;
  renderP50Ms: number;
  firstByteP50Ms: number;
  skipped: number;
  /** DNS lookups, TCP connects and ICMP echoes that took over 25 ms: on loopback, the daemon's own stalls. */
  slow: number;
}

/** The floor (bench/scale/floor.c) built once per bench run, into its own temporary directory. */
function buildFloor(): string {
  const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'netprobe-floor-')), 'floor');
  const cc = spawnSync('cc', ['-O2', '-Wall', '-o', out, FLOOR_SOURCE], { encoding: 'utf8' });
  if (cc.error || cc.status !== 0) {
    throw new Error(`scale bench: cannot build the floor reference with cc (apt-get install gcc): ${cc.error?.message ?? cc.stderr}`);
  }
  return out;
}

/**
 * The reference leg: the same socket work with no runtime (floor.c), against the same farm and
 * dnsmasq, for the same window after 2 s of warm-up. CPU from /proc like the daemon's.
 */
async function floorLeg(floor: string, dnsPort: number | undefined): Promise<FloorResult> {
  // It stops at SIGTERM once the window is read; the cap only bounds it if this process dies.
  const capSeconds = seconds + 60;
  const args = ['127.0.0.1', String(dnsPort ?? 0), String(dnsPort ? targetCount : 0), String(PORT), String(targetCount), String(withIcmp ? targetCount : 0), String(everyMs), String(capSeconds)];
  const child = spawn(floor, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    await waitForLine(child, /ready (\w+)/, 'floor', 10_000);
    await sleep(2000);
    const start = { cpu: cpuTimes(child.pid!), t: performance.now() };
    const rss: number[] = [];
    while (performance.now() < start.t + seconds * 1000) {
      await sleep(Math.min(5000, start.t + seconds * 1000 - performance.now()));
      rss.push(rssMb(child.pid!));
    }
    const end = { cpu: cpuTimes(child.pid!), t: performance.now() };
    let counts = '';
    child.stdout!.on('data', (chunk: Buffer) => (counts += String(chunk)));
    const closed = once(child, 'close');
    child.kill('SIGTERM');
    await closed;
    const window = (end.t - start.t) / 1000;
    const cpuPercent = ((end.cpu.total - start.cpu.total) / window) * 100;
    const runsPerSecond = (targetCount * (1 + (dnsPort ? 1 : 0) + (withIcmp ? 1 : 0)) * 1000) / everyMs;
    process.stdout.write(
      `floor (floor.c, same work, no runtime): CPU ${cpuPercent.toFixed(2)} % of a core (user ${(((end.cpu.user - start.cpu.user) / window) * 100).toFixed(2)} / system ${(((end.cpu.system - start.cpu.system) / window) * 100).toFixed(2)} %), ` +
        `${((cpuPercent / 100 / runsPerSecond) * 1e6).toFixed(0)} µs per run, RSS ${Math.max(...rss).toFixed(1)} MB; its counts from start to stop: ${counts.trim()}\n`,
    );
    return { cpuPercent, usPerRun: (cpuPercent / 100 / runsPerSecond) * 1e6 };
  } finally {
    await stopChild(child, 'SIGTERM');
  }
}

interface FloorResult {
  cpuPercent: number;
  usPerRun: number;
}

async function round(index: number, floor: string): Promise<{ daemon: RoundResult; floor: FloorResult }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'netprobe-scale-'));
  let farm: ChildProcess | undefined;
  let dns: Dnsmasq | undefined;
  // A hard stop so the bench is bounded whatever happens.
  const guard = setTimeout(() => {
    process.stderr.write('scale bench: hard time limit reached, stopping\n');
    farm?.kill('SIGKILL');
    process.exit(1);
  }, (2 * seconds + 90) * 1000);
  guard.unref();
  try {
    farm = spawn(process.execPath, [FARM, String(listening), String(PORT)], { stdio: ['pipe', 'pipe', 'pipe'] });
    await waitForLine(farm, /ready (\d+)/, 'target farm', 30_000);
    // Every name in the zone answers 192.0.2.9 (dnsmasq --address): no upstream.
    dns = withDns ? await startDnsmasq({ extraArgs: [`--address=/${DNS_ZONE}/192.0.2.9`, '--cache-size=10000'] }) : undefined;
    // The two legs alternate which goes first, round by round, so drift in the machine's load is shared.
    if (index % 2 === 1) {
      const f = await floorLeg(floor, dns?.port);
      return { floor: f, daemon: await daemonLeg(dir, farm, dns) };
    }
    const d = await daemonLeg(dir, farm, dns);
    return { daemon: d, floor: await floorLeg(floor, dns?.port) };
  } finally {
    clearTimeout(guard);
    await dns?.stop();
    farm?.stdin?.end();
    await stopChild(farm, 'SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

async function daemonLeg(dir: string, farm: ChildProcess, dns: Dnsmasq | undefined): Promise<RoundResult> {
  let daemon: ChildProcess | undefined;
  try {
    const config = writeConfig(dir, dns?.port);
    const prof = flags['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(flags['cpu-prof'])] : [];
    const nodeArgs = flags['node-args'] ? flags['node-args'].split(/\s+/).filter(Boolean) : [];
    daemon = spawn(process.execPath, [...prof, ...nodeArgs, MAIN, 'run', '--config', config, '--log-level', 'warn'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: flags['node-options'] ? { ...process.env, NODE_OPTIONS: flags['node-options'] } : process.env,
    });
    const url = (await waitForLine(daemon, /http:\/\/\S+\/metrics/, 'daemon', 30_000))[0];
    const pid = daemon.pid!;
    process.stdout.write(
      `scale bench: ${targetCount} targets (${listening} listening, ${targetCount - listening} refused) on 127.1.x.y:${PORT}, ` +
        `${flags['node-options'] ? `daemon NODE_OPTIONS "${flags['node-options']}", ` : ''}${flags['node-args'] ? `daemon flags "${flags['node-args']}", ` : ''}kinds: ${withDns ? 'dns + ' : ''}tcp${withIcmp ? ' + icmp' : flags['no-icmp'] ? ' (--no-icmp)' : ' (icmp not in the registry)'}, every ${flags.every}; warm-up ${WARMUP_MS / 1000}s, window ${seconds}s\n`,
    );
    await sleep(WARMUP_MS);

    const start = { cpu: cpuTimes(pid), farmCpu: cpuTimes(farm.pid!).total, dnsCpu: dns ? cpuTimes(dns.pid).total : 0, t: performance.now(), scrape: await scrape(url) };
    const rss: number[] = [rssMb(pid)];
    const renders: number[] = [start.scrape.ms];
    const firstBytes: number[] = [start.scrape.firstByteMs];
    const end = start.t + seconds * 1000;
    let nextScrape = start.t + 10_000;
    while (performance.now() < end) {
      await sleep(Math.min(5000, end - performance.now()));
      rss.push(rssMb(pid));
      // One scrape every 10 s, about what a Prometheus server would do.
      if (performance.now() >= nextScrape && performance.now() < end - 1000) {
        const s = await scrape(url);
        renders.push(s.ms);
        firstBytes.push(s.firstByteMs);
        nextScrape += 10_000;
      }
    }
    const last = { cpu: cpuTimes(pid), farmCpu: cpuTimes(farm.pid!).total, dnsCpu: dns ? cpuTimes(dns.pid).total : 0, t: performance.now(), scrape: await scrape(url) };
    renders.push(last.scrape.ms);
    firstBytes.push(last.scrape.firstByteMs);
    rss.push(rssMb(pid));

    const window = (last.t - start.t) / 1000;
    const delta = (name: string, match: Record<string, string> = {}): number =>
      sumSamples(last.scrape.samples, name, match) - sumSamples(start.scrape.samples, name, match);
    const cpuShare = (last.cpu.total - start.cpu.total) / window;
    const runs = delta('netprobe_probe_runs_total');
    const rssMax = Math.max(...rss);
    const lag99 = histogramQuantile(start.scrape.samples, last.scrape.samples, 'netprobe_schedule_lag_seconds', 0.99);
    const lag50 = histogramQuantile(start.scrape.samples, last.scrape.samples, 'netprobe_schedule_lag_seconds', 0.5);
    const lagCount = delta('netprobe_schedule_lag_seconds_count');
    const lagMean = lagCount > 0 ? delta('netprobe_schedule_lag_seconds_sum') / lagCount : Number.NaN;
    // Loopback answers in well under a millisecond; a sample over 25 ms is time the daemon
    // itself did not read its socket (a long render, GC, CPU starvation), not the network.
    const over25ms = (name: string): number => delta(`${name}_count`) - delta(`${name}_bucket`, { le: '0.025' });
    const slowDns = withDns ? over25ms('netprobe_dns_lookup_duration_seconds') : 0;
    const slowTcp = over25ms('netprobe_tcp_connect_duration_seconds');
    const slowIcmp = withIcmp ? over25ms('netprobe_icmp_rtt_seconds') : 0;
    const sortedRenders = [...renders].sort((a, b) => a - b);
    const sortedFirstBytes = [...firstBytes].sort((a, b) => a - b);

    const rows: [string, string, string][] = [
      ['window', `${window.toFixed(1)} s`, ''],
      ['daemon CPU (share of one core)', `${(cpuShare * 100).toFixed(2)} %`, cpuShare < CPU_TARGET ? `ok (< ${CPU_TARGET * 100} %)` : `OVER (target < ${CPU_TARGET * 100} %)`],
      ['  user / system', `${(((last.cpu.user - start.cpu.user) / window) * 100).toFixed(2)} / ${(((last.cpu.system - start.cpu.system) / window) * 100).toFixed(2)} %`, `${(((last.cpu.total - start.cpu.total) / Math.max(1, runs)) * 1e6).toFixed(0)} µs CPU per run (${runs} runs)`],
      ['daemon RSS max / last', `${rssMax.toFixed(1)} / ${rss[rss.length - 1]!.toFixed(1)} MB`, rssMax < RSS_TARGET_MB ? `ok (< ${RSS_TARGET_MB} MB)` : `OVER (target < ${RSS_TARGET_MB} MB)`],
      ['schedule lag p50 / p99 (bucket bound)', `<= ${lag50} s / <= ${lag99} s`, `mean ${(lagMean * 1000).toFixed(2)} ms over ${lagCount} runs`],
      ['/metrics GET, whole body p50 / max', `${quantile(sortedRenders, 0.5).toFixed(1)} / ${sortedRenders[sortedRenders.length - 1]!.toFixed(1)} ms`, `${renders.length} scrapes, ${(last.scrape.bytes / 1024).toFixed(0)} KiB`],
      ['/metrics GET, first byte p50 / max', `${quantile(sortedFirstBytes, 0.5).toFixed(1)} / ${sortedFirstBytes[sortedFirstBytes.length - 1]!.toFixed(1)} ms`, 'head with the first pieces of a streamed render'],
      ['tcp runs/s', (delta('netprobe_probe_runs_total', { probe: 'scale_tcp' }) / window).toFixed(1), `expected ~${((targetCount * 1000) / everyMs).toFixed(0)}`],
      ['tcp connects connected / refused / timeout / other', ['connected', 'refused', 'timeout'].map((r) => delta('netprobe_tcp_connects_total', { result: r })).join(' / ') + ` / ${delta('netprobe_tcp_connects_total', { result: 'unreachable' }) + delta('netprobe_tcp_connects_total', { result: 'error' })}`, ''],
      ['runs skipped (overlap)', String(delta('netprobe_probe_skipped_total')), ''],
      ['samples over 25 ms dns / tcp / icmp', `${slowDns} / ${slowTcp} / ${slowIcmp}`, 'loopback: the daemon\'s own stalls (render, GC), not the network'],
      ['target farm CPU (not the daemon)', `${(((last.farmCpu - start.farmCpu) / window) * 100).toFixed(2)} %`, 'accepts ~1 conn/target/s'],
    ];
    if (withDns) {
      rows.splice(6, 0, ['dns runs/s', (delta('netprobe_probe_runs_total', { probe: 'scale_dns' }) / window).toFixed(1), `lookups success ${delta('netprobe_dns_lookups_total', { result: 'success' })} / all ${delta('netprobe_dns_lookups_total')}`]);
      rows.push(['dnsmasq CPU (not the daemon)', `${(((last.dnsCpu - start.dnsCpu) / window) * 100).toFixed(2)} %`, 'answers ~1 query/target/s']);
    }
    if (withIcmp) {
      rows.splice(6, 0, ['icmp runs/s', (delta('netprobe_probe_runs_total', { probe: 'scale_icmp' }) / window).toFixed(1), `replies ${delta('netprobe_icmp_replies_total')} / requests ${delta('netprobe_icmp_requests_total')}`]);
    }
    const width = Math.max(...rows.map((r) => r[0].length));
    const valueWidth = Math.max(...rows.map((r) => r[1].length));
    process.stdout.write(`\n${'measure'.padEnd(width)}  ${'value'.padEnd(valueWidth)}  note\n${'-'.repeat(width + valueWidth + 30)}\n`);
    for (const [name, value, note] of rows) process.stdout.write(`${name.padEnd(width)}  ${value.padEnd(valueWidth)}  ${note}\n`);
    const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
    process.stdout.write(`\nmachine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), load average ${load} at the end; node ${process.version}; CLK_TCK ${CLK_TCK}\n`);
    return {
      cpuPercent: cpuShare * 100,
      usPerRun: ((last.cpu.total - start.cpu.total) / Math.max(1, runs)) * 1e6,
      rssMaxMb: rssMax,
      renderP50Ms: quantile(sortedRenders, 0.5),
      firstByteP50Ms: quantile(sortedFirstBytes, 0.5),
      skipped: delta('netprobe_probe_skipped_total'),
      slow: slowDns + slowTcp + slowIcmp,
    };
  } finally {
    await stopChild(daemon, 'SIGTERM');
  }
}

const roundCount = Math.max(1, Number(flags.rounds));
const floorBinary = buildFloor();
const results: RoundResult[] = [];
const floors: FloorResult[] = [];
try {
  for (let r = 0; r < roundCount; r++) {
    process.stdout.write(`\n== round ${r + 1} of ${roundCount}\n`);
    const { daemon, floor } = await round(r, floorBinary);
    results.push(daemon);
    floors.push(floor);
  }
} finally {
  rmSync(path.dirname(floorBinary), { recursive: true, force: true });
}
const line = (what: string, pick: (r: RoundResult) => number, digits: number, unit: string): string =>
  `${what.padEnd(28)} ${fmtSpread(spread(results.map(pick)), digits).padStart(26)} ${unit}`;
const daemonCpu = spread(results.map((r) => r.cpuPercent));
const floorCpu = spread(floors.map((f) => f.cpuPercent));
process.stdout.write(
  [
    '',
    `summary over ${roundCount} rounds (min / median / max): ${targetCount} targets per kind, every ${flags.every}`,
    line('daemon CPU, % of one core', (r) => r.cpuPercent, 1, '%'),
    `${'floor CPU (floor.c)'.padEnd(28)} ${fmtSpread(floorCpu, 1).padStart(26)} %   daemon / floor ${fmtRatio(daemonCpu, floorCpu)}`,
    line('CPU per run', (r) => r.usPerRun, 0, 'µs'),
    `${'floor CPU per run'.padEnd(28)} ${fmtSpread(spread(floors.map((f) => f.usPerRun)), 0).padStart(26)} µs`,
    line('daemon RSS max', (r) => r.rssMaxMb, 0, 'MB'),
    line('/metrics whole body p50', (r) => r.renderP50Ms, 1, 'ms'),
    line('/metrics first byte p50', (r) => r.firstByteP50Ms, 1, 'ms'),
    line('runs skipped (overlap)', (r) => r.skipped, 0, ''),
    line('samples over 25 ms', (r) => r.slow, 0, '(loopback: the daemon\'s own stalls)'),
    '',
  ].join('\n'),
);
