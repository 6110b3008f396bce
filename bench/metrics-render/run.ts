// /metrics render bench: one daemon process per target count (100, 1,000,
// 5,000 by default), TCP + ICMP probes to loopback aliases, a long interval so
// probing does not crowd the event loop. Once every target has run (/readyz),
// it times ROUNDS sequential GET /metrics twice: 1.5 s apart (few series
// changed since the previous scrape; past the daemon's 1 s reuse window for a
// finished render, so each GET renders) and one probe interval apart (every
// series changed, the worst case for the counter and gauge line cache). Reference in the same run: prom-client
// (the library the exposition must match byte for byte) rendering the same
// metric families and label sets in this process. Times are CPU time of the
// daemon's main thread across each GET (render + write, less the probing
// going on meanwhile) and of the bench's
// thread across prom-client's render. Prints min/median/max and
// ms per 1,000 sample lines, so linearity reads off one column.
//
//   node bench/metrics-render/run.ts [--targets 100,1000,5000] [--rounds 3] [--every 10s] [--no-icmp] [--main PATH]
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { KINDS } from '../../src/probes/registry.ts';
import { parseDuration } from '../../src/util/durations.ts';
import { farmAddress } from '../scale/farm.ts';
import { stopChild } from '../../test/support/process.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
// The shipped artefact, as a user runs it (npm run build makes it).
const SHIPPED_MAIN = path.resolve(HERE, '../../dist/cli/main.js');
const FARM = path.resolve(HERE, '../scale/farm.ts');
const PORT = 9411;

const { values: flags } = parseArgs({
  options: {
    targets: { type: 'string', default: '100,1000,5000' },
    rounds: { type: 'string', default: '3' },
    every: { type: 'string', default: '10s' },
    'no-icmp': { type: 'boolean', default: false },
    /** Another build's dist/cli/main.js (an older tree, for A/B runs with this bench); default this tree's. */
    main: { type: 'string' },
  },
});
const MAIN = flags.main ? path.resolve(flags.main) : SHIPPED_MAIN;
const counts = flags.targets.split(',').map(Number);
const rounds = Number(flags.rounds);
if (!counts.every((n) => Number.isInteger(n) && n >= 1 && n <= 10_000)) throw new Error(`--targets: comma-separated 1..10000, got ${flags.targets}`);
if (!(Number.isInteger(rounds) && rounds >= 3 && rounds <= 50)) throw new Error(`--rounds: 3..50, got ${flags.rounds}`);
const everyMs = parseDuration(flags.every) ?? Number.NaN;
if (!(everyMs >= 1000 && everyMs <= 60_000)) throw new Error(`--every: 1s..60s, got ${flags.every}`);
const withIcmp = !flags['no-icmp'] && 'icmp' in KINDS && process.getuid?.() === 0;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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


/**
 * CPU time of a process's main thread so far (ns resolution, from schedstat):
 * the render runs there, and on a loaded machine wall time mostly measures the
 * other tenants.
 */
function mainThreadCpuMs(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
}

function config(n: number): string {
  const addresses = Array.from({ length: n }, (_, i) => farmAddress(i));
  const lines = ['sourceNode: bench', 'listen: 127.0.0.1:0', 'concurrency: 256', `maxTargets: ${2 * n}`, 'probes:'];
  lines.push('  - name: render_tcp', '    kind: tcp', `    every: ${flags.every}`, '    count: 1', '    timeout: 1s', '    targetKind: loopback', '    targets:');
  lines.push(...addresses.map((a) => `      - "${a}:${PORT}"`));
  if (withIcmp) {
    lines.push('  - name: render_icmp', '    kind: icmp', `    every: ${flags.every}`, '    count: 1', '    sizes: [84]', '    timeout: 1s', '    targetKind: loopback', '    targets:');
    lines.push(...addresses.map((a) => `      - "${a}"`));
  }
  return `${lines.join('\n')}\n`;
}

interface Family {
  name: string;
  type: string;
  help: string;
  series: Map<string, Record<string, string>>;
}

/** Metric families and their label sets (le dropped), enough to rebuild them in prom-client. */
function families(text: string): Family[] {
  const out = new Map<string, Family>();
  let current: Family | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('# HELP ')) {
      const rest = line.slice(7);
      const name = rest.slice(0, rest.indexOf(' '));
      current = { name, type: 'untyped', help: rest.slice(name.length + 1), series: new Map() };
      out.set(name, current);
    } else if (line.startsWith('# TYPE ')) {
      current!.type = line.slice(line.lastIndexOf(' ') + 1);
    } else if (line && current) {
      const open = line.indexOf('{');
      const labels: Record<string, string> = {};
      if (open >= 0) {
        for (const m of line.slice(open + 1, line.lastIndexOf('}')).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
          if (m[1] !== 'le') labels[m[1]!] = m[2]!;
        }
      }
      const key = JSON.stringify(labels);
      if (!current.series.has(key)) current.series.set(key, labels);
    }
  }
  return [...out.values()];
}

