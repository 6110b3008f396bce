// The soak: one daemon process (the compiled dist/, as shipped) at a low `nofile`, probing healthy loopback
// targets through a hostile DNS server, while slowloris clients, scrape
// storms and SIGHUP reloads (adding and removing names, targets and whole
// probes, now and then an invalid file) go on. Every tick it prints the
// daemon's fds, RSS, series count, false results, schedule lag and /healthz
// time; at the end it lists stale series and counter decreases, if any.
// Used by bench/soak/run.ts (N minutes) and test/soak/soak.test.ts (CI).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSamples, type Samples } from '../scale/prom-text.ts';
import { get, HostileDns, tcpListeners } from './attack.ts';
import { type World, churn, configYaml, initialWorld, isCurrent, ownerOf } from './world.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
/** The control server: answers every request at once; exits with its parent's stdin. */
const CONTROL_SERVER =
  "const s=require('http').createServer((q,r)=>r.end('ok\\n'));s.listen(0,'127.0.0.1',()=>console.log(s.address().port));process.stdin.on('end',()=>process.exit(0));process.stdin.resume()";

/**
 * The shipped artefact, dist/cli/main.js (what bin/netprobe and the image
 * run); test/shipped checks that it is current.
 */
function daemonEntry(): string {
  // `npm test` and `npm run build` bundle it; rebuilding here would empty dist/
  // under other tests that run it at the same time.
  const entry = path.join(ROOT, 'dist/cli/main.js');
  if (!existsSync(entry)) throw new Error('dist/cli/main.js is missing: run `npm run build` first');
  return entry;
}
const ATTACK = path.join(HERE, 'attack.ts');

