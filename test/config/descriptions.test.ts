// Every key of the config file says what it means: docs/config-reference.md
// is generated from the schema's .describe() texts, so a key without one is a
// blank row there. Walks the same JSON Schema the generator does, and also
// the keys of list items ({ address, node } targets, { name, class } names).
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { configSchema } from '../../src/config/schema.ts';

type Json = { [k: string]: unknown };

/** Key paths (a.b[].c) whose JSON Schema has no description. */
function undescribed(node: Json, path = ''): string[] {
  const missing: string[] = [];
  for (const [key, child] of Object.entries((node.properties as Record<string, Json> | undefined) ?? {})) {
    const at = path ? `${path}.${key}` : key;
    if (typeof child.description !== 'string' || child.description.trim() === '') missing.push(at);
    missing.push(...undescribed(child, at));
  }
  if (node.items) missing.push(...undescribed(node.items as Json, `${path}[]`));
  for (const variants of [node.anyOf, node.oneOf, node.allOf]) {
    for (const variant of (variants as Json[] | undefined) ?? []) missing.push(...undescribed(variant, path));
  }
  return missing;
}

describe('config schema descriptions', () => {
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Json;

  it('every key, at every level and in every probe kind, has a .describe()', () => {
    expect([...new Set(undescribed(schema))]).toEqual([]);
  });

  it('the walk sees nested and per-kind keys (so an empty list means something)', () => {
    const noDescriptions = JSON.parse(JSON.stringify(schema, (k, v) => (k === 'description' ? undefined : v))) as Json;
    const all = new Set(undescribed(noDescriptions));
    for (const key of ['listen', 'embedded.dns.fault', 'kubernetes.backoff.initial', 'probes[].kind', 'probes[].tls.serverName', 'probes[].search.parallel', 'probes[].targets[].node', 'probes[].names[].class']) {
      expect(all, key).toContain(key);
    }
  });
});
