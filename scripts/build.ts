// Compiles src/ to dist/ (plain JavaScript, one .js per .ts, same layout), so
// the shipped daemon and CLI do not pay for type stripping at every start.
// `npm ci` runs it as `prepare`, `npm run build` runs it by hand.
//
// A production install (`npm ci --omit=dev`, as the image's build stage does
// after building) has no TypeScript: it then keeps the dist/ it was given and
// fails only when there is none, instead of failing the whole install.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const dist = path.join(root, 'dist');

let tsc: string | undefined;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  tsc = undefined;
}

if (!tsc) {
  if (existsSync(path.join(dist, 'cli/main.js'))) {
    console.log('build: TypeScript is not installed (production install); keeping the existing dist/');
    process.exit(0);
  }
  console.error('build: dist/ is missing and TypeScript is not installed: run `npm ci` (with dev dependencies) first');
  process.exit(1);
}

// Start from an empty dist/ so a source file deleted or renamed leaves no
// stale module behind (tsc never removes outputs).
rmSync(dist, { recursive: true, force: true });
const result = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (result.status !== 0) {
  console.error('build: tsc failed');
  process.exit(result.status ?? 1);
}
