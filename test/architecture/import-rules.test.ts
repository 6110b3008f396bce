// docs/architecture.md's import rules, checked against the code's own imports
// (test/architecture/import-graph.ts reads them with the TypeScript parser).
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { rulesFor, violations } from './check-imports.ts';
import { importGraph, importsOf, sourceFiles, type ImportEdge } from './import-graph.ts';
import { IMPORT_RULES, KNOWN_VIOLATIONS } from './import-rules.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const graph = importGraph(root);
const key = (v: { from: string; to: string }): string => `${v.from} -> ${v.to}`;

describe('import rules of docs/architecture.md', () => {
  it('the rules have one entry per row of the "may import" table', () => {
    const doc = readFileSync(path.join(root, 'docs/architecture.md'), 'utf8');
    const header = doc.indexOf('| folder | role | may import |');
    expect(header).toBeGreaterThanOrEqual(0);
    const rows = doc
      .slice(header)
      .split('\n')
      .slice(2)
      .filter((_, i, lines) => lines.slice(0, i + 1).every((l) => l.startsWith('|')))
      .map((line) => line.split('|')[1]!.trim());
    expect(rows.length).toBeGreaterThan(5);
    expect(IMPORT_RULES.filter((r) => r.row.startsWith('`src/')).map((r) => r.row)).toEqual(rows);
  });

  it('every source file is covered by exactly one rule', () => {
    const files = sourceFiles(root);
    expect(files.length).toBeGreaterThan(50);
    const uncovered = files.map((f) => [f, rulesFor(IMPORT_RULES, f).map((r) => r.row)] as const).filter(([, rows]) => rows.length !== 1);
    expect(uncovered).toEqual([]);
  });

  it('no import breaks a rule (beyond the known violations, each naming its issue)', () => {
    const known = new Set(KNOWN_VIOLATIONS.map(key));
    const broken = violations(graph, IMPORT_RULES).filter((v) => !known.has(key(v.edge)));
    expect(broken.map((v) => v.message)).toEqual([]);
  });

  it('config schemas use zod/mini, never classic zod (its chained API bundles all of zod: bench/footprint)', () => {
    const classic = graph.filter((e) => /^zod($|\/v4$|\/v4\/classic|\/v3)/.test(e.to)).map(key);
    expect(classic).toEqual([]);
    expect(graph.filter((e) => e.to === 'zod/mini').length).toBeGreaterThan(3);
  });

  it('every known violation still happens (remove the entry once it is fixed)', () => {
    const seen = new Set(violations(graph, IMPORT_RULES).map((v) => key(v.edge)));
    expect(KNOWN_VIOLATIONS.filter((v) => !seen.has(key(v))).map(key)).toEqual([]);
    for (const v of KNOWN_VIOLATIONS) expect(v.why).toMatch(/issue \d+/);
  });
});

describe('the checker', () => {
  const edge = (from: string, to: string, extra: Partial<ImportEdge> = {}): ImportEdge => ({ from, to, specifier: to, kind: 'static', typeOnly: false, line: 1, ...extra });

  it.each([
    ['a probe importing metrics', edge('src/probes/tcp/run.ts', 'src/metrics/catalog.ts'), /row `src\/probes\/<kind>\/` may import/],
    ['a probe kind importing another kind', edge('src/probes/tcp/run.ts', 'src/probes/dns/wire.ts'), /src\/probes\/dns\/wire\.ts\): row/],
    ['the scheduler importing a probe type (type-only still counts)', edge('src/scheduler/x.ts', 'src/probes/types.ts', { typeOnly: true }), /type-only\): row `src\/scheduler\/` may import nothing of src\//],
    ['a dynamic import against the rule', edge('src/config/load.ts', 'src/app/daemon.ts', { kind: 'dynamic' }), /import\(\) 'src\/app\/daemon.ts'/],
    ['diagnosis opening a socket', edge('src/diagnosis/engine.ts', 'node:dgram'), /must never import/],
    ['a computed import()', edge('src/app/x.ts', '<computed>', { kind: 'dynamic' }), /computed import\(\) cannot be checked/],
    ['a file no rule covers', edge('src/newfolder/x.ts', 'node:fs'), /0 rules cover src\/newfolder\/x.ts/],
  ])('flags %s', (_name, e, message) => {
    const found = violations([e], IMPORT_RULES);
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toMatch(message);
  });

  it.each([
    ['a kind importing its own files and the contract', [edge('src/probes/dns/run.ts', 'src/probes/dns/lookup.ts'), edge('src/probes/dns/run.ts', 'src/probes/types.ts')]],
    ['anyone importing src/util', [edge('src/metrics/record.ts', 'src/util/stats.ts'), edge('src/scheduler/x.ts', 'src/util/clock.ts')]],
    ['metrics importing probe result types', [edge('src/metrics/record-tcp.ts', 'src/probes/tcp/types.ts')]],
    ['the app importing anything', [edge('src/app/daemon.ts', 'src/targets/kubernetes/index.ts', { kind: 'dynamic' })]],
    ['packages where no rule bans them', [edge('src/probes/dns/wire.ts', 'dns-packet')]],
  ])('allows %s', (_name, edges) => {
    expect(violations(edges, IMPORT_RULES)).toEqual([]);
  });
});

describe('the import graph reader', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'import-graph-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads static, re-export, type-only and dynamic imports with their lines', () => {
    mkdirSync(path.join(dir, 'src/a'), { recursive: true });
    writeFileSync(
      path.join(dir, 'src/a/x.ts'),
      [
        "import net from 'node:net';",
        "import type { Clock } from '../probes/types.ts';",
        "import { type A, type B } from './types.ts';",
        "import { type C, d } from './mixed.ts';",
        "export { run } from '../probes/tcp/run.ts';",
        "export type { R } from '../probes/dns/types.ts';",
        "const lazy = () => import('../targets/kubernetes/index.ts');",
        'type T = typeof import("../metrics/catalog.ts");',
        "const dyn = (m: string) => import(m);",
        "import './side-effect.ts';",
      ].join('\n'),
    );
    const seen = importsOf(dir, 'src/a/x.ts').map((e) => [e.line, e.to, e.kind, e.typeOnly]);
    expect(seen).toEqual([
      [1, 'node:net', 'static', false],
      [2, 'src/probes/types.ts', 'static', true],
      [3, 'src/a/types.ts', 'static', true],
      [4, 'src/a/mixed.ts', 'static', false],
      [5, 'src/probes/tcp/run.ts', 'static', false],
      [6, 'src/probes/dns/types.ts', 'static', true],
      [7, 'src/targets/kubernetes/index.ts', 'dynamic', false],
      [8, 'src/metrics/catalog.ts', 'static', true],
      [9, '<computed>', 'dynamic', false],
      [10, 'src/a/side-effect.ts', 'static', false],
    ]);
  });

  it('finds the imports the doc is about in the real tree', () => {
    // The known cases of issue 14 are visible to the reader (or were fixed).
    const edges = graph.map((e) => key(e));
    expect(edges).toContain('src/app/daemon.ts -> src/scheduler/scheduler.ts');
    expect(graph.some((e) => e.kind === 'dynamic' && e.to.startsWith('src/'))).toBe(true);
  });
});
