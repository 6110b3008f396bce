import { describe, expect, it } from 'vitest';
import { icmpProbeSchema } from '../../src/probes/icmp/config.ts';
import { icmpDeadlineMs } from '../../src/probes/icmp/kind.ts';
import { icmpOptions, icmpTargets } from '../../src/probes/icmp/targets.ts';

const parse = (probe: Record<string, unknown>) => icmpProbeSchema.safeParse({ name: 'p', kind: 'icmp', ...probe });
const messages = (probe: Record<string, unknown>) => {
  const r = parse(probe);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('icmp config schema', () => {
  it('fills defaults: one 84-byte size, 3 requests 200 ms apart, 1 s timeout, auto socket, no search', () => {
    const r = parse({ targets: ['198.18.0.2'] });
    expect(r.success).toBe(true);
    const config = r.data!;
    expect(icmpOptions(config)).toEqual({ sizes: [84], count: 3, intervalMs: 200, timeoutMs: 1000, search: null, expectedMtu: null, socket: 'auto' });
    expect(icmpTargets(config)).toEqual([{ id: 'icmp://198.18.0.2', label: '198.18.0.2', kind: 'static', node: '', host: '198.18.0.2' }]);
  });

  it('search defaults: 68..1500, 8 in parallel, 2 attempts; sizes sorted and de-duplicated', () => {
    const config = parse({ targets: [{ host: '198.18.0.2', node: 'worker-2' }], sizes: [1500, 84, 1500], search: {}, expectedMtu: 1450 }).data!;
    const o = icmpOptions(config);
    expect(o.search).toEqual({ min: 68, max: 1500, parallel: 8, attempts: 2 });
    expect(o.sizes).toEqual([84, 1500]);
    expect(o.expectedMtu).toBe(1450);
    expect(icmpTargets(config)[0]!.node).toBe('worker-2');
  });

  it.each([
    [{ targets: [] }, 'targets: at least one target is required'],
    [{ targets: ['198.18.0.2'], sizes: [27] }, 'sizes.0: must be at least 28 (IPv4 + ICMP headers)'],
    [{ targets: ['198.18.0.2'], sizes: [70000] }, 'sizes.0: must be at most 65535'],
    [{ targets: ['198.18.0.2'], sizes: [] }, 'sizes: nothing to probe: give at least one size, or a search'],
    [{ targets: ['198.18.0.2'], search: { min: 2000, max: 1000 } }, 'search.min: search.min (2000) is above search.max (1000)'],
    [{ targets: ['198.18.0.2', '198.18.0.2'] }, 'targets.1: duplicate target "198.18.0.2"'],
    [{ targets: ['not a host'] }, 'targets.0: expected an IPv4 or IPv6 address or a host name, got "not a host"'],
    [{ targets: ['2001:db8::1'], sizes: [40] }, 'sizes.0: must be at least 48 for IPv6 targets (IPv6 + ICMPv6 headers), got 40'],
    [{ targets: [{ host: '198.18.0.2', node: 'Bad_Node' }] }, 'targets.0: must be a Kubernetes node name (lowercase a-z, 0-9, "-", "."), got "Bad_Node"'],
    [{ targets: ['198.18.0.2'], timeout: '0s' }, 'timeout: must be from 10ms to 60s, got "0s"'],
  ])('%j -> %s', (probe, message) => {
    expect(messages(probe)).toContain(message);
  });

  it('rejects an unknown socket mode and unknown keys', () => {
    expect(parse({ targets: ['198.18.0.2'], socket: 'tcp' }).success).toBe(false);
    expect(parse({ targets: ['198.18.0.2'], sizez: [84] }).success).toBe(false);
  });

  it('deadline covers the walk and a search with a few silent rounds', () => {
    const walk = icmpOptions(parse({ targets: ['198.18.0.2'], count: 5, interval: '100ms', timeout: '1s' }).data!);
    expect(icmpDeadlineMs(walk)).toBe(4 * 100 + 1000 + 1000);
    const search = icmpOptions(parse({ targets: ['198.18.0.2'], sizes: [], search: {}, timeout: '500ms' }).data!);
    expect(icmpDeadlineMs(search)).toBe(4 * 500 + 1000);
  });
});