/** prom-client holding the same families and label sets; one value per series. */
function promClientRegistry(text: string): Registry {
  const registry = new Registry();
  for (const f of families(text)) {
    const labelNames = [...new Set([...f.series.values()].flatMap((l) => Object.keys(l)))];
    const spec = { name: f.name, help: f.help, labelNames, registers: [registry] };
    if (f.type === 'histogram') {
      const h = new Histogram(spec);
      for (const l of f.series.values()) h.observe(l, 0.003);
    } else if (f.type === 'counter') {
      const c = new Counter(spec);
      for (const l of f.series.values()) c.inc(l, 1);
    } else {
      const g = new Gauge(spec);
      for (const l of f.series.values()) g.set(l, 1);
    }
  }
  return registry;
}

function stats(xs: number[]): { min: number; med: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0]!, med: s[Math.floor(s.length / 2)]!, max: s[s.length - 1]! };
}

async function measure(n: number): Promise<string[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'netprobe-render-'));
  let farm: ChildProcess | undefined;
  let daemon: ChildProcess | undefined;
  try {
    farm = spawn(process.execPath, [FARM, String(n), String(PORT)], { stdio: ['pipe', 'pipe', 'pipe'] });
    await waitForLine(farm, /ready (\d+)/, 'target farm', 60_000);
    const file = path.join(dir, 'render.yaml');
    writeFileSync(file, config(n));
    daemon = spawn(process.execPath, [MAIN, 'run', '--config', file, '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const url = (await waitForLine(daemon, /http:\/\/\S+\/metrics/, 'daemon', 60_000))[0];
    const pid = daemon.pid!;
    const base = url.slice(0, -'/metrics'.length);
    const readyBy = performance.now() + 120_000;
    while ((await fetch(`${base}/readyz`)).status !== 200) {
      if (performance.now() > readyBy) throw new Error(`daemon with ${n} targets not ready within 120 s`);
      await sleep(250);
    }
    await sleep(1000);
    let text = '';
    // Probing goes on during a GET; its main-thread CPU rate, measured just
    // before over a quiet 2 s, is subtracted for the GET's wall time.
    const timed = async (gapMs: number): Promise<number[]> => {
      const q0 = { cpu: mainThreadCpuMs(pid), t: performance.now() };
      await sleep(2000);
      const probeRate = (mainThreadCpuMs(pid) - q0.cpu) / (performance.now() - q0.t);
      const times: number[] = [];
      for (let i = 0; i < rounds; i++) {
        await sleep(gapMs);
        const c0 = mainThreadCpuMs(pid);
        const t0 = performance.now();
        text = await (await fetch(url)).text();
        times.push(Math.max(0, mainThreadCpuMs(pid) - c0 - probeRate * (performance.now() - t0)));
      }
      return times;
    };
    const near = await timed(1500);
    const apart = await timed(everyMs + 200);
    const lines = text.split('\n').filter((l) => l && !l.startsWith('#')).length;
    const registry = promClientRegistry(text);
    const refTimes: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const c0 = process.threadCpuUsage();
      await registry.metrics();
      const c = process.threadCpuUsage(c0);
      refTimes.push((c.user + c.system) / 1000);
    }
    const fmt = (s: { min: number; med: number; max: number }) => `${s.min.toFixed(1)} / ${s.med.toFixed(1)} / ${s.max.toFixed(1)}`;
    const ref = stats(refTimes);
    const a = stats(apart);
    return [
      `| ${n} | ${lines} | ${(text.length / 1024).toFixed(0)} KiB | ${fmt(stats(near))} | ${fmt(a)} | ${((a.med / lines) * 1000).toFixed(2)} | ${fmt(ref)} | ${(a.med / ref.med).toFixed(2)} |`,
    ];
  } finally {
    await stopChild(daemon);
    if (farm && farm.exitCode === null) {
      farm.stdin!.end();
      await Promise.race([once(farm, 'exit'), sleep(5000)]);
      if (farm.exitCode === null) farm.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const guard = setTimeout(() => {
    process.stderr.write('metrics-render bench: hard time limit (10 min) reached\n');
    process.exit(1);
  }, 600_000);
  guard.unref();
  process.stdout.write(`metrics-render: kinds tcp${withIcmp ? ' + icmp' : ''}, every ${flags.every}, ${rounds} GET /metrics 1.5 s apart then ${rounds} one interval apart, per daemon after /readyz; reference prom-client (same families and label sets, in the bench process)\n\n`);
  process.stdout.write('| targets | sample lines | body | daemon CPU ms per GET, 1.5 s after the last (min / med / max) | same, one interval after (all changed) | ms per 1k lines (all changed, med) | prom-client render CPU ms (min / med / max) | all changed / prom-client |\n|---|---|---|---|---|---|---|---|\n');
  for (const n of counts) for (const row of await measure(n)) process.stdout.write(`${row}\n`);
}

await main();
