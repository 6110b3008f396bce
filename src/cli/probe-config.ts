// Run-once commands build their probe the way the daemon does: flags -> a
// probe config object -> the kind's schema (its defaults and bounds) -> the
// kind's targets and options; the kind's verdict decides the exit code. Only
// flags the user gave enter the config, so a default is the schema's.
import type { ZodMiniType as ZodType } from 'zod/mini';
import { UsageError } from './errors.ts';

/** The flag that set a config key, for messages; `expected` replaces the schema's wording ("expected ..., got TEXT"). */
export interface FlagFor {
  flag: string;
  expected?: string;
  text?: string;
}

/**
 * Parses `input` with the kind's schema. A problem is a usage error naming
 * the flag behind the key (the longest key path in `flags` that prefixes the
 * issue's path).
 */
export function parseProbeConfig<T>(schema: ZodType<T>, input: Record<string, unknown>, flags: Record<string, FlagFor>): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path = issue.path.map(String);
  for (let n = path.length; n > 0; n--) {
    const f = flags[path.slice(0, n).join('.')];
    if (f) throw new UsageError(f.expected !== undefined ? `${f.flag}: expected ${f.expected}, got "${f.text}"` : `${f.flag}: ${issue.message}`);
  }
  throw new UsageError(`${path.join('.') || 'probe'}: ${issue.message}`);
}

/** A whole number as typed, NaN for anything else (the schema then refuses it). */
export function wholeNumberText(text: string): number {
  return /^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN;
}
