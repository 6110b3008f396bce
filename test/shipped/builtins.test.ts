// The shipped daemon (dist/) on the embedded default loads neither tls nor
// crypto: scripts/build.mjs makes them stand-ins that load on first use (a
// probe with `tls:`, a `cron:` schedule, Kubernetes discovery). A use at load
// time that slips in undoes ~3 MB of RSS each.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stopChild } from '../support/process.ts';
import { waitFor } from '../support/prometheus.ts';

const root = path.resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(path.join(tmpdir(), 'netprobe-builtins-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Node's own list of loaded builtins, written by a preload once the daemon has run for a while. */
function builtinsOfDaemon(): Promise<string[]> {
  const out = path.join(dir, 'modules.txt');
  const preload = path.join(dir, 'preload.cjs');
  writeFileSync(preload, `setTimeout(() => { require('fs').writeFileSync(${JSON.stringify(out)}, process.moduleLoadList.join('\\n')); process.kill(process.pid, 'SIGTERM'); }, 3000).unref();\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', preload, 'dist/cli/main.js', 'run', '--listen', '127.0.0.1:0', '--log-level', 'warn'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('exit', () => {
      clearTimeout(timer);
      try {
        resolve(readFileSync(out, 'utf8').split('\n'));
      } catch (error) {
        reject(new Error(`no module list (${(error as Error).message}): ${err}`));
      }
    });
  });
}

describe('shipped daemon builtins', () => {
  it('the embedded default runs without loading tls or crypto', { timeout: 30_000 }, async () => {
    const modules = await builtinsOfDaemon();
    expect(modules).toContain('NativeModule dgram'); // it did probe
    expect(modules.filter((m) => /^NativeModule (tls|_tls_wrap|internal\/tls\/wrap|crypto|internal\/crypto\/.*)$/.test(m))).toEqual([]);
  });

  it('a lazy builtin loads on first use through a named import too: a cron schedule runs (node-cron ids from crypto)', { timeout: 30_000 }, async () => {
    const server = net.createServer((s) => s.destroy());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    const file = path.join(dir, 'cron.yaml');
    writeFileSync(file, ['listen: 127.0.0.1:0', 'probes:', '  - name: cron-tcp', '    kind: tcp', '    cron: "* * * * * *"', `    targets: ["127.0.0.1:${port}"]`, '    count: 1', ''].join('\n'));
    const child = spawn(process.execPath, ['dist/cli/main.js', 'run', '--config', file, '--log-level', 'warn'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr.on('data', (b: Buffer) => (out += b.toString()));
      const deadline = Date.now() + 20_000;
      let url: string | undefined;
      while (!url && Date.now() < deadline && child.exitCode === null) {
        url = /metrics at (http:\/\/[\d.:]+\/metrics)/.exec(out)?.[1];
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(url, out).toBeDefined();
      const connected = /netprobe_tcp_connects_total\{[^}]*probe="cron-tcp"[^}]*result="connected"[^}]*\} [1-9]/;
      const body = await waitFor('a connected cron-tcp run', Math.max(0, deadline - Date.now()), async () => {
        const text = await (await fetch(url!)).text();
        return connected.test(text) ? text : undefined;
      });
      expect(body).toMatch(connected);
      expect(out).not.toMatch(/threw|TypeError/);
    } finally {
      await stopChild(child);
      server.close();
    }
  });

  it('a TLS probe through the shipped CLI loads tls on first use and handshakes', { timeout: 30_000 }, async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'k.pem', '-out', 'c.pem', '-days', '1', '-subj', '/CN=builtins test', '-addext', 'subjectAltName=IP:127.0.0.1'], { cwd: dir, stdio: 'pipe' });
    const server = tls.createServer({ key: readFileSync(path.join(dir, 'k.pem')), cert: readFileSync(path.join(dir, 'c.pem')) }, (s) => s.end());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    try {
      const out = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
        const child = spawn(process.execPath, ['dist/cli/main.js', 'tcp', `127.0.0.1:${port}`, '-c', '1', '--tls-ca', path.join(dir, 'c.pem')], { cwd: root });
        let stdout = '';
        child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
        child.on('exit', (code) => resolve({ code, stdout }));
      });
      expect(out.stdout).toMatch(/Connected to 127\.0\.0\.1: time=[\d.]+ms tls=[\d.]+ms/);
      expect(out.code).toBe(0);
    } finally {
      server.close();
    }
  });
});
