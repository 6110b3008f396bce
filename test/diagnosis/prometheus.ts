// A real Prometheus (Debian's /usr/bin/prometheus) for the diagnose tests:
// scrapes the given targets every second, listens on loopback, temp storage.
// Also `netprobe diagnose` run as a process, as users run it.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROMETHEUS_BIN = '/usr/bin/prometheus';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NODE_BIN = join(ROOT, 'node_modules', '.bin', 'node');
const CLI = join(ROOT, 'src', 'cli', 'main.ts');

export const prometheusAvailable = (): boolean => existsSync(PROMETHEUS_BIN);

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function stop(child: ChildProcess): Promise<void> {
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

export interface Prom {
  url: string;
  stop(): Promise<void>;
  output(): string;
}

/** Prometheus scraping `jobs` (job name -> host:port list) every second. */
export async function startPrometheus(jobs: Record<string, string[]>): Promise<Prom> {
  const dir = mkdtempSync(join(tmpdir(), 'np-diag-prom-'));
  const port = await freePort();
  const config = join(dir, 'prometheus.yml');
  const lines = ['global:', '  scrape_interval: 1s', '  scrape_timeout: 1s', 'scrape_configs:'];
  for (const [job, targets] of Object.entries(jobs)) {
    lines.push(`  - job_name: ${job}`, '    static_configs:', `      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]`);
  }
  writeFileSync(config, `${lines.join('\n')}\n`);
  let log = '';
  const child = spawn(
    PROMETHEUS_BIN,
    [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (b: Buffer) => (log += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (log += b.toString()));
  const url = `http://127.0.0.1:${port}`;
  const done = async (): Promise<void> => {
    await stop(child);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      await done();
      throw new Error(`prometheus exited ${child.exitCode}: ${log}`);
    }
    const ok = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      await done();
      throw new Error(`prometheus not ready after 30 s: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, stop: done, output: () => log };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `netprobe ARGS...` as a process (bounded by timeoutMs). */
export function runCli(args: readonly string[], timeoutMs = 30_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE_BIN, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** Runs diagnose until `done` holds (bounded); returns the last result. */
export async function diagnoseUntil(url: string, extra: string[], done: (r: CliResult) => boolean, deadlineMs: number): Promise<{ result: CliResult; elapsedMs: number }> {
  const start = Date.now();
  let result: CliResult = { code: -1, stdout: '', stderr: '' };
  while (Date.now() - start < deadlineMs) {
    result = await runCli(['diagnose', '--prometheus', url, ...extra]);
    if (done(result)) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return { result, elapsedMs: Date.now() - start };
}

/** A process serving a fixed text exposition on host:port (for kube-state-metrics' kube_node_created). */
export async function serveExposition(host: string, text: () => string): Promise<{ address: string; close(): Promise<void> }> {
  const http = await import('node:http');
  const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(text()));
  await new Promise<void>((r) => server.listen(0, host, () => r()));
  const { port } = server.address() as { port: number };
  return { address: `${host}:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}
