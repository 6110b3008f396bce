// runIcmp's verdicts, on fake paths at the engine seam.
import { describe, expect, it } from 'vitest';
import type { EchoOutcome, IcmpPinger } from '../../src/native/icmp.ts';
import { icmpTarget } from '../../src/probes/icmp/targets.ts';
import { runIcmp } from '../../src/probes/icmp/run.ts';
import type { IcmpOptions } from '../../src/probes/icmp/types.ts';
import { systemClock } from '../../src/probes/types.ts';
import { FakePath, routerPath } from './fake-path.ts';

function opts(engine: IcmpPinger, over: Partial<IcmpOptions> = {}): IcmpOptions {
  return { sizes: [84], count: 3, intervalMs: 1, timeoutMs: 100, search: null, expectedMtu: null, socket: 'raw', engine, ...over };
}
// Names are resolved by a stub: tests never ask the machine's resolver.
const resolve = async (host: string): Promise<string> => {
  if (host === 'far.lab') return '198.18.2.2';
  throw new Error(`getaddrinfo ENOTFOUND ${host}`);
};
const run = (o: IcmpOptions, signal = new AbortController().signal, host = '198.18.2.2') =>
  runIcmp(icmpTarget(host), o, { signal, clock: systemClock }, { resolve });

const SEARCH = { min: 68, max: 9000, parallel: 8, attempts: 2 };

describe('runIcmp verdicts', () => {
  it('ok: every request answered, ceiling at least the expected MTU', async () => {
    const r = await run(opts(routerPath(9000, true), { sizes: [84, 1500], expectedMtu: 1500 }));
    expect(r.reason).toBe('ok');
    expect(r.ceilingBytes).toBe(1500);
    expect(r.sizes.map((s) => [s.size, s.sent, s.replies])).toEqual([[84, 3, 3], [1500, 3, 3]]);
    expect(r.probesSent).toBe(6);
    expect(r.error).toBeUndefined();
  });

  it('walk with frag-needed above the ceiling: mtu_below_expected, no black hole', async () => {
    const r = await run(opts(routerPath(1400, true), { sizes: [84, 1400, 1500], expectedMtu: 1500 }));
    expect(r.reason).toBe('mtu_below_expected');
    expect(r.ceilingBytes).toBe(1400);
    expect(r.firstFailingBytes).toBe(1500);
    expect(r.blackhole).toBe(false);
    expect(r.fragNeeded).toEqual([{ hop: '198.18.1.1', mtu: 1400 }]);
  });

  it('walk with silence above the ceiling: blackhole', async () => {
    const r = await run(opts(routerPath(1400, false), { sizes: [84, 1400, 1450] }));
    expect(r.reason).toBe('blackhole');
    expect(r.blackhole).toBe(true);
    expect(r.firstFailingBytes).toBe(1450);
  });

  it('walk where a size above the ceiling is refused locally: not a black hole', async () => {
    const r = await run(opts(routerPath(9000, true), { sizes: [84, 1600] }));
    expect(r.blackhole).toBe(false);
    expect(r.localMtu).toBe(1500);
    expect(r.reason).toBe('ok');
    // Local refusals never reached the wire.
    expect(r.sizes.find((s) => s.size === 1600)).toMatchObject({ sent: 0, localTooBig: 3 });
  });

  it('loss at a size the path carries: loss', async () => {
    const r = await run(opts(routerPath(9000, true, { lose: (size, n) => size === 84 && n === 1 })));
    expect(r.reason).toBe('loss');
    expect(r.sizes[0]).toMatchObject({ sent: 3, replies: 2, timeouts: 1 });
  });

  it('nothing answered: no_reply, no ceiling', async () => {
    const dead = new FakePath({ hops: [{ addr: '198.18.0.1', mtu: 0, fragNeeded: false }], localMtu: 1500 });
    const r = await run(opts(dead));
    expect(r.reason).toBe('no_reply');
    expect(r.ceilingBytes).toBeNull();
    expect(r.error).toMatch(/no reply from 198\.18\.2\.2/);
  });

  it('local send failures only: send_error with the errno in the detail, never in the reason', async () => {
    const refusing: IcmpPinger = { mode: 'raw', echo: async (): Promise<EchoOutcome> => ({ kind: 'send_error', code: 'EPERM' }) };
    const r = await run(opts(refusing));
    expect(r.reason).toBe('send_error');
    expect(r.error).toMatch(/EPERM/);
  });

  it('a name that does not resolve: resolve_error; one that does is probed at its address', async () => {
    const bad = await run(opts(routerPath(9000, true)), new AbortController().signal, 'no-such-host.lab');
    expect(bad.reason).toBe('resolve_error');
    expect(bad.error).toMatch(/ENOTFOUND/);
    const good = await run(opts(routerPath(9000, true)), new AbortController().signal, 'far.lab');
    expect(good.reason).toBe('ok');
    expect(good.address).toBe('198.18.2.2');
  });

  it('walk and search together: the search gives the exact ceiling, the walk the per-size counts', async () => {
    const r = await run(opts(routerPath(1400, true), { sizes: [84], search: SEARCH, expectedMtu: 1450 }));
    expect(r.searched).toBe(true);
    expect(r.ceilingBytes).toBe(1400);
    expect(r.reason).toBe('mtu_below_expected');
    expect(r.sizes.map((s) => s.size)).toEqual([84]);
    expect(r.searchSizes.some((s) => s.size === 1400 && s.replies > 0)).toBe(true);
  });

  it('aborted by the deadline: aborted, returned promptly', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 20);
    const started = performance.now();
    const r = await run(opts(routerPath(1400, false), { sizes: [], search: SEARCH, timeoutMs: 5000 }), ac.signal);
    expect(r.reason).toBe('aborted');
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
