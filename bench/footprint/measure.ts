// What the footprint bench measures of a process, from outside it, as a node
// operator sees it: resident memory from /proc, and the wall time from spawn
// to the first byte a command prints. Linux only; loopback only.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { stopChild } from '../../test/support/process.ts';

/** Sends SIGTERM and waits for exit (SIGKILL after 5 s): the one helper tests and benches share. */
export { stopChild as stopProcess };

/** VmRSS of a running process, in MB (MiB). */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

/** Private (anonymous + dirty) memory of a process from smaps_rollup, in MB: RSS minus shared, clean file pages. */
export function privateMb(pid: number): number {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(rollup)?.[1] ?? 0);
  return (kb('Private_Clean') + kb('Private_Dirty')) / 1024;
}

export interface Timed {
  /** Spawn to the first byte on stdout or stderr, ms. */
  firstOutputMs: number;
  /** Spawn to exit, ms. */
  exitMs: number;
  code: number | null;
  output: string;
}

/** Runs a command to completion (bounded by timeoutMs) and times its first output and its exit. */
export function timeCommand(file: string, args: readonly string[], timeoutMs = 20_000): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    let first = Number.NaN;
    let output = '';
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const onData = (chunk: Buffer): void => {
      if (Number.isNaN(first)) first = performance.now() - start;
      if (output.length < 4000) output += chunk.toString();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ firstOutputMs: first, exitMs: performance.now() - start, code, output });
    });
  });
}

/** Spawns a long-running process and resolves once `ready` matches its stdout+stderr (bounded). */
export function startProcess(file: string, args: readonly string[], ready: RegExp, timeoutMs = 15_000): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let seen = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${file} not ready within ${timeoutMs} ms: ${seen.slice(0, 2000)}`));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      if (seen.length < 20_000) seen += chunk.toString();
      const match = ready.exec(seen);
      if (match) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stderr!.off('data', onData);
        child.stdout!.resume();
        child.stderr!.resume();
        resolve({ child, match });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${file} exited ${code} before it was ready: ${seen.slice(0, 2000)}`));
    });
  });
}


export interface Spread {
  min: number;
  median: number;
  max: number;
}

export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { min: sorted[0]!, median, max: sorted.at(-1)! };
}

/** "min / median / max" with `digits` decimals. */
export function fmtSpread(s: Spread, digits = 1): string {
  return `${s.min.toFixed(digits)} / ${s.median.toFixed(digits)} / ${s.max.toFixed(digits)}`;
}

/** Medians' ratio, and the best and worst pairing of the two spreads. */
export function fmtRatio(a: Spread, b: Spread): string {
  return `${(a.median / b.median).toFixed(2)}x (${(a.min / b.max).toFixed(2)}..${(a.max / b.min).toFixed(2)})`;
}
