// Harness for the end-to-end alert test: a real Prometheus (Debian's
// /usr/bin/prometheus) on 127.0.0.1 with a temp dir, loading the shipped rules
// file as it is (no time compression anywhere), a real netprobe daemon
// (`src/cli/main.ts run`), and small HTTP API helpers. Everything listens on
// loopback or lab addresses; every wait is bounded.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROMETHEUS_BIN = '/usr/bin/prometheus';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function prometheusAvailable(): boolean {
  return existsSync(PROMETHEUS_BIN);
}

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

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export interface Prometheus {
  url: string;
  stop(): Promise<void>;
  output(): string;
}

export interface PrometheusOptions {
  /** Scrape interval; the shipped ServiceMonitor's is 15s. */
  scrapeInterval?: string;
  /** host:port of an Alertmanager to send alerts to. */
  alertmanager?: string;
}

/** Starts Prometheus scraping `target` (host:port) as job "netprobe", with `rulesFile` loaded. */
export async function startPrometheus(dir: string, rulesFile: string, target: string, node: string, options: PrometheusOptions = {}): Promise<Prometheus> {
  const port = await freePort();
  const config = join(dir, 'prometheus.yml');
  const interval = options.scrapeInterval ?? '1s';
  writeFileSync(
    config,
    [
      'global:',
      `  scrape_interval: ${interval}`,
      `  scrape_timeout: ${interval === '1s' ? '1s' : '10s'}`,
      `  evaluation_interval: ${interval}`,
      'rule_files:',
      `  - ${rulesFile}`,
      ...(options.alertmanager ? ['alerting:', '  alertmanagers:', '    - static_configs:', `        - targets: ['${options.alertmanager}']`] : []),
      'scrape_configs:',
      '  - job_name: netprobe',
      '    static_configs:',
      `      - targets: ['${target}']`,
      `        labels: { node: ${node} }`,
      '',
    ].join('\n'),
  );
  let log = '';
  const child = spawn(
    PROMETHEUS_BIN,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1h',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (b: Buffer) => (log += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (log += b.toString()));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor('Prometheus ready', 30_000, async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited ${child.exitCode}: ${log}`);
      const res = await fetch(`${url}/-/ready`);
      return res.ok ? true : undefined;
    });
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return { url, stop: () => stopChild(child), output: () => log };
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

export interface Alert {
  labels: Record<string, string>;
  state: 'pending' | 'firing' | 'inactive';
}

export async function alerts(url: string): Promise<Alert[]> {
  const res = await fetch(`${url}/api/v1/alerts`);
  const body = (await res.json()) as { status: string; data: { alerts: Alert[] } };
  if (body.status !== 'success') throw new Error(`alerts API: ${JSON.stringify(body)}`);
  return body.data.alerts;
}

export interface QueryResult {
  error?: string;
  series: number;
}

/** Instant query through the HTTP API; errors (parse, execution) are returned, not thrown. */
export async function instantQuery(url: string, expr: string, time: number): Promise<QueryResult> {
  const res = await fetch(`${url}/api/v1/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ query: expr, time: String(time) }),
  });
  const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: unknown } };
  if (body.status !== 'success') return { error: body.error ?? `HTTP ${res.status}`, series: 0 };
  const result = body.data!.result;
  return { series: Array.isArray(result) ? result.length : 1 };
}

export { waitFor };
