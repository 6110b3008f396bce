// DNS query ids: drawn from the kernel's CSPRNG (/dev/urandom) in batches of
// 512, never a counter or Math.random, so an off-path spoofer cannot guess the
// id of the next query. A predictable or stuck source fails these.
import { describe, expect, it } from 'vitest';
import { freshId, randomId } from '../../src/probes/dns/wire.ts';

describe('DNS query ids', () => {
  it('are spread over the whole 16-bit space across several refills of the batch', () => {
    const ids = Array.from({ length: 4096 }, () => randomId());
    expect(ids.every((id) => Number.isInteger(id) && id >= 0 && id <= 0xffff)).toBe(true);
    // 4,096 draws of 65,536 values: about 126 repeats expected; a counter gives 0, a stuck batch thousands.
    const distinct = new Set(ids).size;
    expect(distinct).toBeGreaterThan(3800);
    expect(distinct).toBeLessThan(4096);
    // Each 512-id batch is fresh: no batch repeats the previous one.
    expect(ids.slice(512, 1024)).not.toEqual(ids.slice(0, 512));
    // No arithmetic progression (what a counter or a linear generator would give).
    const steps = new Set(ids.slice(1).map((id, i) => (id - ids[i]! + 0x10000) % 0x10000));
    expect(steps.size).toBeGreaterThan(3000);
    // Both halves of the space and both bytes vary: the high byte is not constant.
    expect(new Set(ids.map((id) => id >> 8)).size).toBe(256);
  });

  it('freshId avoids the ids of queries in flight on the same socket', () => {
    const taken = Array.from({ length: 64 }, () => ({ id: randomId() }));
    for (let i = 0; i < 1000; i++) expect(taken.some((q) => q.id === freshId(taken))).toBe(false);
  });
});
