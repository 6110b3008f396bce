// The shipped daemon (dist/) on the embedded default does not load tls:
// scripts/build.mjs makes it a proxy that loads on first use (a probe with
// `tls:`). A use at load time that slips in undoes ~3 MB of RSS.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import tls from 'node:tls';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

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
  it('the embedded default runs without loading tls', { timeout: 30_000 }, async () => {
    const modules = await builtinsOfDaemon();
    expect(modules).toContain('NativeModule dgram'); // it did probe
    expect(modules.filter((m) => /^NativeModule (tls|_tls_wrap|internal\/tls\/wrap)$/.test(m))).toEqual([]);
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
