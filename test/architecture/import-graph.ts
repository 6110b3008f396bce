// The import graph of src/, read from the code itself with the TypeScript
// parser (already a dev dependency): static `import` and `export ... from`,
// `import()` with a literal specifier, each marked type-only or not, since
// the rules allow some folders probe result *types* only.
// Not dependency-cruiser (installable from npm): it would do the same walk,
// but adds 18 direct dependencies (their own parser, resolver, prompts) for
// 60 lines of code here, and its rule file would be a second copy of the
// table rather than data checked against the table's rows.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

export interface ImportEdge {
  /** Importing file, relative to the repository root (src/...). */
  from: string;
  /** What it imports: a repository path (src/...) for relative imports, else the bare specifier (node:net, zod). */
  to: string;
  /** The specifier as written. */
  specifier: string;
  kind: 'static' | 'dynamic';
  /** `import type`, `export type`, or every named binding type-only: erased at build time. */
  typeOnly: boolean;
  line: number;
}

export function sourceFiles(root: string, dir = 'src'): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...sourceFiles(root, rel));
    else if (/\.(ts|mts|js|mjs)$/.test(entry.name)) out.push(rel);
  }
  return out.sort();
}

export function importsOf(root: string, file: string): ImportEdge[] {
  const text = readFileSync(path.join(root, file), 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const edges: ImportEdge[] = [];
  const add = (specifier: string, node: ts.Node, kind: ImportEdge['kind'], typeOnly: boolean): void => {
    const to = specifier.startsWith('.') ? path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier)) : specifier;
    const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
    edges.push({ from: file, to, specifier, kind, typeOnly, line });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : undefined;
      const typeOnly = clause !== undefined && (clause.isTypeOnly || (!clause.name && named !== undefined && named.length > 0 && named.every((e) => e.isTypeOnly)));
      add(node.moduleSpecifier.text, node, 'static', typeOnly);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : undefined;
      const typeOnly = node.isTypeOnly || (named !== undefined && named.length > 0 && named.every((e) => e.isTypeOnly));
      add(node.moduleSpecifier.text, node, 'static', typeOnly);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      // A computed specifier cannot be checked: report it so a rule can forbid it.
      add(arg && ts.isStringLiteralLike(arg) ? arg.text : '<computed>', node, 'dynamic', false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      add(node.argument.literal.text, node, 'static', true); // `typeof import('x')` in a type position
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return edges;
}

export function importGraph(root: string): ImportEdge[] {
  return sourceFiles(root).flatMap((f) => importsOf(root, f));
}
