// Bounded peer fan-out by rendezvous (highest-random-weight) hashing.
//
// Every node is an object to be watched, every probe pod a potential watcher.
// As in HRW's classic use (an object stored on the k servers of highest
// weight), the observers of node t are the k other nodes o with the highest
// weight w(o, t). So:
// - every node is probed by exactly k others (all others when N - 1 <= k);
// - each pod computes its own share from the node list alone, with no
//   coordination, and all pods agree;
// - total work is N*k; a pod's share is k on average (binomial spread);
// - when a node joins, it takes over one observer slot of each node it ranks
//   top-k for (about k of them) and gets k observers itself; when one leaves,
//   only the nodes it observed pick a replacement: about 3k of N*k
//   assignments change, the rest stay, so series stay put.
// A pod that few nodes elect would see little of the cluster from its own
// side, so its share is topped up to `minPeers` with its own highest-weight
// picks (forward HRW), which are just as stable.

import { fmix32, hash32 } from '../util/hash.ts';

export interface FanoutOptions {
  /** Observers per node (and mean peers per pod). */
  k: number;
  /** Least peers a pod probes; default ceil(k / 2). */
  minPeers?: number;
}

/** Weight of observer o for target t, from their name hashes; deliberately asymmetric. */
function weight(observerHash: number, targetHash: number): number {
  return fmix32(observerHash ^ fmix32((targetHash + 0x9e3779b9) >>> 0));
}

interface Hashed {
  name: string;
  hash: number;
}

function hashed(nodes: Iterable<string>): Hashed[] {
  return [...new Set(nodes)].sort().map((name) => ({ name, hash: hash32(name) }));
}

/** a outranks b for target t: higher weight, ties to the smaller name (all pods agree). */
function outranks(a: Hashed, wa: number, b: Hashed, wb: number): boolean {
  return wa > wb || (wa === wb && a.name < b.name);
}

/** The k observers of `target` among `nodes`, best first. */
export function observersOf(target: string, nodes: Iterable<string>, k: number): string[] {
  const th = hash32(target);
  return hashed(nodes)
    .filter((n) => n.name !== target)
    .map((n) => ({ n, w: weight(n.hash, th) }))
    .sort((a, b) => (outranks(a.n, a.w, b.n, b.w) ? -1 : 1))
    .slice(0, k)
    .map((x) => x.n.name);
}

/**
 * The nodes `self` probes: those that elect it among their k observers,
 * topped up to `minPeers` by self's own highest weights. Sorted by name.
 * Cost O(N * k * log N) expected: for most targets k outranking observers
 * turn up after a few dozen weights.
 */
export function selectPeers(self: string, nodes: Iterable<string>, options: FanoutOptions): string[] {
  const k = Math.max(1, Math.floor(options.k));
  const all = hashed(nodes);
  const me = all.find((n) => n.name === self) ?? { name: self, hash: hash32(self) };
  const chosen = new Set<string>();
  for (const t of all) {
    if (t.name === self) continue;
    const wSelf = weight(me.hash, t.hash);
    let better = 0;
    for (const o of all) {
      if (o.name === t.name || o.name === self) continue;
      if (outranks(o, weight(o.hash, t.hash), me, wSelf) && ++better >= k) break;
    }
    if (better < k) chosen.add(t.name);
  }
  const minPeers = Math.min(options.minPeers ?? Math.ceil(k / 2), all.filter((n) => n.name !== self).length);
  if (chosen.size < minPeers) {
    const forward = all
      .filter((t) => t.name !== self && !chosen.has(t.name))
      .map((t) => ({ t, w: weight(me.hash, t.hash) }))
      .sort((a, b) => (outranks(a.t, a.w, b.t, b.w) ? -1 : 1));
    for (const { t } of forward) {
      if (chosen.size >= minPeers) break;
      chosen.add(t.name);
    }
  }
  return [...chosen].sort();
}

/** The whole assignment (observer -> targets), computed target by target: for tests and benches. */
export function assignAll(nodes: Iterable<string>, options: FanoutOptions): Map<string, string[]> {
  const list = [...new Set(nodes)].sort();
  const out = new Map<string, string[]>(list.map((n) => [n, []]));
  for (const t of list) for (const o of observersOf(t, list, options.k)) out.get(o)!.push(t);
  const k = Math.max(1, Math.floor(options.k));
  const minPeers = Math.min(options.minPeers ?? Math.ceil(k / 2), list.length - 1);
  for (const [o, targets] of out) {
    if (targets.length < minPeers) out.set(o, selectPeers(o, list, options));
    else targets.sort();
  }
  return out;
}
