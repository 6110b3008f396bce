// Rendezvous fan-out at cluster scale: coverage, balance, stability, cost.
import { describe, expect, it } from 'vitest';
import { assignAll, observersOf, selectPeers } from '../../src/targets/peer-selection.ts';
import { hash32 } from '../../src/util/hash.ts';

const K = 8;
const nodes = (n: number, prefix = 'ip-10-0') => Array.from({ length: n }, (_, i) => `${prefix}-${Math.floor(i / 250)}-${i % 250}.ec2.internal`);

/** target -> its observers, from an observer -> targets assignment. */
function invert(assignment: Map<string, string[]>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const o of assignment.keys()) out.set(o, []);
  for (const [o, targets] of assignment) for (const t of targets) out.get(t)!.push(o);
  return out;
}

function pairs(assignment: Map<string, string[]>): Set<string> {
  const out = new Set<string>();
  for (const [o, targets] of assignment) for (const t of targets) out.add(`${o}>${t}`);
  return out;
}

describe('rendezvous fan-out', () => {
  const N = 1000;
  const cluster = nodes(N);
  const base = assignAll(cluster, { k: K });

  it('1,000 nodes: every node has at least k observers, nobody observes itself', () => {
    const observers = invert(base);
    const counts = [...observers.values()].map((o) => o.length);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(K);
    for (const [o, targets] of base) {
      expect(targets).not.toContain(o);
      expect(new Set(targets).size).toBe(targets.length);
    }
  });

  it('1,000 nodes: total work is O(N*k) and each pod share is bounded', () => {
    const sizes = [...base.values()].map((t) => t.length);
    const total = sizes.reduce((a, b) => a + b, 0);
    // Exactly k per node plus the few top-ups for pods that few nodes elect.
    expect(total).toBeGreaterThanOrEqual(N * K);
    expect(total).toBeLessThan(N * K * 1.05);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(K / 2);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(3 * K);
  });

  it('each pod computes its own share from the node list alone, matching the global assignment', () => {
    for (let i = 0; i < N; i += 37) {
      const self = cluster[i]!;
      expect(selectPeers(self, cluster, { k: K })).toEqual(base.get(self));
    }
    // Input order does not matter: every pod sees the list in its own order.
    const shuffled = [...cluster].reverse();
    expect(selectPeers(cluster[5]!, shuffled, { k: K })).toEqual(base.get(cluster[5]!));
  });

  it('one node joining or leaving changes few assignments', () => {
    const joined = assignAll([...cluster, 'ip-10-9-9-9.ec2.internal'], { k: K });
    const left = assignAll(cluster.filter((n) => n !== cluster[123]), { k: K });
    const before = pairs(base);
    for (const after of [pairs(joined), pairs(left)]) {
      const changed = [...after].filter((p) => !before.has(p)).length + [...before].filter((p) => !after.has(p)).length;
      // HRW moves about 3k of N*k pairs (about 24 of 8,000); a ring or modulo scheme would move most of them.
      expect(changed).toBeLessThanOrEqual(6 * K);
      expect(changed).toBeGreaterThan(0);
    }
  });

  it('a small cluster (N - 1 <= k) is a full mesh', () => {
    const small = nodes(5);
    for (const n of small) expect(selectPeers(n, small, { k: K })).toEqual(small.filter((m) => m !== n).sort());
    expect(selectPeers('solo', ['solo'], { k: K })).toEqual([]);
  });

  it('observersOf agrees with selectPeers from both sides', () => {
    const small = nodes(60, 'node');
    const target = small[17]!;
    const obs = observersOf(target, small, 4);
    expect(obs).toHaveLength(4);
    for (const o of obs) expect(selectPeers(o, small, { k: 4 })).toContain(target);
  });

  it('spreads hashes (a weak hash would make shares lopsided)', () => {
    const buckets = new Array(16).fill(0);
    for (const n of cluster) buckets[hash32(n) >>> 28]++;
    for (const b of buckets) expect(b).toBeGreaterThan(N / 16 / 2);
  });

  it('selectPeers for one pod at 1,000 nodes is cheap', () => {
    const started = performance.now();
    for (let i = 0; i < 20; i++) selectPeers(cluster[i]!, cluster, { k: K });
    const perCall = (performance.now() - started) / 20;
    // Generous bound for a shared 2-core machine; measured a few ms.
    expect(perCall).toBeLessThan(250);
  });
});
