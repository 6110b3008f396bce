// The daemon's file-descriptor budget. Probing and the HTTP server share one
// RLIMIT_NOFILE; if HTTP clients could take every fd, probes would fail to
// open sockets and report healthy servers as network errors. So HTTP gets a
// connection cap below the limit, probing keeps a reserve, and a run that
// still hits EMFILE/ENFILE is the daemon's own problem, never a result.
import { readdirSync, readFileSync } from 'node:fs';

/** fds Node itself, the embedded responder, the ICMP socket and discovery watches hold. */
const BASE_FDS = 64;
/** fds one probe run may hold at once (DNS: a UDP socket per reopen plus a TCP fallback). */
const FDS_PER_RUN = 4;
/** More HTTP connections than this is an attack or a misconfigured scraper, whatever the limit. */
export const MAX_HTTP_CONNECTIONS = 128;
/** Below this the daemon could not be scraped and probed at once anyway. */
const MIN_HTTP_CONNECTIONS = 8;

/** The soft RLIMIT_NOFILE of this process (Linux /proc), or undefined where unknown. */
export function fdLimit(read: (path: string) => string = (p) => readFileSync(p, 'utf8')): number | undefined {
  try {
    const line = read('/proc/self/limits')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    if (soft === undefined || soft === 'unlimited') return undefined;
    const n = Number(soft);
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Open fds of this process (the soak bench and tests read the daemon's from outside). */
export function openFds(pid: number | 'self' = 'self'): number | undefined {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return undefined;
  }
}

/**
 * HTTP connections allowed: `steady` at most MAX_HTTP_CONNECTIONS, and a
 * `burst` (everything the limit leaves after the probing reserve of base +
 * concurrency x per-run fds) held for a few ms while new clients show
 * whether they send a request (http.ts sweeps the idle ones back to steady).
 */
export function httpConnectionCap(limit: number | undefined, concurrency: number): { steady: number; burst: number } {
  const reserve = BASE_FDS + concurrency * FDS_PER_RUN;
  const left = Math.max(MIN_HTTP_CONNECTIONS, limit === undefined ? 4 * MAX_HTTP_CONNECTIONS : limit - reserve);
  return { steady: Math.min(MAX_HTTP_CONNECTIONS, left), burst: Math.min(left, 4 * MAX_HTTP_CONNECTIONS) };
}

const FD_ERRNO = /\bE[MN]FILE\b/;
/** Only these fields carry errno text; answer data (TXT strings from a hostile server) is never read. */
const ERROR_KEYS = new Set(['error', 'detail', 'code', 'message']);

/**
 * True when a failed run's result (or thrown error) has EMFILE or ENFILE in
 * an error field (`error`, `detail`...) at any depth: probes keep errno text
 * there, so this needs no kind-specific code. Bounded walk: results are small.
 */
export function mentionsFdExhaustion(value: unknown, depth = 0): boolean {
  if (value === null || typeof value !== 'object' || depth > 5) return false;
  if (value instanceof Error) return FD_ERRNO.test(value.message) || FD_ERRNO.test(String((value as NodeJS.ErrnoException).code));
  if (Array.isArray(value)) {
    for (const item of value) if (mentionsFdExhaustion(item, depth + 1)) return true;
    return false;
  }
  for (const key in value) {
    const field = (value as Record<string, unknown>)[key];
    if (typeof field === 'string' ? ERROR_KEYS.has(key) && FD_ERRNO.test(field) : mentionsFdExhaustion(field, depth + 1)) return true;
  }
  return false;
}
