// Schema pieces shared by every probe kind: naming, scheduling and durations.
// Defaults live in the schema so a parsed config is complete.
//
// Schemas are built with zod/mini, whose functions (z.optional(s), s.check(...))
// tree-shake: classic zod's chained API bundles all of zod and gives every
// schema its own method closures, 5.8 MB of the daemon's RSS (bench/footprint).
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { parseDuration } from '../util/durations.ts';
import { DEADLINE_BOUNDS, EVERY_BOUNDS } from './bounds.ts';

// The English messages classic zod loads for itself ("expected number, received string").
z.config(en());

export { DEADLINE_BOUNDS, EVERY_BOUNDS, SPACING_MAX_MS, TIMEOUT_BOUNDS } from './bounds.ts';

/** A duration from `minMs` to `maxMs` (both inclusive); the message names both bounds and the value given. */
export function durationBetween(minMs: number, maxMs: number) {
  const range = `${formatBound(minMs)} to ${formatBound(maxMs)}`;
  return z.pipe(
    z.string({ error: 'expected a duration such as "5s" or "250ms"' }),
    z.transform((text: string, ctx) => {
      const value = parseDuration(text);
      if (value === undefined) return fail(ctx, `expected a duration such as "5s" or "250ms", got "${text}"`);
      if (value < minMs || value > maxMs) return fail(ctx, `must be from ${range}, got "${text}"`);
      return value;
    }),
  );
}

/** Records a problem from inside a z.transform (zod/mini's context has no addIssue) and returns z.NEVER. */
export function fail(ctx: z.core.ParsePayload, message: string): never {
  ctx.issues.push({ code: 'custom', message, input: ctx.value });
  return z.NEVER;
}

/** `schema` with a description: the text of its row in docs/config-reference.md (a copy, as classic's .describe()). */
export function describe<T extends z.ZodMiniType>(schema: T, description: string): T {
  const copy = schema.clone();
  z.globalRegistry.add(copy, { description });
  return copy;
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

/** host:port, [v6]:port or a bare host (port from the default). */
export function hostPort(defaultPort: number, { allowZero = false } = {}) {
  return z.pipe(
    z.string(),
    z.transform((text: string, ctx) => {
      const parsed = parseHostPort(text, defaultPort, { allowZero });
      const range = allowZero ? '0 (any free port)' : '1';
      return parsed ?? fail(ctx, `expected HOST[:PORT] with a port from ${range} to 65535, got "${text}"`);
    }),
  );
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
  name: describe(
    z.string().check(z.regex(NAME_RE, 'must be 1-63 characters of a-z, 0-9, "-" or "_", starting with a letter or digit')),
    'Probe name; the `probe` label of its series. Unique in the file.',
  ),
  every: describe(
    z.optional(durationBetween(EVERY_BOUNDS.min, EVERY_BOUNDS.max)),
    'Run every DURATION, from 1s to 24h (default 30s when no `cron`). Not with `cron`.',
  ),
  cron: describe(z.optional(z.string()), 'node-cron expression; a sixth, leading seconds field is allowed. Not with `every`.'),
  spread: describe(
    z._default(z.boolean(), true),
    "Offset each target's runs by a stable hash of source node and target, within the interval.",
  ),
  deadline: describe(
    z.optional(durationBetween(DEADLINE_BOUNDS.min, DEADLINE_BOUNDS.max)),
    "Abort a run after this long, from 10ms to 1h. Default: derived from the probe's timeouts.",
  ),
};
