// Running commands for the lab: always argv arrays (never a shell, so names and
// addresses can never be reinterpreted), always bounded by a timeout, output
// bounded in size. `ip netns exec NS cmd...` is just one more argv.
import { spawn, type ChildProcess } from 'node:child_process';

export const DEFAULT_COMMAND_TIMEOUT_MS = 10_000;
/** Output kept per stream; lab commands print little, a runaway must not eat memory. */
const MAX_OUTPUT_CHARS = 1_000_000;

export interface RunOptions {
  /** Killed (SIGKILL) after this; default 10 s. */
  timeoutMs?: number;
  /** Written to stdin, then stdin is closed (used for `nft -f -`). */
  input?: string;
  /** Return a failed result instead of throwing (ping exits 1 on loss, etc.). */
  allowFailure?: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface RunResult {
  argv: readonly string[];
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
}

/** A lab setup command failed: the message carries argv, exit status and stderr. */
export class LabCommandError extends Error {
  readonly code = 'LAB_COMMAND_FAILED';
  readonly result: RunResult;
  constructor(result: RunResult) {
    const status = result.timedOut
      ? `timed out after ${Math.round(result.durationMs)} ms`
      : result.code !== null
        ? `exited with ${result.code}`
        : `killed by ${result.signal}`;
    const detail = (result.stderr.trim() || result.stdout.trim()).slice(0, 2000);
    super(`lab command ${status}: ${result.argv.join(' ')}${detail ? `\n${detail}` : ''}`);
    this.name = 'LabCommandError';
    this.result = result;
  }
}

function append(buffer: string, chunk: Buffer): string {
  return buffer.length >= MAX_OUTPUT_CHARS ? buffer : (buffer + chunk.toString('utf8')).slice(0, MAX_OUTPUT_CHARS);
}

/** Runs argv[0] with argv[1..] and collects its output; throws LabCommandError on failure unless allowFailure. */
export function run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const [command, ...args] = argv;
  if (command === undefined) throw new Error('run(): empty argv');
  const timeoutMs = options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const started = performance.now();
  return new Promise<RunResult>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let spawnError: Error | undefined;
    const child = spawn(command, args, {
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: options.env ?? process.env,
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => (stdout = append(stdout, chunk)));
    child.stderr?.on('data', (chunk: Buffer) => (stderr = append(stderr, chunk)));
    child.on('error', (error) => (spawnError = error));
    if (options.input !== undefined && child.stdin) {
      child.stdin.on('error', () => {}); // EPIPE if the command exits early; its exit status tells the story
      child.stdin.end(options.input);
    }
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (spawnError) {
        reject(new Error(`cannot start ${command}: ${spawnError.message}`));
        return;
      }
      const result: RunResult = { argv, code, signal, stdout, stderr, timedOut, durationMs: performance.now() - started };
      if (!options.allowFailure && (code !== 0 || timedOut)) reject(new LabCommandError(result));
      else resolve(result);
    });
  });
}

/** argv that runs `argv` inside network namespace `ns` (no shell). */
export function inNamespace(ns: string, argv: readonly string[]): string[] {
  return ['ip', 'netns', 'exec', ns, ...argv];
}

/**
 * A long-running process (a DNS server, the netprobe daemon) with its output
 * kept for assertions and diagnostics. `ip netns exec` execs the command, so the
 * pid is the command's own and signals reach it directly.
 */
export class LabProcess {
  readonly argv: readonly string[];
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  readonly exited: Promise<void>;
  private listeners: Array<() => void> = [];

  constructor(argv: readonly string[], env?: NodeJS.ProcessEnv) {
    const [command, ...args] = argv;
    if (command === undefined) throw new Error('LabProcess: empty argv');
    this.argv = argv;
    this.child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    this.child.stdout?.on('data', (chunk: Buffer) => {
      this.stdout = append(this.stdout, chunk);
      this.notify();
    });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = append(this.stderr, chunk);
      this.notify();
    });
    this.exited = new Promise<void>((resolve) => {
      this.child.on('error', (error) => {
        this.stderr += `\nspawn error: ${error.message}`;
        resolve();
      });
      this.child.on('exit', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        this.notify();
        resolve();
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null && this.child.pid !== undefined;
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }

  /** Resolves with the first match of `pattern` in stdout+stderr; rejects on exit or timeout. */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const match = (this.stdout + '\n' + this.stderr).match(pattern);
        if (match) {
          done();
          resolve(match);
          return true;
        }
        if (!this.running) {
          done();
          reject(new Error(`${this.argv.join(' ')} exited (${this.exitCode ?? this.exitSignal}) before printing ${pattern}\n${this.describeOutput()}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.argv.join(' ')} did not print ${pattern} within ${timeoutMs} ms\n${this.describeOutput()}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== listener);
      };
      const listener = (): void => {
        check();
      };
      this.listeners.push(listener);
      check();
    });
  }

  describeOutput(): string {
    return `--- stdout ---\n${this.stdout.slice(-4000)}\n--- stderr ---\n${this.stderr.slice(-4000)}`;
  }

  /** SIGTERM, then SIGKILL after graceMs; resolves once the process is gone. */
  async stop(graceMs = 3000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
