// The shipped artefact is dist/ (compiled by `npm ci` / `npm run build`), run
// through bin/netprobe; the other tests run the TypeScript sources directly.
// This file pins that the two agree: dist/ is built from the current src/
// (same modules, none older than its source, imports rewritten to .js) and
// the built CLI answers like the source one does.
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const stale = 'dist/ is stale: run `npm run build` (npm ci and scripts/test-all.sh build it)';

function files(dir: string, ext: string): string[] {
  return readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith(ext))
    .map((f) => f.slice(0, -ext.length))
    .sort();
}

async function netprobe(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(path.join(root, 'bin/netprobe'), args, { cwd: root, timeout: 20_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

describe('dist/', () => {
  it('holds exactly one module per source file, none older than its source', () => {
    const sources = files('src', '.ts');
    expect(sources.length).toBeGreaterThan(20);
    expect(files('dist', '.js'), stale).toEqual(sources);
    for (const mod of sources) {
      const built = statSync(path.join(root, 'dist', `${mod}.js`)).mtimeMs;
      expect(built, `${stale}: dist/${mod}.js is older than src/${mod}.ts`).toBeGreaterThanOrEqual(statSync(path.join(root, 'src', `${mod}.ts`)).mtimeMs);
    }
  });

  it('imports .js, never .ts (node does not strip types under the compiled entry)', () => {
    for (const mod of files('dist', '.js')) {
      const text = readFileSync(path.join(root, 'dist', `${mod}.js`), 'utf8');
      expect(text, `dist/${mod}.js`).not.toMatch(/(from|import\()\s*['"]\.{1,2}\/[^'"]*\.ts['"]/);
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
