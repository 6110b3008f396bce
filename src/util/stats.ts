/** Summary statistics over a sample, as the CLI prints them. */
export interface Summary {
  min: number;
  avg: number;
  max: number;
  stddev: number;
  p50: number;
  p90: number;
  p99: number;
}

/** Nearest-rank quantile of an ascending-sorted array. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function summarize(values: readonly number[]): Summary | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const avg = sorted.reduce((s, v) => s + v, 0) / sorted.length;
  const variance = sorted.reduce((s, v) => s + (v - avg) ** 2, 0) / sorted.length;
  return {
    min: sorted[0]!,
    avg,
    max: sorted[sorted.length - 1]!,
    stddev: Math.sqrt(variance),
    p50: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    p99: quantile(sorted, 0.99),
  };
}
