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
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
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
// Builtins required at load time that most runs never use, each standing in
// as an object of getters (one per export, listed here at build time) that
// loads the real module on first use, if ever. Copying the getters (esbuild's
// ESM interop does, for named imports) does not load it; reading one does.
// - tls, for the TCP probe's optional handshake (only configs with `tls:`).
//   Daemon RSS on the embedded default, 3 daemons after 15 s with a scrape
//   every 5 s: 79.6 / 79.7 / 82.4 MB before, 76.6 / 76.6 / 77.0 MB after.
// - crypto, which node-cron requires for its task ids (only configs with
//   `cron:`) and the Kubernetes client for TLS. netprobe's own code does not
//   use it (DNS ids come from /dev/urandom, phase offsets from src/util/hash.ts).
//   ~3 MB of RSS: 46.1 MB for a Node that loaded http, dgram, net, dns, fs and
//   os, 49.1 MB with crypto too (3 runs each, the same Node).
// (child_process, which commander requires, was tried too: Node's own
// net.Server.listen loads it via cluster, so it gained nothing.)
// test/shipped/builtins.test.ts pins both.
const LAZY_BUILTINS = new Set(['tls', 'crypto']);
const requireHere = createRequire(import.meta.url);

/** The stand-in module for a lazy builtin: a getter per export of the real one. */
function lazyStandIn(name) {
  const keys = Object.keys(requireHere(name)).filter((key) => key !== 'default');
  const getters = keys.map((key) => `  ${JSON.stringify(key)}: { get: () => load()[${JSON.stringify(key)}], enumerable: true },`);
  return `let real; const load = () => (real ??= require(${JSON.stringify(name)}));
module.exports = Object.defineProperties({}, {
${getters.join('\n')}
});`;
}

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
      contents: LAZY_BUILTINS.has(args.path.replace(/^node:/, '')) ? lazyStandIn(args.path) : `module.exports = require(${JSON.stringify(args.path)});`,
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
  // Whitespace and syntax minified, identifiers not: V8 keeps each chunk's
  // source text in the heap for the life of the process (2.2 MB of strings
  // on the embedded default before zod/mini, zod's 584 KB chunk the
  // largest), and stack
  // traces keep the names of functions and classes (positions become
  // line 1, column N).
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'eof',
  logLevel: 'warning',
  // NETPROBE_METAFILE=FILE writes esbuild's metafile: which inputs fill each
  // chunk, and how many bytes (what footprint work starts from).
  metafile: Boolean(process.env.NETPROBE_METAFILE),
}).then((result) => {
  if (result.metafile) writeFileSync(process.env.NETPROBE_METAFILE, JSON.stringify(result.metafile));
});
