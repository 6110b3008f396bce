// A small, stable, non-cryptographic string hash for placement decisions
// (which peers a pod probes, where in its interval a run falls). Stable across
// processes and versions by construction, which is all these need; nothing
// here needs unpredictability. Plain arithmetic rather than node:crypto's
// sha256: loading node:crypto costs the daemon ~3 MB of RSS
// (test/shipped/builtins.test.ts keeps it unloaded on the embedded default).

/** FNV-1a over UTF-16 code units, then murmur3's finalizer for avalanche. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

/** murmur3's 32-bit finalizer: every input bit reaches every output bit. */
export function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
