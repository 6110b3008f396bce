// prom-client exporter: one registry passed in (no global default registry),
// instruments built from the catalog, `source_node` added to every series.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { INSTRUMENTS, type InstrumentKey, type Labels, type MetricSink } from '../metrics/catalog.ts';

type PromMetric = Counter<string> | Gauge<string> | Histogram<string>;

export class PrometheusSink implements MetricSink {
  readonly registry: Registry;
  readonly #metrics = new Map<InstrumentKey, PromMetric>();
  readonly #sourceNode: string;

  constructor(registry: Registry, sourceNode: string) {
    this.registry = registry;
    this.#sourceNode = sourceNode;
    for (const [key, spec] of Object.entries(INSTRUMENTS) as [InstrumentKey, (typeof INSTRUMENTS)[InstrumentKey]][]) {
      const common = {
        name: spec.name,
        help: spec.help,
        labelNames: ['source_node', ...spec.labels],
        registers: [registry],
      };
      const metric =
        spec.type === 'counter'
          ? new Counter(common)
          : spec.type === 'gauge'
            ? new Gauge(common)
            : new Histogram({ ...common, buckets: [...(spec as { buckets: readonly number[] }).buckets] });
      this.#metrics.set(key, metric);
    }
  }

  #labels(labels: Labels): Labels {
    return { source_node: this.#sourceNode, ...labels };
  }

  add(key: InstrumentKey, labels: Labels, value = 1): void {
    (this.#metrics.get(key) as Counter<string>).inc(this.#labels(labels), value);
  }

  set(key: InstrumentKey, labels: Labels, value: number): void {
    (this.#metrics.get(key) as Gauge<string>).set(this.#labels(labels), value);
  }

  observe(key: InstrumentKey, labels: Labels, value: number): void {
    (this.#metrics.get(key) as Histogram<string>).observe(this.#labels(labels), value);
  }

  remove(key: InstrumentKey, match: Labels): Promise<void> {
    const metric = this.#metrics.get(key)!;
    const full = this.#labels(match);
    // prom-client removes by exact label set; a target owns several series
    // (one per result, qtype, size...), so list them and drop each match.
    return metric.get().then((snapshot) => {
      const seen = new Set<string>();
      for (const { labels } of snapshot.values as { labels: Labels }[]) {
        const { le: _bucket, ...series } = labels;
        if (!Object.entries(full).every(([k, v]) => series[k] === v)) continue;
        const id = JSON.stringify(series);
        if (seen.has(id)) continue;
        seen.add(id);
        metric.remove(series);
      }
    });
  }

  /** Render the exposition text (used by /metrics and tests). */
  render(): Promise<string> {
    return this.registry.metrics();
  }
}
