// The dns registry entry's run deadline (src/probes/dns/kind.ts).
import { describe, expect, it } from 'vitest';
import { dnsDeadlineMs } from '../../src/probes/dns/kind.ts';
import type { DnsOptions } from '../../src/probes/dns/types.ts';

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
