// One list of kind names (src/probes/kind-names.ts); the registry, the config
// schemas and the metric recorders are typed by it, so a missing or extra kind
// does not compile. What the types cannot see is checked here: each view's
// entry is that kind's, and every kind folder has the same files.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RECORDERS } from '../../src/metrics/recorder.ts';
import { KIND_NAMES } from '../../src/probes/kind-names.ts';
import { KINDS } from '../../src/probes/registry.ts';
import { KIND_SCHEMAS, SCHEMAS } from '../../src/probes/schemas.ts';

const probesDir = path.resolve(import.meta.dirname, '../../src/probes');

describe('probe kind table', () => {
  it('the registry, the schemas and the recorders list exactly KIND_NAMES', () => {
    for (const table of [KINDS, SCHEMAS, RECORDERS]) expect(Object.keys(table).sort()).toEqual([...KIND_NAMES].sort());
    expect(KIND_SCHEMAS.map((s) => s.shape.kind.def.values[0])).toEqual([...KIND_NAMES]);
  });

  it.each(KIND_NAMES)("%s: the registry entry is that kind's, with the schema the config loader uses", (kind) => {
    expect(KINDS[kind].kind).toBe(kind);
    expect(KINDS[kind].schema).toBe(SCHEMAS[kind]);
    expect(SCHEMAS[kind].shape.kind.def.values).toEqual([kind]);
  });

  it('every kind folder under src/probes/ is in KIND_NAMES and has the same files', () => {
    const folders = readdirSync(probesDir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    expect(folders.sort()).toEqual([...KIND_NAMES].sort());
    for (const kind of KIND_NAMES) {
      for (const file of ['config.ts', 'defaults.ts', 'targets.ts', 'run.ts', 'verdict.ts', 'kind.ts', 'types.ts', 'README.md']) {
        expect(existsSync(path.join(probesDir, kind, file)), `src/probes/${kind}/${file}`).toBe(true);
      }
    }
  });
});
