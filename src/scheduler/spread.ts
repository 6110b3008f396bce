import { createHash } from 'node:crypto';

/**
 * A stable offset in [0, window) for one (source node, target) pair, so a
 * thousand probe pods started together do not all hit CoreDNS in the same
 * second, and each pair keeps its slot across restarts.
 */
export function phaseOffset(sourceNode: string, targetKey: string, windowMs: number): number {
  if (windowMs <= 0) return 0;
  const digest = createHash('sha256').update(sourceNode).update('\0').update(targetKey).digest();
  return digest.readUInt32BE(0) % Math.floor(windowMs);
}

/** The first instant >= now that is `offset` past a multiple of `every` (wall-clock grid). */
export function nextSlot(nowMs: number, everyMs: number, offsetMs: number): number {
  const base = Math.floor((nowMs - offsetMs) / everyMs) * everyMs + offsetMs;
  return base >= nowMs ? base : base + everyMs;
}
