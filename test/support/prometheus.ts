// The one helper for a real Prometheus (Debian's /usr/bin/prometheus) in
// tests and scripts: on 127.0.0.1, a free port, scraping the jobs it is
// given, optionally with a rules file and an Alertmanager; and small HTTP
// API helpers. Everything listens on loopback or lab addresses; every wait
// is bounded. (bench/footprint/measure.ts starts its own, to measure it.)
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopChild } from './process.ts';

export const PROMETHEUS_BIN = '/usr/bin/prometheus';

export function prometheusAvailable(): boolean {
  return existsSync(PROMETHEUS_BIN);
}

export interface Prometheus {
  url: string;
  stop(): Promise<void>;
  output(): string;
}

export interface PrometheusOptions {
  /** Job name -> host:port targets. */
  jobs: Record<string, readonly string[]>;
  /** Labels put on every target (e.g. { node }). */
  labels?: Record<string, string>;
  /** Rules file to load and evaluate. */
  rulesFile?: string;
  /** Scrape and rule evaluation interval; default 1s (the shipped ServiceMonitor's is 15s). */
  scrapeInterval?: string;
  /** host:port of an Alertmanager to send alerts to. */
  alertmanager?: string;
  /** Where the config and the TSDB go (kept); default a temp dir removed on stop(). */
  dir?: string;
}

export function prometheusConfig(options: PrometheusOptions): string {
  const interval = options.scrapeInterval ?? '1s';
  const labels = options.labels && Object.keys(options.labels).length > 0
    ? `        labels: { ${Object.entries(options.labels).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(', ')} }`
    : undefined;
  const lines = [
    'global:',
    `  scrape_interval: ${interval}`,
    `  scrape_timeout: ${interval === '1s' ? '1s' : '10s'}`,
    `  evaluation_interval: ${interval}`,
    ...(options.rulesFile ? ['rule_files:', `  - ${options.rulesFile}`] : []),
    ...(options.alertmanager ? ['alerting:', '  alertmanagers:', '    - static_configs:', `        - targets: ['${options.alertmanager}']`] : []),
    'scrape_configs:',
  ];
  for (const [job, targets] of Object.entries(options.jobs)) {
    lines.push(`  - job_name: ${job}`, '    static_configs:', `      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]`);
    if (labels) lines.push(labels);
  }
  return `${lines.join('\n')}\n`;
}

/** Starts Prometheus and waits (30 s at most) until it is ready. */
export async function startPrometheus(options: PrometheusOptions): Promise<Prometheus> {
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'netprobe-prometheus-'));
  const port = await freePort();
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, prometheusConfig(options));
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
  const stop = async (): Promise<void> => {
    await stopChild(child);
    if (ownDir) rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor('Prometheus ready', 30_000, async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited ${child.exitCode}: ${log}`);
      const res = await fetch(`${url}/-/ready`);
      return res.ok ? true : undefined;
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, stop, output: () => log };
}

/** Polls `probe` every 250 ms until it returns a value (or `timeoutMs` passes: throws with the last error). */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
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



function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