/** An attacker process; its JSON lines go to `onLine`. */
function attacker(args: string[], onLine: (value: Record<string, number>) => void): ChildProcess {
  const child = spawn(process.execPath, [ATTACK, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  let buffered = '';
  child.stdout!.on('data', (c: Buffer) => {
    buffered += c.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) if (line) onLine(JSON.parse(line) as Record<string, number>);
  });
  return child;
}

/** A scrape that retries: the soak's own scraper competes with the storm for a connection slot. */
async function scrape(port: number): Promise<Samples> {
  for (let attempt = 1; ; attempt++) {
    try {
      const r = await get(port, '/metrics', 10_000);
      if (r.status === 200) return parseSamples(r.body);
      throw new Error(`status ${r.status}`);
    } catch (error) {
      if (attempt >= 5) throw error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

export interface SoakOptions {
  seconds: number;
  nofile: number;
  slowClients: number;
  stormSize: number;
  /** Extra names of the bulk DNS probe (more series, a bigger /metrics). */
  bulkNames: number;
  tickMs: number;
  churnMs: number;
  stormMs: number;
  log?: (line: string) => void;
}

export interface SoakReport {
  seconds: number;
  fdLimit: number;
  maxFds: number;
  peakRssMb: number;
  maxSeries: number;
  falseResults: number;
  falseDetail: string[];
  fdSkipped: number;
  /** Failed runs not reported because the daemon stood still >= 1 s during them (netprobe_probe_skipped_total{reason="daemon_stalled"}). */
  stallSkipped: number;
  staleSeries: string[];
  counterDecreases: string[];
  /** /healthz every 250 ms on a fresh connection, as kubelet asks it (its timeout 1 s here, 3 s in the DaemonSet). */
  healthz: { checks: number; errors: number; over1s: number; maxConsecutiveOver1s: number; p95Seconds: number; p99Seconds: number; maxSeconds: number; lastError: string };
  /**
   * The same check, at the same moments, against a trivial HTTP server in its
   * own process that nobody attacks: how slow the machine itself answers
   * (a loaded shared machine delays every process, not only the daemon).
   */
  control: { p95Seconds: number; maxSeconds: number };
  storms: { ok: number; failed: number; maxSeconds: number };
  reloads: number;
  rejectedReloads: number;
  reloadGaugeWrong: string[];
  lagP99MaxSeconds: number;
  slowlorisDropped: number;
  ticks: TickRow[];
}

export interface TickRow {
  t: number;
  /** The daemon's CPU over the tick, % of one core (user + system). */
  cpu: number;
  /** The machine's 1-minute load average (a loaded machine explains lag). */
  load: number;
  fds: number;
  rssMb: number;
  series: number;
  falseResults: number;
  lagP99: string;
  healthzMaxMs: number;
}

const FAILURE = [
  ['netprobe_probe_runs_total', 'success'],
  ['netprobe_dns_lookups_total', 'success'],
  ['netprobe_tcp_connects_total', 'connected'],
] as const;

function seriesKey(s: { name: string; labels: Record<string, string> }): string {
  return `${s.name}{${Object.entries(s.labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}}`;
}

function isCounterSample(name: string): boolean {
  return name.endsWith('_total') || name.endsWith('_bucket') || name.endsWith('_count');
}

const CLK_TCK = 100; // Linux USER_HZ

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

function status(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

/** Upper bound of the p99 bucket of schedule lag between two scrapes, over the probes that never change. */
function lagP99(before: Samples, after: Samples): string {
  const delta = new Map<string, number>();
  for (const [sign, samples] of [[-1, before], [1, after]] as const) {
    for (const s of samples) {
      if (s.name !== 'netprobe_schedule_lag_seconds_bucket' || !['dns-a', 'tcp-a'].includes(s.labels.probe!)) continue;
      delta.set(s.labels.le!, (delta.get(s.labels.le!) ?? 0) + sign * s.value);
    }
  }
  const sorted = [...delta].sort((a, b) => (a[0] === '+Inf' ? 1 : b[0] === '+Inf' ? -1 : Number(a[0]) - Number(b[0])));
  const total = delta.get('+Inf') ?? 0;
  if (total <= 0) return 'none';
  for (const [le, n] of sorted) if (n >= 0.99 * total) return le;
  return '+Inf';
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'netprobe-soak-'));
  const file = path.join(dir, 'config.yaml');
  const dns = await HostileDns.start();
  const listeners = await tcpListeners(16);
  let world: World = initialWorld(dns.port, listeners.ports, options.bulkNames);
  writeFileSync(file, configYaml(world));
  const report: SoakReport = {
    seconds: options.seconds,
    fdLimit: options.nofile,
    maxFds: 0,
    peakRssMb: 0,
    maxSeries: 0,
    falseResults: 0,
    falseDetail: [],
    fdSkipped: 0,
    stallSkipped: 0,
    staleSeries: [],
    counterDecreases: [],
    healthz: { checks: 0, errors: 0, over1s: 0, maxConsecutiveOver1s: 0, p95Seconds: 0, p99Seconds: 0, maxSeconds: 0, lastError: '' },
    control: { p95Seconds: 0, maxSeconds: 0 },
    storms: { ok: 0, failed: 0, maxSeconds: 0 },
    reloads: 0,
    rejectedReloads: 0,
    reloadGaugeWrong: [],
    lagP99MaxSeconds: 0,
    slowlorisDropped: 0,
    ticks: [],
  };
  let daemon: ChildProcess | undefined;
  const attackers: ChildProcess[] = [];
  const slow = { connected: 0, dropped: 0 };
  const timers: NodeJS.Timeout[] = [];
  // Interrupted (Ctrl-C, timeout): take the daemon and the attackers down too.
  const onSignal = () => {
    daemon?.kill('SIGKILL');
    for (const child of attackers) child.kill('SIGKILL');
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const started0 = await startDaemonProcess(file, options.nofile);
    daemon = started0.child;
    const { port, logs } = started0;
    const pid = daemon.pid!;
    await waitReady(port);

    // Baseline scrape before any abuse, then the abuse.
    let previous = { samples: await scrape(port), gen: world.gen };
    const removedAt = new Map<string, number[]>();
    if (options.slowClients > 0) {
      attackers.push(attacker(['slowloris', String(port), String(options.slowClients)], (v) => Object.assign(slow, v)));
    }
    let healthzWindowMax = 0;
    let consecutiveSlow = 0;
    const healthzTimes: number[] = [];
    const controlTimes: number[] = [];
    const control = spawn(process.execPath, ['-e', CONTROL_SERVER], { stdio: ['pipe', 'pipe', 'inherit'] });
    attackers.push(control);
    const controlPort = await new Promise<number>((resolve) => control.stdout!.once('data', (c: Buffer) => resolve(Number(c.toString().trim()))));
    const h = report.healthz;
    timers.push(
      setInterval(() => {
        const started = performance.now();
        get(controlPort, '/healthz', 10_000).then(
          () => controlTimes.push((performance.now() - started) / 1000),
          () => controlTimes.push(10),
        );
        h.checks++;
        get(port, '/healthz', 10_000).then(
          (r) => {
            const s = (performance.now() - started) / 1000;
            healthzTimes.push(s);
            healthzWindowMax = Math.max(healthzWindowMax, s);
            h.maxSeconds = Math.max(h.maxSeconds, s);
            if (r.status !== 200) {
              h.errors++;
              h.lastError = `status ${r.status}`;
            }
            if (s > 1) h.over1s++;
            consecutiveSlow = s > 1 ? consecutiveSlow + 1 : 0;
            h.maxConsecutiveOver1s = Math.max(h.maxConsecutiveOver1s, consecutiveSlow);
          },
          (error: Error) => {
            h.errors++;
            h.lastError = error.message;
          },
        );
      }, 250),
    );
    if (options.stormSize > 0) {
      attackers.push(
        attacker(['storm', String(port), String(options.stormSize), String(options.stormMs)], (r) => {
          report.storms.ok += r.ok!;
          report.storms.failed += r.failed!;
          report.storms.maxSeconds = Math.max(report.storms.maxSeconds, r.maxSeconds!);
        }),
      );
    }

    const started = performance.now();
    let cpuBefore = { at: started, seconds: cpuSeconds(pid) };
    let nextChurn = started + options.churnMs;
    let pendingCheck: { gen: number; valid: boolean; at: number } | undefined;
    while (performance.now() - started < options.seconds * 1000) {
      await new Promise((r) => setTimeout(r, options.tickMs));
      const now = performance.now();
      const samples = await scrape(port);
      checkCounters(previous, { samples, gen: world.gen }, removedAt, report);
      countFalse(previous.samples, samples, report);
      if (pendingCheck && now >= pendingCheck.at) {
        checkStale(samples, world, report);
        const ok = samples.find((s) => s.name === 'netprobe_config_last_reload_successful')?.value;
        if (ok !== (pendingCheck.valid ? 1 : 0)) report.reloadGaugeWrong.push(`gen ${pendingCheck.gen}: last_reload_successful=${ok}, wanted ${pendingCheck.valid ? 1 : 0}`);
        pendingCheck = undefined;
      }
      const lag = lagP99(previous.samples, samples);
      if (lag !== 'none') report.lagP99MaxSeconds = Math.max(report.lagP99MaxSeconds, lag === '+Inf' ? Infinity : Number(lag));
      const cpuNow = { at: performance.now(), seconds: cpuSeconds(pid) };
      const row: TickRow = {
        t: Math.round((now - started) / 1000),
        cpu: Math.round((100 * (cpuNow.seconds - cpuBefore.seconds)) / ((cpuNow.at - cpuBefore.at) / 1000)),
        load: Number(os.loadavg()[0]!.toFixed(1)),
        fds: readdirCount(pid),
        rssMb: Math.round(status(pid, 'VmRSS')),
        series: samples.length,
        falseResults: report.falseResults,
        lagP99: lag,
        healthzMaxMs: Math.round(healthzWindowMax * 1000),
      };
      healthzWindowMax = 0;
      cpuBefore = cpuNow;
      report.ticks.push(row);
      report.maxFds = Math.max(report.maxFds, row.fds);
      report.maxSeries = Math.max(report.maxSeries, row.series);
      report.stallSkipped = samples.filter((s) => s.name === 'netprobe_probe_skipped_total' && s.labels.reason === 'daemon_stalled').reduce((n, s) => n + s.value, 0);
      report.fdSkipped = samples.filter((s) => s.name === 'netprobe_probe_skipped_total' && s.labels.reason === 'fd_exhausted').reduce((n, s) => n + s.value, 0);
      log(
        `t=${String(row.t).padStart(4)}s cpu=${row.cpu}% load=${row.load} fds=${row.fds}/${options.nofile} rss=${row.rssMb}MB series=${row.series} false=${row.falseResults} stall_skipped=${report.stallSkipped} ` +
          `lag_p99<=${row.lagP99}s healthz_max=${row.healthzMaxMs}ms storms=${report.storms.ok}ok/${report.storms.failed}failed ` +
          `slowloris=${slow.connected}open/${slow.dropped}dropped reloads=${report.reloads}`,
      );
      previous = { samples, gen: world.gen };

      if (now >= nextChurn && !pendingCheck) {
        nextChurn = now + options.churnMs;
        const next = churn(world);
        report.reloads++;
        if (next.invalid) {
          report.rejectedReloads++;
          world = { ...world, gen: next.world.gen }; // the running config stays; the next churn moves on
          writeFileSync(file, next.invalid);
        } else {
          for (const owner of next.removed) removedAt.set(owner, [...(removedAt.get(owner) ?? []), next.world.gen]);
          world = next.world;
          writeFileSync(file, configYaml(world));
        }
        daemon.kill('SIGHUP');
        // Checked on the first tick 3 s after the reload: every kept target ran again by then.
        pendingCheck = { gen: next.world.gen, valid: !next.invalid, at: performance.now() + 3000 };
      }
    }
    report.peakRssMb = Math.round(status(pid, 'VmHWM'));
    healthzTimes.sort((a, b) => a - b);
    h.p95Seconds = healthzTimes[Math.floor(0.95 * (healthzTimes.length - 1))] ?? 0;
    h.p99Seconds = healthzTimes[Math.floor(0.99 * (healthzTimes.length - 1))] ?? 0;
    controlTimes.sort((a, b) => a - b);
    report.control = { p95Seconds: controlTimes[Math.floor(0.95 * (controlTimes.length - 1))] ?? 0, maxSeconds: controlTimes.at(-1) ?? 0 };
    report.slowlorisDropped = slow.dropped;
    const fdLines = logs.filter((l) => l.includes('out of file descriptors'));
    if (fdLines.length) log(`daemon logged fd exhaustion ${fdLines.length} times, last: ${fdLines.at(-1)}`);
    return report;
  } finally {
    for (const t of timers) clearInterval(t);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    for (const child of attackers) {
      child.stdin!.end();
      child.kill('SIGTERM');
    }
    if (daemon && daemon.exitCode === null) {
      daemon.kill('SIGTERM');
      await Promise.race([once(daemon, 'exit'), new Promise((r) => setTimeout(r, 5000))]);
      if (daemon.exitCode === null) daemon.kill('SIGKILL');
    }
    dns.stop();
    listeners.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `netprobe run -c FILE` as its own process at `ulimit -n NOFILE`; resolves once it listens. */
export async function startDaemonProcess(file: string, nofile: number): Promise<{ child: ChildProcess; port: number; logs: string[] }> {
  const child = spawn('bash', ['-c', `ulimit -n ${nofile} && exec "$0" "$@"`, process.execPath, daemonEntry(), 'run', '-c', file, '--log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  child.stderr!.on('data', (c: Buffer) => logs.push(...c.toString().split('\n').filter(Boolean)));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /metrics at http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`daemon exited (${code}) before listening: ${logs.join('\n')}`)));
  });
  return { child, port, logs };
}

export function readdirCount(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return -1;
  }
}

async function waitReady(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await get(port, '/readyz', 2000).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('daemon not ready within 20 s');
}

/** Failure samples that grew between two scrapes: every target is healthy, so each is a false result. */
function countFalse(before: Samples, after: Samples, report: SoakReport): void {
  const old = new Map(before.map((s) => [seriesKey(s), s.value]));
  for (const s of after) {
    const rule = FAILURE.find(([name]) => name === s.name);
    if (!rule || s.labels.result === rule[1]) continue;
    const grew = s.value - (old.get(seriesKey(s)) ?? 0);
    if (grew > 0) {
      report.falseResults += grew;
      if (report.falseDetail.length < 20) report.falseDetail.push(`${seriesKey(s)} +${grew}`);
    }
  }
}

/** A counter sample present in two scrapes must not go down, unless its owner was removed in between. */
function checkCounters(
  before: { samples: Samples; gen: number },
  after: { samples: Samples; gen: number },
  removedAt: Map<string, number[]>,
  report: SoakReport,
): void {
  const old = new Map(before.samples.map((s) => [seriesKey(s), s]));
  for (const s of after.samples) {
    if (!isCounterSample(s.name)) continue;
    const prev = old.get(seriesKey(s));
    if (!prev || s.value >= prev.value) continue;
    const owners = ownerOf(s.labels);
    const removed = owners.some((o) => (removedAt.get(o) ?? []).some((g) => g > before.gen && g <= after.gen));
    if (!removed && report.counterDecreases.length < 20) report.counterDecreases.push(`${seriesKey(s)}: ${prev.value} -> ${s.value}`);
  }
}

function checkStale(samples: Samples, world: World, report: SoakReport): void {
  for (const s of samples) {
    if (!isCurrent(world, s.labels) && report.staleSeries.length < 20) report.staleSeries.push(`gen ${world.gen}: ${seriesKey(s)}`);
  }
}
