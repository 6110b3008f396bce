// Checks an import graph against the rules (import-rules.ts): which rule owns
// each file, and which imports break it.
import type { ImportEdge } from './import-graph.ts';
import { SHARED, type ImportRule } from './import-rules.ts';

/** `*`: one path segment (or part of one); `**`: anything, slashes included. */
export function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('**')
    .map((part) => part.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*'))
    .join('.*');
  return new RegExp(`^${body}$`);
}

const matches = (glob: string, file: string): boolean => globToRegExp(glob).test(file);

/** The rules whose `files` match `file` (exactly one when the rules are complete). */
export function rulesFor(rules: readonly ImportRule[], file: string): ImportRule[] {
  return rules.filter((r) => matches(r.files, file));
}

/** The folder a rule owns for `file`: the part of `file` as deep as the pattern before its `**`. */
function ownFolder(rule: ImportRule, file: string): string | undefined {
  const at = rule.files.indexOf('**');
  if (at < 0) return undefined;
  const depth = rule.files.slice(0, at).split('/').filter(Boolean).length;
  return `${file.split('/').slice(0, depth).join('/')}/`;
}

export interface Violation {
  edge: ImportEdge;
  rule: ImportRule | undefined;
  message: string;
}

export function violations(edges: readonly ImportEdge[], rules: readonly ImportRule[]): Violation[] {
  const out: Violation[] = [];
  for (const edge of edges) {
    const owners = rulesFor(rules, edge.from);
    const at = `${edge.from}:${edge.line} ${edge.kind === 'dynamic' ? 'import()' : 'imports'} '${edge.specifier}'`;
    if (owners.length !== 1) {
      out.push({ edge, rule: undefined, message: `${at}: ${owners.length} rules cover ${edge.from} (${owners.map((r) => r.row).join(', ') || 'none'})` });
      continue;
    }
    const rule = owners[0]!;
    if (edge.to === '<computed>') {
      out.push({ edge, rule, message: `${at}: a computed import() cannot be checked (row ${rule.row})` });
    } else if (!edge.to.startsWith('src/')) {
      const banned = rule.never?.find((re) => re.test(edge.to));
      if (banned) out.push({ edge, rule, message: `${at}: row ${rule.row} must never import ${banned}` });
    } else {
      const own = ownFolder(rule, edge.from);
      const allowed = (own !== undefined && edge.to.startsWith(own)) || [...rule.may, ...SHARED].some((g) => matches(g, edge.to));
      if (!allowed) {
        out.push({ edge, rule, message: `${at} (${edge.to}${edge.typeOnly ? ', type-only' : ''}): row ${rule.row} may import ${rule.may.join(', ') || 'nothing of src/'} (and ${SHARED.join(', ')})` });
      }
    }
  }
  return out;
}
