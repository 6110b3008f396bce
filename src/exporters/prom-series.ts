// Counters, gauges and histograms for the Prometheus exporter, kept in Maps
// keyed by label values and rendered straight to exposition text.
//
// Why not prom-client's own classes: at 2,000 runs a second they hashed every
// label object into a string, validated it and looked it up in a dictionary
// object on each inc/set/observe, and /metrics (40k lines) built ~100k
// intermediate objects per scrape. These classes produce the same text
// (pinned by test/metrics/prom-series.test.ts against prom-client) and still
// implement prom-client's metric protocol (`get()`), so they sit in a
// prom-client Registry and `registry.metrics()` keeps working.
import type { Labels } from '../metrics/catalog.ts';

export interface Series {
  /** Full label set (source_node first), as exported. */
  labels: Labels;
  /** Rendered `k="v",...` of `labels`, built once. */
  text: string;
  value: number;
  /** Histograms: per-bucket (non-cumulative) counts, last slot is +Inf only. */
  buckets: number[] | null;
  removed: boolean;
  /**
   * Counters and gauges: this series' exposition line, or null once an
   * update made it stale. A scrape re-renders only stale lines and reuses the
   * rest. Histograms keep none (always null): see `lines()`.
   */
  chunk: string | null;
}

type Kind = 'counter' | 'gauge' | 'histogram';

