// Just enough of the Prometheus text format for the bench: samples with
// labels, sums over matching series, and a quantile from histogram buckets.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
export type Samples = Sample[];

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseSamples(text: string): Samples {
  const samples: Samples = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

/** Sum of `name` over every series whose labels include all of `match`. */
export function sumSamples(samples: Samples, name: string, match: Record<string, string> = {}): number {
  let sum = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (Object.entries(match).every(([k, v]) => s.labels[k] === v)) sum += s.value;
  }
  return sum;
}

/**
 * Upper bound of the bucket holding quantile q of the observations made
 * between two scrapes (all series summed), as Prometheus' histogram_quantile
 * would bound it; "none" when nothing was observed.
 */
export function histogramQuantile(before: Samples, after: Samples, name: string, q: number): string {
  const buckets = new Map<string, number>();
  for (const [sign, samples] of [
    [-1, before],
    [1, after],
  ] as const) {
    for (const s of samples) {
      if (s.name !== `${name}_bucket`) continue;
      const le = s.labels.le!;
      buckets.set(le, (buckets.get(le) ?? 0) + sign * s.value);
    }
  }
  const sorted = [...buckets.entries()].sort((a, b) => (a[0] === '+Inf' ? 1 : b[0] === '+Inf' ? -1 : Number(a[0]) - Number(b[0])));
  const total = sorted.find(([le]) => le === '+Inf')?.[1] ?? 0;
  if (total <= 0) return 'none';
  for (const [le, cumulative] of sorted) if (cumulative >= q * total) return le;
  return '+Inf';
}
