// docs/tcp.md stays true to the code: its config example parses, and the
// results it documents are exactly the prober's.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { TCP_OUTCOMES } from '../../src/probes/tcp/types.ts';

const doc = readFileSync(new URL('../../docs/tcp.md', import.meta.url), 'utf8');

describe('docs/tcp.md', () => {
  it('has a config example that parses as a tcp probe with the documented values', () => {
    const yaml = /```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(yaml).toBeDefined();
    const probe = parseConfig(yaml!, 'docs/tcp.md').probes[0]!;
    expect(probe).toMatchObject({ kind: 'tcp', count: 3, interval: 200, timeout: 2000, targetKind: 'service_vip' });
  });

  it('documents every result in its table, and no other', () => {
    const documented = [...doc.matchAll(/^\| `([a-z_]+)` \| /gm)].map((m) => m[1]);
    expect(documented).toEqual([...TCP_OUTCOMES]);
  });
});
