// Bundles src/cli/main.ts and what it imports (npm dependencies included) into
// plain JavaScript in dist/cli/, so the shipped daemon and CLI pay neither for
// type stripping nor for resolving and compiling hundreds of module files at
// every start. `npm ci` runs it as `prepare`, `npm run build` by hand; the
// type check stays with `tsc --noEmit` (npm test).
//
// Dynamic imports stay separate chunks, loaded only when used: each CLI
// command, Kubernetes discovery, the OpenTelemetry SDK. Chunks sit next to
// main.js, two levels below the project root as src/native/icmp.ts is, so the
// addon's relative path (../../build/Release) resolves the same from both.
//
// A production install (`npm ci --omit=dev`) has no esbuild: it then keeps the
// dist/ it was given and fails only when there is none. Plain JavaScript, so
// that path works with whatever Node runs npm (the pinned one is a dev dependency).
import { existsSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const dist = path.join(root, 'dist');

/** @type {typeof import('esbuild')} */
let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  if (existsSync(path.join(dist, 'cli/main.js'))) {
    console.log('build: esbuild is not installed (production install); keeping the existing dist/');
    process.exit(0);
  }
  console.error('build: dist/ is missing and esbuild is not installed: run `npm ci` (with dev dependencies) first');
  process.exit(1);
}

// Node builtins are loaded with require(), not `import`: for an import Node
// builds an ES module facade that reads every export, which runs the lazy
// getters of node:http (WebSocket, EventSource...) and so loads Node's own
// bundled undici, http2, zlib, worker_threads and webstreams: 20 MB of RSS
// and ~100 internal modules the daemon never uses.
// Builtins required at load time that most runs never use: tls, for the TCP
// probe's optional handshake (only configs with `tls:` need it). A proxy loads
// the real module on first use, if ever. It has no ownKeys trap on purpose:
// esbuild's ESM interop lists a module's keys when it is imported, and that
// must not load it (nothing in netprobe enumerates tls). Daemon RSS on the
// embedded default, 3 daemons after 15 s with a scrape every 5 s: 79.6 / 79.7 /
// 82.4 MB before, 76.6 / 76.6 / 77.0 MB after. (child_process, which commander
// requires, was tried too: Node's own net.Server.listen loads it via cluster,
// so it gained nothing.) test/shipped/builtins.test.ts pins it.
const LAZY_BUILTINS = new Set(['tls']);

/** @type {import('esbuild').Plugin} */
const builtinsByRequire = {
  name: 'builtins-by-require',
  setup(build) {
    const names = builtinModules.filter((m) => !m.startsWith('_')).map((m) => m.replace(/[/]/g, '\\/'));
    const filter = new RegExp(`^(node:.*|${names.join('|')})$`);
    build.onResolve({ filter }, (args) =>
      // The require() inside the stand-in module is the real builtin: external.
      args.namespace === 'builtin' ? { path: args.path, external: true } : { path: args.path, namespace: 'builtin' },
    );
    build.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({
      contents: LAZY_BUILTINS.has(args.path.replace(/^node:/, ''))
        ? `let real; const load = () => (real ??= require(${JSON.stringify(args.path)}));
module.exports = new Proxy({}, {
  get: (_, key) => load()[key],
  has: (_, key) => key in load(),
});`
        : `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

// Start from an empty dist/ so no chunk of an earlier build is left behind.
rmSync(dist, { recursive: true, force: true });
await esbuild.build({
  absWorkingDir: root,
  entryPoints: ['src/cli/main.ts'],
  outdir: 'dist/cli',
  chunkNames: '[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node26',
  // CommonJS dependencies (prom-client, commander...) call require(); an ES
  // module has none, so each file gets one bound to its own location.
  banner: { js: "import { createRequire as __netprobeRequire } from 'node:module'; const require = __netprobeRequire(import.meta.url);" },
  plugins: [builtinsByRequire],
  // No minification: stack traces stay readable (esbuild keeps the names
  // of functions and classes unless it minifies).
  legalComments: 'eof',
  logLevel: 'warning',
});
