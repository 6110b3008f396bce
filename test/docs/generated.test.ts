// The reference docs are generated from the code; a change to the catalog or
// the schema without regenerating them fails here.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GENERATED } from '../../scripts/gen-docs.ts';
import { INSTRUMENTS } from '../../src/metrics/catalog.ts';

describe('generated docs', () => {
  it.each(Object.entries(GENERATED))('%s is up to date (npx node scripts/gen-docs.ts)', (file, make) => {
    expect(readFileSync(file, 'utf8')).toBe(make());
  });

  it('every metric is documented with all its labels', () => {
    const doc = readFileSync('docs/metrics.md', 'utf8');
    for (const spec of Object.values(INSTRUMENTS)) {
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${spec.name}\` |`));
      expect(row, spec.name).toBeDefined();
      for (const label of spec.labels) expect(row).toContain(`\`${label}\``);
    }
  });
});
