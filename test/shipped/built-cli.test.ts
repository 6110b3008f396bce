// The shipped artefact is dist/ (bundled by `npm ci` / `npm run build` with
// esbuild), run through bin/netprobe; the other tests run the TypeScript
// sources directly. This file pins that the two agree: dist/ is built from the
// current sources (no source file, package.json or lock newer than it), needs
// nothing beside itself but the ICMP addon, and answers like the source CLI.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

async function netprobe(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(path.join(root, 'bin/netprobe'), args, { cwd: root, timeout: 20_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

describe('dist/', () => {
  it('is newer than every source file it is built from', () => {
    const entry = path.join(root, 'dist/cli/main.js');
    const built = statSync(entry, { throwIfNoEntry: false })?.mtimeMs;
    expect(built, 'dist/cli/main.js is missing: run `npm run build`').toBeDefined();
    const inputs = [
      ...readdirSync(path.join(root, 'src'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => `src/${f}`),
      'package.json',
      'package-lock.json',
      'scripts/build.mjs',
    ];
    expect(inputs.length).toBeGreaterThan(20);
    const newer = inputs.filter((f) => statSync(path.join(root, f)).mtimeMs > built!);
    expect(newer, 'dist/ is stale: run `npm run build` (npm ci, npm test and scripts/test-all.sh build it)').toEqual([]);
  });

  it('is self-contained: runs from a folder with no src/ and no node_modules/', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'netprobe-dist-'));
    try {
      cpSync(path.join(root, 'dist'), path.join(dir, 'dist'), { recursive: true });
      cpSync(path.join(root, 'test/config/valid/full.yaml'), path.join(dir, 'full.yaml'));
      const main = path.join(dir, 'dist/cli/main.js');
      const { stdout } = await run(process.execPath, [main, 'validate-config', 'full.yaml'], { cwd: dir, timeout: 20_000 });
      expect(stdout).toBe('full.yaml: ok (2 probes)\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('bin/netprobe (the built CLI)', () => {
  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
    const result = await netprobe('--version');
    expect(result).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it('validate-config accepts a valid file and rejects a bad one with exit 2 and its position', async () => {
    expect(await netprobe('validate-config', 'test/config/valid/full.yaml')).toMatchObject({ code: 0, stdout: expect.stringContaining(': ok') });
    const bad = await netprobe('validate-config', 'test/config/invalid/bad-mode.yaml');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(readFileSync(path.join(root, 'test/config/invalid/bad-mode.expected'), 'utf8'));
  });
});
