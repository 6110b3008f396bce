// Label objects cached per target. A run at 2,000 runs/s used to build five
// to ten label objects; now each target's are built once per (probe, target)
// and frozen. Frozen label objects are immutable, so sinks may cache their
// series by object identity (prometheus.ts) instead of hashing label values.
import type { TargetInfo } from '../probes/types.ts';
import type { Labels } from './catalog.ts';

/** A frozen label object (safe to cache by identity). */
export function fixedLabels(labels: Labels): Labels {
  return Object.freeze(labels);
}

/**
 * One cache entry per target object (weak: targets dropped on reload take
 * their labels with them), rebuilt when the same target is recorded under
 * another probe name.
 */
export function perTarget<T>(build: (probe: string, target: TargetInfo) => T): (probe: string, target: TargetInfo) => T {
  const cache = new WeakMap<TargetInfo, { probe: string; value: T }>();
  return (probe, target) => {
    const hit = cache.get(target);
    if (hit !== undefined && hit.probe === probe) return hit.value;
    const value = build(probe, target);
    cache.set(target, { probe, value });
    return value;
  };
}

export interface Interned {
  (a: string, b: string, build: () => Labels): Labels;
  /** Drops the entries of `a` (a removed probe), so churn of probe names does not grow the cache. */
  forget(a: string): void;
}

/** Interned frozen label objects for small bounded sets (probe x result, probe x reason). */
export function interned(): Interned {
  const cache = new Map<string, Map<string, Labels>>();
  const get = (a: string, b: string, build: () => Labels): Labels => {
    let inner = cache.get(a);
    if (inner === undefined) cache.set(a, (inner = new Map()));
    let labels = inner.get(b);
    if (labels === undefined) inner.set(b, (labels = fixedLabels(build())));
    return labels;
  };
  return Object.assign(get, { forget: (a: string) => void cache.delete(a) });
}
