// Scheduler cost bench: one daemon process with N DNS targets (N names, one
// local dnsmasq, qtype A, single mode) paced at 1/s each, beside the floor in
// the same run: a bare-socket process paced the same way (one timer per
// target on the same kind of hashed phase; each firing opens a dgram socket,
// sends one A query, waits for the answer, closes). Per round and process:
// CPU (utime+stime from /proc, all threads) per query, wake-ups per second
// (voluntary context switches of the main thread), and for the daemon the
// schedule lag from its own histogram. Rounds alternate daemon and floor.
//
//   node bench/wakeups/run.ts [--targets 200] [--seconds 20] [--rounds 3]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startDnsmasq } from '../../test/support/dnsmasq.ts';
import { stopChild } from '../../test/support/process.ts';
import { histogramQuantile, parseSamples, sumSamples } from '../scale/prom-text.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
// The shipped artefact, as a user runs it (npm run build makes it).
const MAIN = path.resolve(HERE, '../../dist/cli/main.js');
const FLOOR = path.join(HERE, 'floor.ts');
const WARMUP_MS = 4000;

const { values: flags } = parseArgs({
  options: {
    targets: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '3' },
  },
});
const targets = Number(flags.targets);
const seconds = Number(flags.seconds);
const rounds = Number(flags.rounds);
if (!(Number.isInteger(targets) && targets >= 1 && targets <= 5000)) throw new Error(`--targets: 1..5000, got ${flags.targets}`);
if (!(seconds >= 5 && seconds <= 300)) throw new Error(`--seconds: 5..300, got ${flags.seconds}`);
if (!(Number.isInteger(rounds) && rounds >= 3 && rounds <= 10)) throw new Error(`--rounds: 3..10, got ${flags.rounds}`);

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** Voluntary context switches of the main thread: each is one sleep in epoll_wait, so one wake-up. */
function wakeups(pid: number): number {
  const m = /voluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/task/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : Number.NaN;
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


interface Round {
  cpuMsPerQuery: number;
  wakeupsPerSecond: number;
  queries: number;
  lag?: string;
}

async function daemonRound(dir: string, port: number): Promise<Round> {
  const names = Array.from({ length: targets }, (_, i) => `      - t${i}.netprobe.test`);
  const file = path.join(dir, 'wakeups.yaml');
  writeFileSync(
    file,
    ['sourceNode: bench', 'listen: 127.0.0.1:0', 'probes:', '  - name: paced', '    kind: dns', '    every: 1s', `    servers: ["127.0.0.1:${port}"]`, '    qtypes: [A]', '    mode: single', '    names:', ...names, ''].join('\n'),
  );
  const daemon = spawn(process.execPath, [MAIN, 'run', '--config', file, '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = (await waitForLine(daemon, /http:\/\/\S+\/metrics/, 'daemon', 30_000))[0];
    await sleep(WARMUP_MS);
    const pid = daemon.pid!;
    const before = { cpu: cpuSeconds(pid), wake: wakeups(pid), t: performance.now(), samples: parseSamples(await (await fetch(url)).text()) };
    await sleep(seconds * 1000);
    const after = { cpu: cpuSeconds(pid), wake: wakeups(pid), t: performance.now(), samples: parseSamples(await (await fetch(url)).text()) };
    const queries = sumSamples(after.samples, 'netprobe_dns_lookups_total') - sumSamples(before.samples, 'netprobe_dns_lookups_total');
    const lag = `${histogramQuantile(before.samples, after.samples, 'netprobe_schedule_lag_seconds', 0.5)} / ${histogramQuantile(before.samples, after.samples, 'netprobe_schedule_lag_seconds', 0.99)}`;
    return { cpuMsPerQuery: ((after.cpu - before.cpu) * 1000) / queries, wakeupsPerSecond: (after.wake - before.wake) / ((after.t - before.t) / 1000), queries, lag };
  } finally {
    await stopChild(daemon);
  }
}

async function floorRound(port: number): Promise<Round> {
  const floor = spawn(process.execPath, [FLOOR, String(targets), String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
  try {
    await waitForLine(floor, /ready/, 'floor', 10_000);
    await sleep(WARMUP_MS);
    const pid = floor.pid!;
    const count = async (): Promise<number> => {
      floor.stdin!.write('count\n');
      return Number((await waitForLine(floor, /answers (\d+)\n(?![\s\S]*answers)/, 'floor count', 5000))[1]);
    };
    const before = { cpu: cpuSeconds(pid), wake: wakeups(pid), t: performance.now(), n: await count() };
    await sleep(seconds * 1000);
    const after = { cpu: cpuSeconds(pid), wake: wakeups(pid), t: performance.now(), n: await count() };
    const queries = after.n - before.n;
    return { cpuMsPerQuery: ((after.cpu - before.cpu) * 1000) / queries, wakeupsPerSecond: (after.wake - before.wake) / ((after.t - before.t) / 1000), queries };
  } finally {
    floor.stdin!.end();
    await Promise.race([once(floor, 'exit'), sleep(3000)]);
    if (floor.exitCode === null) floor.kill('SIGKILL');
  }
}

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const p = (x: number) => (x >= 10 ? x.toFixed(0) : x.toFixed(3));
  return `${p(s[0]!)} / ${p(s[Math.floor(s.length / 2)]!)} / ${p(s[s.length - 1]!)}`;
}

async function main(): Promise<void> {
  const guard = setTimeout(() => {
    process.stderr.write('wakeups bench: hard time limit reached\n');
    process.exit(1);
  }, rounds * 2 * (seconds + 20) * 1000 + 60_000);
  guard.unref();
  const dns = await startDnsmasq();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'netprobe-wakeups-'));
  const ours: Round[] = [];
  const floor: Round[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      ours.push(await daemonRound(dir, dns.port));
      floor.push(await floorRound(dns.port));
    }
  } finally {
    await dns.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const ratio = ours.map((o, i) => o.cpuMsPerQuery / floor[i]!.cpuMsPerQuery);
  process.stdout.write(`wakeups: ${targets} DNS targets at 1/s, ${rounds} rounds of ${seconds} s (after ${WARMUP_MS / 1000} s warm-up), dnsmasq on 127.0.0.1:${dns.port}\n\n`);
  process.stdout.write('| process | CPU ms per query (min / med / max) | wake-ups per s | queries per round | lag p50 / p99 (bucket bound, s) |\n|---|---|---|---|---|\n');
  process.stdout.write(`| netprobe daemon | ${stats(ours.map((o) => o.cpuMsPerQuery))} | ${stats(ours.map((o) => o.wakeupsPerSecond))} | ${stats(ours.map((o) => o.queries))} | ${ours.map((o) => o.lag).join(', ')} |\n`);
  process.stdout.write(`| bare dgram socket, paced the same | ${stats(floor.map((o) => o.cpuMsPerQuery))} | ${stats(floor.map((o) => o.wakeupsPerSecond))} | ${stats(floor.map((o) => o.queries))} | – |\n`);
  process.stdout.write(`\nnetprobe / floor, CPU per query, per round (min / med / max): ${stats(ratio)}\n`);
}

await main();
