// What a command must not load: the start-up time and memory of the shipped
// CLI and daemon depend on heavy modules staying behind dynamic imports
// (bench/footprint measures the result). Run on the sources, where every
// module is still its own file.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(path.join(tmpdir(), 'netprobe-lazy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the CLI from source; `until` (when given) is output to wait for before SIGTERM. Returns the modules loaded. */
function modulesOf(args: string[], until?: RegExp): Promise<string[]> {
  const log = path.join(dir, `${args[0]}-${Math.random().toString(36).slice(2)}.log`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', './test/shipped/record-modules.ts', 'src/cli/main.ts', ...args], {
      cwd: root,
      env: { ...process.env, NETPROBE_MODULE_LOG: log },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    let stopping = false;
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      // A moment for the daemon to install its SIGTERM handler after printing.
      if (!stopping && until?.test(out)) {
        stopping = true;
        setTimeout(() => child.kill('SIGTERM'), 500);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', () => {
      clearTimeout(timer);
      try {
        resolve(readFileSync(log, 'utf8').split('\n'));
      } catch (error) {
        reject(new Error(`no module log (${(error as Error).message}); output: ${out}`));
      }
    });
  });
}

const has = (modules: string[], part: string): boolean => modules.some((url) => url.includes(part));

describe('lazy loading', () => {
  it('--version loads no command, config or schema code', async () => {
    const modules = await modulesOf(['--version']);
    expect(has(modules, '/src/cli/program.ts')).toBe(true);
    for (const part of ['/src/cli/commands/', '/node_modules/zod/', '/node_modules/yaml/', '/src/app/daemon.ts']) expect(has(modules, part), part).toBe(false);
  });

  it('mtu loads the ICMP code but not zod, YAML, the daemon or the other commands', async () => {
    const modules = await modulesOf(['mtu', '--help']);
    expect(has(modules, '/src/cli/commands/mtu.ts')).toBe(true);
    for (const part of ['/node_modules/zod/', '/node_modules/yaml/', '/src/app/daemon.ts', '/src/cli/commands/dns.ts', '/src/cli/commands/run.ts']) expect(has(modules, part), part).toBe(false);
  });

  it('the daemon on the embedded default loads no Kubernetes client, OpenTelemetry or full prom-client', async () => {
    const modules = await modulesOf(['run', '--listen', '127.0.0.1:0', '--log-level', 'warn'], /metrics at http/);
    expect(has(modules, '/src/app/daemon.ts')).toBe(true);
    for (const part of ['/src/targets/kubernetes/client.ts', '/node_modules/undici/', '/node_modules/@opentelemetry/', '/node_modules/prom-client/index.js']) {
      expect(has(modules, part), part).toBe(false);
    }
  });
});