function escapeString(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function escapeLabelValue(v: string): string {
  return typeof v === 'string' ? escapeString(v).replace(/"/g, '\\"') : v;
}

/**
 * `k="v",...` as one flat string. Kept for the series' life, so not built with
 * `+=`: that leaves a rope of cons cells that join() copies from but never
 * flattens (at 1,000 targets per kind, 397k cons cells, 12.7 MB of the heap).
 */
function labelText(labels: Labels): string {
  const parts: string[] = [];
  for (const name in labels) parts.push(`${name}="${escapeLabelValue(labels[name]!)}"`);
  return parts.join(',');
}

/** prom-client's number formatting (NaN is "Nan" there; kept for identical output). */
function num(value: number): string {
  if (Number.isNaN(value)) return 'Nan';
  if (!Number.isFinite(value)) return value < 0 ? '-Inf' : '+Inf';
  return `${value}`;
}

export class PromMetric {
  readonly name: string;
  readonly help: string;
  readonly type: Kind;
  readonly aggregator = 'sum';
  readonly labelNames: readonly string[];
  readonly upperBounds: readonly number[];
  readonly #series = new Map<string, Series>();
  /** Frozen (immutable) caller label objects -> their series: no hashing on the hot path. */
  #byObject = new WeakMap<Labels, Series>();
  readonly #fixed: Labels;

  constructor(options: { name: string; help: string; type: Kind; labelNames: readonly string[]; fixed: Labels; buckets?: readonly number[] }) {
    this.name = options.name;
    this.help = options.help;
    this.type = options.type;
    this.labelNames = options.labelNames;
    this.#fixed = options.fixed;
    this.upperBounds = options.buckets ? [...options.buckets] : [];
  }

  /** The series of `labels` (created on first use). Frozen label objects are cached by identity. */
  series(labels: Labels): Series {
    const frozen = Object.isFrozen(labels);
    if (frozen) {
      const hit = this.#byObject.get(labels);
      if (hit !== undefined && !hit.removed) return hit;
    }
    const parts: string[] = [];
    for (const name of this.labelNames) {
      const value = name in this.#fixed ? this.#fixed[name] : labels[name];
      if (value !== undefined) parts.push(`${name}:${value},`);
    }
    // Flat (see labelText): the key lives as long as the series.
    const key = parts.join('');
    let s = this.#series.get(key);
    if (s === undefined) {
      for (const name in labels) {
        if (!this.labelNames.includes(name)) throw new Error(`Added label "${name}" is not included in initial labelset: ${JSON.stringify(this.labelNames)}`);
      }
      const full = { ...this.#fixed, ...labels };
      s = { labels: full, text: labelText(full), value: 0, buckets: this.type === 'histogram' ? new Array<number>(this.upperBounds.length + 1).fill(0) : null, removed: false, chunk: null };
      this.#series.set(key, s);
    }
    if (frozen) this.#byObject.set(labels, s);
    return s;
  }

  inc(labels: Labels, value: number): void {
    if (value && !Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    if (value < 0) throw new Error('It is not possible to decrease a counter');
    const s = this.series(labels);
    s.value += value;
    s.chunk = null;
  }

  set(labels: Labels, value: number): void {
    if (typeof value !== 'number') throw new TypeError(`Value is not a valid number: ${value}`);
    const s = this.series(labels);
    s.value = value;
    s.chunk = null;
  }

  observe(labels: Labels, value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    const s = this.series(labels);
    const bounds = this.upperBounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    s.buckets![i]! += 1;
    s.value += value; // the sum
  }

  /** Drops every series whose labels include all of `match` (source_node included). */
  removeMatching(match: Labels): void {
    const names = Object.keys(match);
    for (const [key, s] of this.#series) {
      if (names.every((n) => s.labels[n] === match[n])) {
        s.removed = true;
        this.#series.delete(key);
      }
    }
  }

  reset(): void {
    for (const s of this.#series.values()) s.removed = true;
    this.#series.clear();
    this.#byObject = new WeakMap();
  }

  /** The exposition text of this metric, as prom-client's Registry would render it. */
  render(): string {
    return [...this.lines()].join('\n');
  }

  /**
   * This metric's exposition as pieces to be joined with "\n": the header,
   * then one chunk per series, and the caller joins the pieces into flat
   * strings (no rope of 10^5 pieces for the GC to chase). A caller may pause
   * between pieces: each series' chunk is rendered whole from its state at
   * that moment.
   *
   * Counter and gauge lines not updated since the last scrape are reused.
   * Histogram chunks are rendered on every scrape and not kept: a probe's
   * histogram changes each time it runs, so at the usual intervals (probes
   * every 1-10 s, scrapes every 15-30 s) a kept chunk was stale by the next
   * scrape anyway, and holding them kept a copy of most of the body resident
   * (figures in the commit that made this change).
   */
  *lines(): Generator<string, void, undefined> {
    const name = escapeString(this.name);
    yield `# HELP ${name} ${escapeString(this.help)}\n# TYPE ${name} ${this.type}`;
    if (this.type !== 'histogram') {
      for (const s of this.#series.values()) yield (s.chunk ??= [name, '{', s.text, '} ', num(s.value)].join(''));
      return;
    }
    const bounds = this.upperBounds.map((b) => `${name}_bucket{le="${b}",`);
    for (const s of this.#series.values()) yield this.#histogramChunk(name, bounds, s);
  }

  #histogramChunk(name: string, bounds: readonly string[], s: Series): string {
    const counts = s.buckets!;
    const lines: string[] = [];
    let acc = 0;
    for (let i = 0; i < bounds.length; i++) {
      acc += counts[i]!;
      lines.push(`${bounds[i]}${s.text}} ${acc}`);
    }
    acc += counts[bounds.length]!;
    lines.push(`${name}_bucket{le="+Inf",${s.text}} ${acc}`, `${name}_sum{${s.text}} ${num(s.value)}`, `${name}_count{${s.text}} ${acc}`);
    // join() makes one flat string: cheaper for the caller to join again than a rope.
    return lines.join('\n');
  }

  /** prom-client's metric protocol, so a Registry can hold and render this metric. */
  async get(): Promise<{ name: string; help: string; type: Kind; aggregator: string; values: unknown[] }> {
    const values: unknown[] = [];
    for (const s of this.#series.values()) {
      if (this.type !== 'histogram') {
        values.push({ value: s.value, labels: s.labels });
        continue;
      }
      let acc = 0;
      this.upperBounds.forEach((le, i) => {
        acc += s.buckets![i]!;
        values.push({ labels: { le }, sharedLabels: s.labels, value: acc, metricName: `${this.name}_bucket` });
      });
      acc += s.buckets![this.upperBounds.length]!;
      values.push({ labels: { le: '+Inf' }, sharedLabels: s.labels, value: acc, metricName: `${this.name}_bucket` });
      values.push({ labels: {}, sharedLabels: s.labels, value: s.value, metricName: `${this.name}_sum` });
      values.push({ labels: {}, sharedLabels: s.labels, value: acc, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
