// The three kind tables (registry, config schemas, metric recorders) must agree.
import { describe, expect, it } from 'vitest';
import { RECORDERS } from '../../src/metrics/record.ts';
import { dnsDeadlineMs } from '../../src/probes/dns/kind.ts';
import type { DnsOptions } from '../../src/probes/dns/types.ts';
import { KINDS } from '../../src/probes/registry.ts';
import { KIND_SCHEMAS } from '../../src/probes/schemas.ts';

describe('probe kind tables', () => {
  it('every kind has its schema in the config union and a metrics recorder', () => {
    const schemaKinds = KIND_SCHEMAS.map((s) => s.shape.kind.value).sort();
    expect(Object.keys(KINDS).sort()).toEqual(schemaKinds);
    expect(Object.keys(RECORDERS).sort()).toEqual(schemaKinds);
    for (const [name, def] of Object.entries(KINDS)) {
      expect(def.kind).toBe(name);
      expect(KIND_SCHEMAS).toContain(def.schema);
    }
  });
});

describe('dns deadline', () => {
  const base: DnsOptions = { transport: 'udp', mode: 'parallel', qtypes: ['A', 'AAAA'], timeoutMs: 5000, attempts: 2, tcpFallback: true, search: [], ndots: 1 };
  it.each([
    ['udp with TCP fallback: UDP and TCP budgets', base, 2 * 2 * 5000 * 2 + 1000],
    ['tcp transport: no fallback budget', { ...base, transport: 'tcp' as const }, 2 * 2 * 5000 + 1000],
    ['search list: one budget per candidate', { ...base, search: ['a.svc', 'b.svc'] }, 3 * 2 * 2 * 5000 * 2 + 1000],
  ])('%s', (_name, options, expected) => {
    expect(dnsDeadlineMs(options)).toBe(expected);
  });
});
