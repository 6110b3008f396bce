// Prometheus exporter: one prom-client Registry passed in (no global default
// registry), instruments built from the catalog, `source_node` added to every
// series. The series themselves live in prom-series.ts (same exposition text
// as prom-client's classes, without hashing label objects on every update).
import { Registry } from './prom-registry.ts';
import { INSTRUMENTS, type InstrumentKey, type Labels, type MetricSink } from '../metrics/catalog.ts';
import { PromMetric } from './prom-series.ts';

export class PrometheusSink implements MetricSink {
  readonly registry: Registry;
  readonly #metrics = new Map<InstrumentKey, PromMetric>();
  readonly #fixed: Labels;

  /** `constant`: labels on every series after source_node (the vantage, when set). */
  constructor(registry: Registry, sourceNode: string, constant: Labels = {}) {
    this.registry = registry;
    this.#fixed = { source_node: sourceNode, ...constant };
    for (const [key, spec] of Object.entries(INSTRUMENTS) as [InstrumentKey, (typeof INSTRUMENTS)[InstrumentKey]][]) {
      const metric = new PromMetric({
        name: spec.name,
        help: spec.help,
        type: spec.type,
        labelNames: ['source_node', ...Object.keys(constant), ...spec.labels],
        fixed: this.#fixed,
        ...('buckets' in spec ? { buckets: spec.buckets } : {}),
      });
      // registerMetric takes prom-client's own classes in its typings; ours
      // implement the same protocol (name, help, type, get, reset).
      registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
      this.#metrics.set(key, metric);
    }
  }

  add(key: InstrumentKey, labels: Labels, value = 1): void {
    this.#metrics.get(key)!.inc(labels, value);
  }

  set(key: InstrumentKey, labels: Labels, value: number): void {
    this.#metrics.get(key)!.set(labels, value);
  }

  observe(key: InstrumentKey, labels: Labels, value: number): void {
    this.#metrics.get(key)!.observe(labels, value);
  }

  remove(key: InstrumentKey, match: Labels): Promise<void> {
    // A target owns several series (one per result, qtype, size...): drop each match.
    this.#metrics.get(key)!.removeMatching({ ...this.#fixed, ...match });
    return Promise.resolve();
  }

  /** Render the exposition text (used by /metrics and tests). */
  render(): Promise<string> {
    const registered = this.registry.getMetricsAsArray() as unknown[];
    const ours =
      this.registry.contentType === Registry.PROMETHEUS_CONTENT_TYPE &&
      registered.length === this.#metrics.size &&
      registered.every((m) => m instanceof PromMetric);
    // Other metrics on this registry, or OpenMetrics: let prom-client render it all.
    if (!ours) return this.registry.metrics();
    // One array of lines joined once: metrics apart by a blank line, a final newline.
    const parts: string[] = [];
    for (const metric of registered as PromMetric[]) {
      if (parts.length > 0) parts.push('');
      metric.renderInto(parts);
    }
    parts.push('');
    return Promise.resolve(parts.join('\n'));
  }
}
