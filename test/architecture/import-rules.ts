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
  { row: '`src/probes/<kind>/`', files: 'src/probes/*/**', may: ['src/probes/types.ts', 'src/config/common.ts', 'src/config/bounds.ts', 'src/native/**'], never: METRICS_LIBS },
  { row: '`src/probes/kind-names.ts`', files: 'src/probes/kind-names.ts', may: [] },
  { row: '`src/probes/registry.ts`', files: 'src/probes/registry.ts', may: ['src/probes/**'] },
  { row: '`src/probes/schemas.ts`', files: 'src/probes/schemas.ts', may: ['src/probes/*/config.ts', 'src/probes/kind-names.ts'] },
  { row: '`src/config/`', files: 'src/config/**', may: ['src/probes/schemas.ts', 'src/targets/kubernetes/config.ts'] },
  { row: '`src/scheduler/`', files: 'src/scheduler/**', may: [] },
  { row: '`src/metrics/`', files: 'src/metrics/**', may: [...PROBE_RESULT_TYPES, 'src/probes/kind-names.ts', 'src/targets/types.ts', 'src/targets/kubernetes/discovery.ts'] },
  { row: '`src/exporters/`', files: 'src/exporters/**', may: ['src/metrics/catalog.ts'] },
  { row: '`src/targets/`', files: 'src/targets/**', may: ['src/probes/types.ts', 'src/config/common.ts'] },
  { row: '`src/embedded/`', files: 'src/embedded/**', may: [] },
  { row: '`src/native/`', files: 'src/native/**', may: [] },
  { row: '`src/diagnosis/`', files: 'src/diagnosis/**', may: PROBE_RESULT_TYPES, never: [...SOCKETS_HTTP, ...METRICS_LIBS] },
  { row: '`src/app/`', files: 'src/app/**', may: ['src/**'] },
  { row: '`src/cli/`', files: 'src/cli/**', may: ['src/app/**', 'src/probes/**', 'src/config/**', 'src/diagnosis/**'] },
  // Stated under the table rather than in it.
  { row: 'probe contract (`src/probes/types.ts`)', files: 'src/probes/types.ts', may: ['src/probes/kind-names.ts'] },
  { row: 'shared helpers (`src/util/`)', files: 'src/util/**', may: [] },
];

/**
 * Imports that break a rule and are known, each with the issue that fixes it;
 * an entry goes when its fix lands (the test fails on an entry no longer needed).
 */
export const KNOWN_VIOLATIONS: readonly { from: string; to: string; why: string }[] = [
  // None: the issue 14 redesign fixed or wrote into the table every one that was here.
];
