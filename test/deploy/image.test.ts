// What can be tested of the container image without a container engine:
// - the Dockerfile's shape (stages, non-root numeric user matching the
//   DaemonSet, entrypoint, same base for build and runtime);
// - a production install of exactly what the Dockerfile copies, with runtime
//   dependencies only (`npm ci --omit=dev` in a clean folder), starts the
//   daemon and answers /healthz and /metrics on loopback.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repoRoot } from './kustomize.ts';

const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
const lines = dockerfile.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));

describe('Dockerfile', () => {
  it('is multi-stage on one Node 26 slim base, prunes dev dependencies and runs as a numeric non-root user', () => {
    const from = lines.filter((l) => l.startsWith('FROM '));
    expect(from).toHaveLength(2);
    expect(dockerfile).toMatch(/ARG NODE_IMAGE=node:26-[a-z]+-slim/);
    expect(from.every((l) => l.includes('${NODE_IMAGE}'))).toBe(true);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
    const user = lines.filter((l) => l.startsWith('USER ')).at(-1)!;
    const uid = Number(user.split(/\s+/)[1]!.split(':')[0]);
    expect(uid).toBeGreaterThan(0);
    const ds = parse(readFileSync(join(repoRoot, 'deploy/kubernetes/base/daemonset.yaml'), 'utf8'));
    expect(ds.spec.template.spec.securityContext.runAsUser).toBe(uid);
    expect(lines.filter((l) => l.startsWith('ENTRYPOINT')).at(-1)).toBe('ENTRYPOINT ["node", "dist/cli/main.js"]');
    expect(lines.filter((l) => l.startsWith('CMD')).at(-1)).toBe('CMD ["run", "--config", "/etc/netprobe/config.yaml"]');
  });

  it('copies only sources the runtime needs, and .dockerignore keeps local builds and dependencies out', () => {
    const ignore = readFileSync(join(repoRoot, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['node_modules', 'build', '.git', 'test']) expect(ignore).toContain(entry);
    for (const src of copiedSources()) expect(existsSync(join(repoRoot, src)), src).toBe(true);
  });
});

/** The paths the build stage COPYs from the context (not --from). */
function copiedSources(): string[] {
  return lines
    .filter((l) => l.startsWith('COPY ') && !l.includes('--from='))
    .flatMap((l) => l.split(/\s+/).slice(1, -1))
    .map((p) => p.replace(/\/$/, ''));
}

const run = promisify(execFile);
let dir = '';
let daemon: ChildProcess | undefined;
afterAll(() => {
  if (daemon && daemon.exitCode === null) daemon.kill('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('production install', () => {
  it('runtime dependencies alone start the daemon, which answers /healthz and /metrics', { timeout: 300_000 }, async () => {
    dir = mkdtempSync(join(tmpdir(), 'netprobe-prod-'));
    for (const src of copiedSources()) cpSync(join(repoRoot, src), join(dir, src), { recursive: true });
    // The build stage's full install compiled dist/; this checkout's is the same build.
    cpSync(join(repoRoot, 'dist'), join(dir, 'dist'), { recursive: true });
    await run('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: dir, timeout: 240_000, maxBuffer: 16 * 2 ** 20 });
    // Dev-only packages must not be there; the ICMP addon must have been built by the install.
    for (const dev of ['vitest', 'typescript', 'kubernetes-models', 'node']) expect(existsSync(join(dir, 'node_modules', dev)), dev).toBe(false);
    expect(existsSync(join(dir, 'build/Release/netprobe_icmp.node'))).toBe(true);
    expect(existsSync(join(dir, 'build/Release/netprobe_dns.node'))).toBe(true);
    expect(existsSync(join(dir, 'build/Release/netprobe_tcp.node'))).toBe(true);

    // Loopback only: the embedded DNS responder as the one target.
    writeFileSync(
      join(dir, 'config.yaml'),
      ['sourceNode: image-test', 'listen: 127.0.0.1:0', 'probes:', '  - { name: smoke, kind: dns, every: 1s, servers: [embedded], names: [kubernetes.default.svc.cluster.local] }', ''].join('\n'),
    );
    // process.execPath: the Node 26 that runs the tests stands in for the image's node.
    daemon = spawn(process.execPath, ['dist/cli/main.js', 'run', '--config', 'config.yaml'], { cwd: dir, env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    daemon.stdout!.on('data', (d) => (out += d));
    daemon.stderr!.on('data', (d) => (err += d));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL within 20 s; stdout: ${out} stderr: ${err}`)), 20_000);
      const check = () => {
        const m = /http:\/\/127\.0\.0\.1:\d+/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[0]);
        }
      };
      daemon!.stdout!.on('data', check);
      daemon!.on('exit', (code) => reject(new Error(`daemon exited ${code}: ${err}`)));
    });
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    let metrics = '';
    for (let i = 0; i < 50 && !metrics.includes('netprobe_dns_lookups_total{'); i++) {
      metrics = await (await fetch(`${url}/metrics`)).text();
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(metrics).toContain('netprobe_build_info{');
    expect(metrics).toMatch(/netprobe_dns_lookups_total\{[^}]*source_node="image-test"[^}]*result="success"/);
    const exited = new Promise<number | null>((resolve) => daemon!.on('exit', (code) => resolve(code)));
    daemon.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
