// Every YAML block in docs/configuration.md is a complete, valid config.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';

const doc = readFileSync('docs/configuration.md', 'utf8');
const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m, i) => [i + 1, m[1]!] as const);

describe('docs/configuration.md examples', () => {
  it('has examples', () => expect(blocks.length).toBeGreaterThanOrEqual(5));
  it.each(blocks)('example %i parses', (_i, yaml) => {
    expect(parseConfig(yaml, 'docs/configuration.md').probes.length).toBeGreaterThan(0);
  });
});
