// `netprobe run` re-executes itself once with a capped young generation
// (src/cli/daemon-heap.ts): V8 sizes it only at start. The argv it builds,
// and the shipped daemon as a process: the same PID, the flag on its command
// line, a launcher's own value kept.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DAEMON_SEMI_SPACE_MB, daemonReexecArgv } from '../../src/cli/daemon-heap.ts';
import { stopChild } from '../support/process.ts';

const root = path.resolve(import.meta.dirname, '../..');
const FLAG = `--max-semi-space-size=${DAEMON_SEMI_SPACE_MB}`;

describe('daemonReexecArgv', () => {
  it.each([
    { name: 'nothing given: the flag first, node flags and the script argv kept', execArgv: ['--cpu-prof'], nodeOptions: undefined, want: ['/n', FLAG, '--cpu-prof', 'main.js', 'run', '-c', 'x.yaml'] },
    { name: 'NODE_OPTIONS without it', execArgv: [], nodeOptions: '--max-old-space-size=160', want: ['/n', FLAG, 'main.js', 'run', '-c', 'x.yaml'] },
    { name: 'given on node\'s command line', execArgv: ['--max-semi-space-size=16'], nodeOptions: undefined, want: undefined },
    { name: 'given on node\'s command line, value apart', execArgv: ['--max-semi-space-size', '16'], nodeOptions: undefined, want: undefined },
    { name: 'given with underscores', execArgv: ['--max_semi_space_size=2'], nodeOptions: undefined, want: undefined },
    { name: 'given in NODE_OPTIONS', execArgv: [], nodeOptions: '--max-old-space-size=160 --max-semi-space-size=2', want: undefined },
  ])('$name', ({ execArgv, nodeOptions, want }) => {
    expect(daemonReexecArgv('/n', execArgv, ['/n', 'main.js', 'run', '-c', 'x.yaml'], nodeOptions)).toEqual(want);
  });
});

/** Starts the shipped daemon on the embedded default and returns its command line once it serves. */
async function cmdlineOfDaemon(nodeArgs: string[]): Promise<{ cmdline: string[] }> {
  const child = spawn(process.execPath, [...nodeArgs, 'dist/cli/main.js', 'run', '--listen', '127.0.0.1:0', '--log-level', 'warn'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  try {
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no metrics URL within 20 s: ${out}`)), 20_000);
      const onData = (b: Buffer): void => {
        out += b.toString();
        if (/http:\/\/127\.0\.0\.1:\d+\/metrics/.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => reject(new Error(`daemon exited (${code}): ${out}`)));
    });
    const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    return { cmdline };
  } finally {
    await stopChild(child);
  }
}

describe('the shipped daemon', () => {
  it('runs as the same process with the young generation capped', { timeout: 30_000 }, async () => {
    const { cmdline } = await cmdlineOfDaemon([]);
    // The spawned PID itself now runs with the flag: re-executed in place (node makes argv[1] absolute).
    expect(cmdline.slice(1)).toEqual([FLAG, path.join(root, 'dist/cli/main.js'), 'run', '--listen', '127.0.0.1:0', '--log-level', 'warn']);
  });

  it("keeps a launcher's own value and adds none", { timeout: 30_000 }, async () => {
    const { cmdline } = await cmdlineOfDaemon(['--max-semi-space-size=16']);
    expect(cmdline.slice(1)).toEqual(['--max-semi-space-size=16', 'dist/cli/main.js', 'run', '--listen', '127.0.0.1:0', '--log-level', 'warn']);
  });
});
