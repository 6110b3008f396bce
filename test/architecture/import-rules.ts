// The import rules of docs/architecture.md as data: one entry per row of its
// "may import" table (the `row` is the table's first column, word for word,
// and import-rules.test.ts checks the two lists match), plus two rules the
// doc states under the table. Patterns: `*` one path segment, `**` any depth.

export interface ImportRule {
  /** The row of the table in docs/architecture.md (its first column), or a rule stated under it. */
  row: string;
  /** The files the rule is for. Everything at or below its folder (the part before `**`) is its own and may be imported freely. */
  files: string;
  /** Other src/ files they may import. src/util may be imported by any file (see SHARED). */
  may: readonly string[];
  /** Bare specifiers (node: modules, packages) they must never import. */
  never?: readonly RegExp[];
}

/** Leaf helpers anyone may import; they import nothing of src/ themselves. */
export const SHARED = ['src/util/**'];

const SOCKETS_HTTP = [/^node:(net|dgram|tls|http|https|http2)$/, /^undici($|\/)/];
const METRICS_LIBS = [/^prom-client($|\/)/, /^@opentelemetry\//];
/** "probe result types": the probes' types modules (result types and the outcome lists they are built from). */
const PROBE_RESULT_TYPES = ['src/probes/types.ts', 'src/probes/*/types.ts'];

export const IMPORT_RULES: readonly ImportRule[] = [
  { row: '`src/probes/<kind>/`', files: 'src/probes/*/**', may: ['src/probes/types.ts', 'src/config/common.ts', 'src/native/**'], never: METRICS_LIBS },
  { row: '`src/probes/registry.ts`', files: 'src/probes/registry.ts', may: ['src/probes/**'] },
  { row: '`src/probes/schemas.ts`', files: 'src/probes/schemas.ts', may: ['src/probes/*/config.ts'] },
  { row: '`src/config/`', files: 'src/config/**', may: ['src/probes/schemas.ts'] },
  { row: '`src/scheduler/`', files: 'src/scheduler/**', may: [] },
  { row: '`src/metrics/`', files: 'src/metrics/**', may: PROBE_RESULT_TYPES },
  { row: '`src/exporters/`', files: 'src/exporters/**', may: ['src/metrics/catalog.ts'] },
  { row: '`src/targets/`', files: 'src/targets/**', may: ['src/probes/types.ts'] },
  { row: '`src/embedded/`', files: 'src/embedded/**', may: [] },
  { row: '`src/native/`', files: 'src/native/**', may: [] },
  { row: '`src/diagnosis/`', files: 'src/diagnosis/**', may: PROBE_RESULT_TYPES, never: [...SOCKETS_HTTP, ...METRICS_LIBS] },
  { row: '`src/app/`', files: 'src/app/**', may: ['src/**'] },
  { row: '`src/cli/`', files: 'src/cli/**', may: ['src/app/**', 'src/probes/**'] },
  // Stated under the table rather than in it.
  { row: 'probe contract (`src/probes/types.ts`)', files: 'src/probes/types.ts', may: [] },
  { row: 'shared helpers (`src/util/`)', files: 'src/util/**', may: [] },
];

/**
 * Imports that break a rule today and are being fixed under issue 14; each
 * one goes when its fix lands (the test fails on an entry no longer needed).
 */
export const KNOWN_VIOLATIONS: readonly { from: string; to: string; why: string }[] = [
  // Item "the scheduler imports from probes": Clock moves to src/util/clock.ts.
  { from: 'src/scheduler/scheduler.ts', to: 'src/probes/types.ts', why: 'issue 14: scheduler takes Clock from probes' },
  { from: 'src/scheduler/wake-queue.ts', to: 'src/probes/types.ts', why: 'issue 14: scheduler takes Clock from probes' },
  // Item "the wiring is in cli/": Kubernetes wiring moves into src/app.
  { from: 'src/cli/discovery.ts', to: 'src/config/load.ts', why: 'issue 14: Kubernetes wiring in cli/' },
  { from: 'src/cli/discovery.ts', to: 'src/config/schema.ts', why: 'issue 14: Kubernetes wiring in cli/' },
  { from: 'src/cli/discovery.ts', to: 'src/metrics/record-discovery.ts', why: 'issue 14: Kubernetes wiring in cli/' },
  { from: 'src/cli/discovery.ts', to: 'src/targets/kubernetes/discovery.ts', why: 'issue 14: Kubernetes wiring in cli/' },
  { from: 'src/cli/discovery.ts', to: 'src/targets/kubernetes/resolve.ts', why: 'issue 14: Kubernetes wiring in cli/' },
  { from: 'src/cli/discovery.ts', to: 'src/targets/kubernetes/index.ts', why: 'issue 14: Kubernetes wiring in cli/' },
  { from: 'src/cli/commands/run.ts', to: 'src/config/load.ts', why: 'issue 14: daemon start-up (config load) wired in cli/' },
  { from: 'src/cli/commands/run.ts', to: 'src/config/schema.ts', why: 'issue 14: daemon start-up (config load) wired in cli/' },
  { from: 'src/cli/commands/run.ts', to: 'src/config/common.ts', why: 'issue 14: daemon start-up (config load) wired in cli/' },
  { from: 'src/cli/commands/validate-config.ts', to: 'src/config/load.ts', why: 'issue 14: config loading reached from cli/ (table: app, probes)' },
  { from: 'src/cli/commands/validate-config.ts', to: 'src/targets/kubernetes/resolve.ts', why: 'issue 14: Kubernetes wiring in cli/' },
  // Item "run-once repeats the daemon's defaults": commands go through the kind.
  { from: 'src/cli/commands/dns.ts', to: 'src/config/common.ts', why: 'issue 14: run-once parses durations itself instead of the kind schema' },
  { from: 'src/cli/commands/tcp.ts', to: 'src/config/common.ts', why: 'issue 14: run-once parses durations itself instead of the kind schema' },
  { from: 'src/cli/commands/mtu.ts', to: 'src/native/icmp.ts', why: 'issue 14: run-once reaches past the kind into native/' },
  { from: 'src/cli/commands/trace.ts', to: 'src/native/icmp.ts', why: 'issue 14: run-once reaches past the kind into native/' },
  // `netprobe diagnose` (table row for cli/: app, probes): the row or the command's wiring must change.
  { from: 'src/cli/commands/diagnose.ts', to: 'src/diagnosis/engine.ts', why: 'issue 14: diagnose wired in cli/, not in the table row' },
  { from: 'src/cli/commands/diagnose.ts', to: 'src/diagnosis/prometheus.ts', why: 'issue 14: diagnose wired in cli/, not in the table row' },
  { from: 'src/cli/commands/diagnose.ts', to: 'src/diagnosis/types.ts', why: 'issue 14: diagnose wired in cli/, not in the table row' },
  { from: 'src/cli/prometheus-api.ts', to: 'src/diagnosis/prometheus.ts', why: 'issue 14: diagnose wired in cli/, not in the table row' },
  // Item "one shape per kind, one kind table": the kind type lives in the registry.
  { from: 'src/probes/dns/kind.ts', to: 'src/probes/registry.ts', why: 'issue 14: kinds take their type from the registry' },
  { from: 'src/probes/icmp/kind.ts', to: 'src/probes/registry.ts', why: 'issue 14: kinds take their type from the registry' },
  { from: 'src/probes/tcp/kind.ts', to: 'src/probes/registry.ts', why: 'issue 14: kinds take their type from the registry' },
  // Discovery as a live target source: its recorder and config reach across.
  { from: 'src/metrics/record-discovery.ts', to: 'src/targets/kubernetes/discovery.ts', why: 'issue 14: discovery recorder types from targets/' },
  { from: 'src/metrics/record-discovery.ts', to: 'src/targets/types.ts', why: 'issue 14: discovery recorder types from targets/' },
  { from: 'src/config/schema.ts', to: 'src/targets/kubernetes/config.ts', why: 'issue 14: discovery config schema in targets/' },
  { from: 'src/targets/kubernetes/config.ts', to: 'src/config/common.ts', why: 'issue 14: discovery config schema in targets/' },
];
