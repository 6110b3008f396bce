// Schema pieces shared by every probe kind: naming, scheduling and durations.
// Defaults live in the schema so a parsed config is complete.
import { z } from 'zod';
import { parseDuration } from '../util/durations.ts';
import { DEADLINE_BOUNDS, EVERY_BOUNDS, MAX_TIMER_MS } from './bounds.ts';

export { DEADLINE_BOUNDS, EVERY_BOUNDS, MAX_TIMER_MS, SPACING_MAX_MS, TIMEOUT_BOUNDS } from './bounds.ts';

/** A duration string ("5s", "250ms", "1m") parsed to milliseconds (unbounded but for the timer limit). */
export const duration = durationBetween(0, MAX_TIMER_MS);

/** A duration from `minMs` to `maxMs` (both inclusive); the message names both bounds and the value given. */
export function durationBetween(minMs: number, maxMs: number) {
  const range = `${formatBound(minMs)} to ${formatBound(maxMs)}`;
  return z.string({ error: 'expected a duration such as "5s" or "250ms"' }).transform((text, ctx) => {
    const value = parseDuration(text);
    if (value === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected a duration such as "5s" or "250ms", got "${text}"` });
      return z.NEVER;
    }
    if (value < minMs || value > maxMs) {
      ctx.addIssue({ code: 'custom', message: `must be from ${range}, got "${text}"` });
      return z.NEVER;
    }
    return value;
  });
}

/** 86400000 -> "24h", 10 -> "10ms": bounds shown as an operator would write them. */
function formatBound(ms: number): string {
  if (ms === 0) return '0s';
  // Hours up to 24h and seconds up to 60s read as the issue-style bounds ("24h", "60s").
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0 && !(unit === 'm' && ms <= 60_000)) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

export const positiveDuration = duration.refine((v) => v > 0, { message: 'must be greater than zero' });


/** host:port, [v6]:port or a bare host (port from the default). */
export function hostPort(defaultPort: number, { allowZero = false } = {}) {
  return z.string().transform((text, ctx) => {
    const parsed = parseHostPort(text, defaultPort, { allowZero });
    if (!parsed) {
      const range = allowZero ? '0 (any free port)' : '1';
      ctx.addIssue({ code: 'custom', message: `expected HOST[:PORT] with a port from ${range} to 65535, got "${text}"` });
      return z.NEVER;
    }
    return parsed;
  });
}

export function parseHostPort(
  text: string,
  defaultPort: number,
  { allowZero = false } = {},
): { host: string; port: number } | undefined {
  const m = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(text) ?? /^([^:\s\[\]]+)(?::(\d+))?$/.exec(text) ?? /^([0-9a-fA-F:]+)$/.exec(text);
  if (!m) return undefined;
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (!Number.isInteger(port) || port < (allowZero ? 0 : 1) || port > 65535) return undefined;
  return { host: m[1]!, port };
}

const NAME_RE = /^[a-z0-9]([a-z0-9_-]{0,62})$/;

/** Fields every probe has, whatever its kind. */
export const baseProbeShape = {
  name: z
    .string()
    .regex(NAME_RE, 'must be 1-63 characters of a-z, 0-9, "-" or "_", starting with a letter or digit')
    .describe('Probe name; the `probe` label of its series. Unique in the file.'),
  every: durationBetween(EVERY_BOUNDS.min, EVERY_BOUNDS.max)
    .optional()
    .describe('Run every DURATION, from 1s to 24h (default 30s when no `cron`). Not with `cron`.'),
  cron: z.string().optional().describe('node-cron expression; a sixth, leading seconds field is allowed. Not with `every`.'),
  spread: z
    .boolean()
    .default(true)
    .describe("Offset each target's runs by a stable hash of source node and target, within the interval."),
  deadline: durationBetween(DEADLINE_BOUNDS.min, DEADLINE_BOUNDS.max)
    .optional()
    .describe("Abort a run after this long, from 10ms to 1h. Default: derived from the probe's timeouts."),
};
