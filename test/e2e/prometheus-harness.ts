// What the alert tests run beside a real Prometheus (test/support/prometheus.ts):
// the shipped rules with their durations compressed for a short test, and a
// real netprobe daemon (`src/cli/main.ts run`). Every wait is bounded.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stopChild } from '../support/process.ts';
import { waitFor } from '../support/prometheus.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function durationSeconds(n: string, unit: string): number {
  return Number(n) * { ms: 0.001, s: 1, m: 60, h: 3600 }[unit as 'ms' | 's' | 'm' | 'h'];
}
function formatDuration(seconds: number): string {
  const ms = Math.max(1, Math.round(seconds * 1000));
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/**
 * The one time compression a test may apply to the shipped rules: every duration
 * in the file (range windows, subquery ranges and steps, `for:`, group
 * `interval:`) divided by `factor`. Thresholds, minimum counts and joins stay as
 * shipped. The probes (and scrape) must run `factor` times faster as well, so the
 * same number of runs falls in each window; the minimum-count guards, written as
 * `rate * 60`, then count `factor` times more and are easier to meet.
 */
export function compressTime(text: string, factor: number): string {
  if (!(factor >= 1)) throw new Error(`compressTime: factor must be >= 1, got ${factor}`);
  let n = 0;
  const scale = (num: string, unit: string) => (n++, formatDuration(durationSeconds(num, unit) / factor));
  const out = text
    .replace(/\[(\d+)(ms|s|m|h)(?::(\d+)(ms|s|m|h))?\]/g, (_m, a: string, u: string, b?: string, v?: string) =>
      b ? `[${scale(a, u)}:${scale(b, v!)}]` : `[${scale(a, u)}]`,
    )
    .replace(/^(\s+(?:for|interval):\s*)(\d+)(ms|s|m|h)\s*$/gm, (_m, head: string, a: string, u: string) => `${head}${scale(a, u)}`);
  if (n === 0) throw new Error('compressTime: no duration found (rules file changed shape?)');
  return out;
}

export interface Netprobe {
  /** host:port of its HTTP listener. */
  address: string;
  /** Send SIGHUP (config reload) and wait for the daemon to log it. */
  reload(): Promise<void>;
  stop(): Promise<void>;
  output(): string;
}

/** Runs `netprobe run --config FILE` and waits for the metrics URL it prints. */
export async function startNetprobe(configFile: string): Promise<Netprobe> {
  let out = '';
  let err = '';
  const child = spawn(process.execPath, [join(ROOT, 'src/cli/main.ts'), 'run', '--config', configFile], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  let address: string;
  try {
    address = await waitFor('netprobe metrics URL on stdout', 30_000, async () => {
      if (child.exitCode !== null) throw new Error(`netprobe exited ${child.exitCode}: ${err}`);
      return /metrics at http:\/\/([^/\s]+)\/metrics/.exec(out)?.[1];
    });
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return {
    address,
    async reload() {
      const before = (err.match(/config reloaded/g) ?? []).length;
      child.kill('SIGHUP');
      await waitFor('netprobe "config reloaded" log', 15_000, async () =>
        (err.match(/config reloaded/g) ?? []).length > before ? true : undefined,
      );
    },
    stop: () => stopChild(child),
    output: () => out + err,
  };
}
