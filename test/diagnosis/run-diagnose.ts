// `netprobe diagnose` run as a process, as users run it, against a real
// Prometheus (test/support/prometheus.ts), and a stand-in for the
// kube-state-metrics series it reads.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NODE_BIN = join(ROOT, 'node_modules', '.bin', 'node');
const CLI = join(ROOT, 'src', 'cli', 'main.ts');

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
