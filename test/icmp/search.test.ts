import { describe, expect, it } from 'vitest';
import { searchCeiling, spread, type SearchProgress } from '../../src/probes/icmp/search.ts';
import { isBlackhole, SizeTally } from '../../src/probes/icmp/tally.ts';
import { FakePath, routerPath } from './fake-path.ts';

const TIMEOUT = 300;

async function search(path: FakePath, min = 68, max = 9000, extra: { hints?: number[]; attempts?: number; parallel?: number } = {}) {
  const tally = new SizeTally();
  const started = performance.now();
  const progress: SearchProgress[] = [];
  const out = await searchCeiling(
    path,
    '198.18.9.9',
    { min, max, parallel: extra.parallel ?? 8, attempts: extra.attempts ?? 1, timeoutMs: TIMEOUT, hints: extra.hints ?? [], onProgress: (p) => progress.push(p) },
    tally,
    new AbortController().signal,
  );
  return { ...out, tally, ms: performance.now() - started, blackhole: isBlackhole(tally, out.ceiling, out.firstFailing), progress };
}

describe('spread', () => {
  it.each([
    [0, 10, 3, [3, 5, 8]],
    [100, 102, 8, [101]],
    [100, 101, 8, []],
    [68, 9001, 1, [4535]],
  ])('spread(%i, %i, %i) = %j', (lo, hi, n, want) => {
    expect(spread(lo, hi, n)).toEqual(want);
  });
});

describe('searchCeiling on fake paths', () => {
  it.each([
    { name: 'router hop 1400 answering frag-needed', path: () => routerPath(1400, true), ceiling: 1400, blackhole: false },
    { name: 'router hop 1400, frag-needed dropped', path: () => routerPath(1400, false), ceiling: 1400, blackhole: true },
    { name: 'vxlan-like 1450', path: () => routerPath(1450, true), ceiling: 1450, blackhole: false },
    { name: 'ipip-like 1480 black hole', path: () => routerPath(1480, false), ceiling: 1480, blackhole: true },
    { name: 'healthy 1500 path (local MTU bounds it)', path: () => routerPath(9000, true), ceiling: 1500, blackhole: false },
    { name: 'jumbo path, max answered', path: () => new FakePath({ hops: [], localMtu: 9000 }), ceiling: 9000, blackhole: false },
    { name: 'odd MTU 1337 silent', path: () => routerPath(1337, false), ceiling: 1337, blackhole: true },
  ])('$name -> ceiling $ceiling, blackhole $blackhole', async ({ path, ceiling, blackhole }) => {
    const r = await search(path());
    expect(r.ceiling).toBe(ceiling);
    expect(r.exact).toBe(true);
    expect(r.blackhole).toBe(blackhole);
    if (ceiling < 9000) expect(r.firstFailing).toBe(ceiling + 1);
  });

  it('uses the reported MTU: a frag-needed path is done in a few round trips, far below one timeout', async () => {
    const path = routerPath(1400, true);
    const r = await search(path);
    expect(r.ceiling).toBe(1400);
    expect(r.tally.fragNeeded).toEqual([{ hop: '198.18.1.1', mtu: 1400 }]);
    expect(r.ms).toBeLessThan(TIMEOUT / 2);
    expect(path.sent.length).toBeLessThanOrEqual(12);
    expect(path.sent).toContain(1400);
  });

  it('a black-hole path costs about one timeout, not one per step', async () => {
    const r = await search(routerPath(1400, false));
    expect(r.ceiling).toBe(1400);
    expect(r.ms).toBeGreaterThanOrEqual(TIMEOUT - 5);
    expect(r.ms).toBeLessThan(2.5 * TIMEOUT);
    expect(r.tally.fragNeeded).toEqual([]);
  });

  it('reports progress with narrowing bounds', async () => {
    const r = await search(routerPath(1400, false));
    const last = r.progress.at(-1)!;
    expect(last.answered).toBe(1400);
    expect(last.failing).toBe(1401);
    for (const p of r.progress) if (p.answered !== null) expect(p.answered).toBeLessThanOrEqual(1400);
  });

  it('hints (the expected MTU and one above) settle a healthy path in the first wave', async () => {
    const path = routerPath(9000, true);
    const r = await search(path, 68, 9000, { hints: [1500, 1501] });
    expect(r.ceiling).toBe(1500);
    expect(r.tally.localMtu).toBe(1500);
    expect(r.sizesTried).toBeLessThanOrEqual(8);
  });

  it('with two attempts per size, a lost copy does not lower the ceiling', async () => {
    // The first copy of every size is lost; the second gets through.
    const path = routerPath(1400, false, { lose: (_size, n) => n === 0 });
    const r = await search(path, 68, 9000, { attempts: 2 });
    expect(r.ceiling).toBe(1400);
    expect(r.blackhole).toBe(true);
  });

  it('with one attempt, the same loss shows as a lower ceiling (why attempts defaults to 2)', async () => {
    const path = routerPath(1400, true, { lose: (size, n) => size === 1400 && n === 0 });
    const r = await search(path, 68, 9000, { attempts: 1 });
    expect(r.ceiling).not.toBe(1400);
  });

  it('nothing answered: no ceiling, no black hole', async () => {
    const path = new FakePath({ hops: [{ addr: '198.18.0.1', mtu: 0, fragNeeded: false }], localMtu: 1500 });
    const r = await search(path, 68, 1500);
    expect(r.ceiling).toBeNull();
    expect(r.blackhole).toBe(false);
  });

  it('stops and cancels in-flight sizes when aborted', async () => {
    const path = routerPath(1400, false);
    const tally = new SizeTally();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 20);
    const started = performance.now();
    const out = await searchCeiling(path, '198.18.9.9', { min: 68, max: 9000, parallel: 8, attempts: 1, timeoutMs: 5000 }, tally, ac.signal);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(out.exact).toBe(false);
    expect(tally.sizes.some((s) => s.abandoned > 0)).toBe(true);
  });

  it('bounds the number of sizes tried', async () => {
    const r = await searchCeiling(
      routerPath(1400, false),
      '198.18.9.9',
      { min: 68, max: 9000, parallel: 2, attempts: 1, timeoutMs: 50, maxSizes: 4 },
      new SizeTally(),
      new AbortController().signal,
    );
    expect(r.sizesTried).toBeLessThanOrEqual(4);
  });
});
