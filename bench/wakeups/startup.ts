// Start-up burst: a fresh daemon with N TCP targets (closed loopback ports,
// so each run is one refused connect) every E. Prints how many runs it made
// in each of the first seconds and when /readyz turned ready (every target
// ran once). Before the start-up spread every target ran in the first second.
//
//   node bench/wakeups/startup.ts [--targets 5,1000,20000] [--every 30s] [--seconds 12]
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseSamples, sumSamples } from '../scale/prom-text.ts';

// The shipped artefact, as a user runs it (npm run build makes it).
const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/cli/main.js');
const { values: flags } = parseArgs({
  options: {
    targets: { type: 'string', default: '5,1000,20000' },
    every: { type: 'string', default: '30s' },
    seconds: { type: 'string', default: '12' },
  },
});
const counts = flags.targets.split(',').map(Number);
const seconds = Number(flags.seconds);
if (!counts.every((n) => Number.isInteger(n) && n >= 1 && n <= 60_000)) throw new Error(`--targets: 1..60000 each, got ${flags.targets}`);
if (!(seconds >= 3 && seconds <= 120)) throw new Error(`--seconds: 3..120, got ${flags.seconds}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** 127.2.x.y port 9: nothing listens there, the kernel answers RST. */
function address(i: number): string {
  return `127.2.${1 + Math.floor(i / 250)}.${1 + (i % 250)}:9`;
}

async function measure(n: number): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'netprobe-startup-'));
  const file = path.join(dir, 'startup.yaml');
  writeFileSync(
    file,
    ['sourceNode: bench', 'listen: 127.0.0.1:0', 'concurrency: 256', `maxTargets: ${Math.max(n, 1)}`, 'probes:', '  - name: burst', '    kind: tcp', `    every: ${flags.every}`, '    count: 1', '    timeout: 1s', '    targets:', ...Array.from({ length: n }, (_, i) => `      - "${address(i)}"`), ''].join('\n'),
  );
  const daemon: ChildProcess = spawn(process.execPath, [MAIN, 'run', '--config', file, '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`daemon: no URL in 60 s\n${out}`)), 60_000);
      daemon.stdout!.on('data', (c: Buffer) => {
        out += String(c);
        const m = /http:\/\/\S+\/metrics/.exec(out);
        if (m) (clearTimeout(timer), resolve(m[0]));
      });
      daemon.stderr!.on('data', (c: Buffer) => (out += String(c)));
    });
    // The URL is printed once the first reconcile is done: that is t = 0.
    const t0 = performance.now();
    const base = url.slice(0, -'/metrics'.length);
    const perSecond: number[] = [];
    let last = 0;
    let readyAt = Number.NaN;
    for (let s = 1; s <= seconds; s++) {
      while (performance.now() - t0 < s * 1000) {
        if (Number.isNaN(readyAt) && (await fetch(`${base}/readyz`)).status === 200) readyAt = (performance.now() - t0) / 1000;
        await sleep(Number.isNaN(readyAt) ? 50 : 200);
      }
      const runs = sumSamples(parseSamples(await (await fetch(url)).text()), 'netprobe_probe_runs_total');
      perSecond.push(runs - last);
      last = runs;
    }
    return `| ${n} | ${Number.isNaN(readyAt) ? `> ${seconds}` : readyAt.toFixed(2)} s | ${perSecond.join(', ')} |`;
  } finally {
    daemon.kill('SIGTERM');
    await Promise.race([once(daemon, 'exit'), sleep(5000)]);
    if (daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

const guard = setTimeout(() => process.exit(1), counts.length * (seconds + 90) * 1000);
guard.unref();
process.stdout.write(`startup: tcp to closed loopback ports, every ${flags.every}; runs per second from the daemon's URL line on\n\n| targets | /readyz ready after | runs in second 1, 2, ... |\n|---|---|---|\n`);
for (const n of counts) process.stdout.write(`${await measure(n)}\n`);
