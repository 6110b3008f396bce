import ms from 'ms';

/**
 * Parses "5s", "250ms", "1m", "1.5s" into milliseconds. Returns undefined for
 * anything else (bare numbers included: a unit is required so "5" is never
 * silently read as 5 ms).
 */
export function parseDuration(text: string): number | undefined {
  if (!/^\s*\d+(\.\d+)?\s*[a-z]+\s*$/i.test(text)) return undefined;
  const value = ms(text as ms.StringValue);
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

export function formatDuration(milliseconds: number): string {
  if (milliseconds < 1) return `${(milliseconds * 1000).toFixed(0)}µs`;
  if (milliseconds < 1000) return `${milliseconds.toFixed(milliseconds < 10 ? 2 : 1)}ms`;
  return `${(milliseconds / 1000).toFixed(3)}s`;
}
