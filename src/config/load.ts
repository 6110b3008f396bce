// Reads a YAML config file, validates it against the schema and reports every
// problem as "FILE:LINE:COL: key.path: what is wrong".
import { readFileSync } from 'node:fs';
import { type Document, LineCounter, isAlias, isMap, isNode, isPair, isScalar, isSeq, parseDocument } from 'yaml';
import type * as z from 'zod/mini';
import { configSchema, type Config } from './schema.ts';

export class ConfigError extends Error {
  readonly code = 'NETPROBE_CONFIG';
  readonly problems: string[];
  constructor(problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export interface LoadOptions {
  /**
   * Rewrites the parsed YAML before validation (Kubernetes discovery refs ->
   * addresses). It must keep the shape of the file so errors keep pointing
   * at the right lines; it may throw Error for setup problems.
   */
  transform?: (raw: Record<string, unknown>) => Record<string, unknown>;
}

export function loadConfigFile(file: string, options: LoadOptions = {}): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError([`${file}: cannot read config file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`]);
  }
  return parseConfig(text, file, options);
}

export function parseConfig(text: string, file: string, options: LoadOptions = {}): Config {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        return `${file}${pos ? `:${pos.line}:${pos.col}` : ''}: invalid YAML: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`;
      }),
    );
  }
  const bomb = aliasExpansion(doc);
  if (bomb) {
    const pos = lines.linePos(bomb.offset);
    throw new ConfigError([`${file}:${pos.line}:${pos.col}: invalid YAML: ${bomb.message}`]);
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    // yaml's own alias guard (or an alias it cannot resolve): still a bad file, not a crash.
    throw new ConfigError([`${file}: invalid YAML: ${(error as Error).message}`]);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError([`${file}: expected a mapping at the top level (keys such as "probes")`]);
  }
  if (options.transform) {
    try {
      data = options.transform(data as Record<string, unknown>);
    } catch (error) {
      throw new ConfigError([`${file}: ${(error as Error).message}`]);
    }
  }
  const parsed = configSchema.safeParse(data);
  if (parsed.success) return parsed.data;

  const where = (path: PropertyKey[]): string => {
    const node = doc.getIn(path as unknown[], true);
    if (!isNode(node) || !node.range) return '';
    const pos = lines.linePos(node.range[0]);
    return `:${pos.line}:${pos.col}`;
  };
  // An unknown key is reported at the key itself, not at its value.
  const whereKey = (path: PropertyKey[]): string => {
    const parent = doc.getIn(path.slice(0, -1) as unknown[], true);
    if (!isMap(parent)) return '';
    const pair = parent.items.find((item) => isScalar(item.key) && item.key.value === path[path.length - 1]);
    const range = isScalar(pair?.key) ? pair.key.range : undefined;
    if (!range) return '';
    const pos = lines.linePos(range[0]);
    return `:${pos.line}:${pos.col}`;
  };
  throw new ConfigError(parsed.error.issues.map((issue) => formatIssue(file, issue, where, whereKey)));
}

function formatIssue(
  file: string,
  issue: z.core.$ZodIssue,
  where: (path: PropertyKey[]) => string,
  whereKey: (path: PropertyKey[]) => string,
): string {
  let path = issue.path;
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    // Point at the offending key itself, not its parent.
    path = [...issue.path, issue.keys[0]!];
    message = `unknown key${issue.keys.length > 1 ? `s ${issue.keys.map((k) => `"${k}"`).join(', ')}` : ''}`;
  } else if (issue.code === 'invalid_union' && 'discriminator' in issue) {
    message = `unknown probe kind; expected one of ${kindList()}`;
  } else if (issue.code === 'invalid_type' && message.endsWith('received undefined')) {
    message = 'required key is missing';
  } else if (issue.code === 'too_small' || issue.code === 'too_big') {
    const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
    const word = issue.code === 'too_small' ? 'at least' : 'at most';
    const unit = issue.origin === 'array' ? ` item${bound === 1 ? '' : 's'}` : issue.origin === 'string' ? ' characters' : '';
    message = message.startsWith('Too') ? `expected ${word} ${String(bound)}${unit}` : message;
  } else {
    message = message.replace(/^Invalid input: /, '').replace(/^Invalid option: /, '').replaceAll('"|"', '", "');
  }
  const at = (issue.code === 'unrecognized_keys' ? whereKey(path) : where(path)) || where(path.slice(0, -1));
  return `${file}${at}: ${formatPath(path) || '(top level)'}: ${message}`;
}

/** yaml's guard against alias bombs (its default); ours below is checked first so the error has a position. */
const MAX_ALIAS_COUNT = 100;
/** Nodes that aliases may add in all: a config never needs more than a few anchors of a few lines. */
export const MAX_ALIAS_NODES = 10_000;

/**
 * Walks the document in order, adding up what each alias expands to (an
 * anchored node's size counts the aliases inside it), and returns the alias
 * at which the total passes MAX_ALIAS_NODES: the "billion laughs" file is
 * refused before anything is expanded.
 */
function aliasExpansion(doc: Document): { offset: number; message: string } | undefined {
  const sizes = new Map<string, number>();
  let added = 0;
  let found: { offset: number; message: string } | undefined;
  const size = (node: unknown): number => {
    if (found) return 0;
    if (isAlias(node)) {
      const n = sizes.get(node.source) ?? 1;
      added += n;
      if (added > MAX_ALIAS_NODES) {
        found = { offset: node.range?.[0] ?? 0, message: `aliases expand to more than ${MAX_ALIAS_NODES} nodes (alias *${node.source})` };
      }
      return n;
    }
    let n = 1;
    if (isMap(node) || isSeq(node)) {
      for (const item of node.items) n += isPair(item) ? size(item.key) + size(item.value) : size(item);
    }
    if (isNode(node) && node.anchor) sizes.set(node.anchor, n);
    return n;
  };
  size(doc.contents);
  return found;
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`))
    .join('');
}

function kindList(): string {
  const kinds = configSchema.shape.probes.def.element.def.options.map((o) => `"${String(o.shape.kind.def.values[0])}"`);
  return kinds.join(', ');
}
