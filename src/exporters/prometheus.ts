// Prometheus exporter: one prom-client Registry passed in (no global default
// registry), instruments built from the catalog, `source_node` added to every
// series. The series themselves live in prom-series.ts (same exposition text
// as prom-client's classes, without hashing label objects on every update).
import { Registry } from './prom-registry.ts';
import { INSTRUMENTS, type InstrumentKey, type Labels, type MetricSink } from '../metrics/catalog.ts';
import { PromMetric } from './prom-series.ts';

/**
 * /metrics pieces: at 1,000 targets per kind the body is ~13 MB and took
 * 40-90 ms to render in one go, during which no probe's socket was read;
 * 256 KiB is about 1-2 ms of rendering.
 */
export const PIECE_BYTES = 256 * 1024;

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

  /** The whole exposition text at once (tests, run-once use); /metrics streams `pieces()`. */
  async render(): Promise<string> {
    let text = '';
    for await (const piece of this.pieces(Infinity)) text += piece;
    return text;
  }

  /**
   * The exposition text as whole lines in pieces of about `pieceBytes` (one
   * series' lines may run past it); the pieces joined are the exposition.
   * The caller may pause between pieces (/metrics lets probes run): series
   * updated meanwhile show their newer values, each series consistent in itself.
   */
  async *pieces(pieceBytes = PIECE_BYTES): AsyncGenerator<string, void, undefined> {
    const registered = this.registry.getMetricsAsArray() as unknown[];
    const ours =
      this.registry.contentType === Registry.PROMETHEUS_CONTENT_TYPE &&
      registered.length === this.#metrics.size &&
      registered.every((m) => m instanceof PromMetric);
    // Other metrics on this registry, or OpenMetrics: let prom-client render it all.
    if (!ours) {
      yield await this.registry.metrics();
      return;
    }
    // Lines joined once per piece: metrics apart by a blank line, every line ending in a newline.
    let lines: string[] = [];
    let size = 0;
    for (const [i, metric] of (registered as PromMetric[]).entries()) {
      if (i > 0) lines.push('');
      for (const line of metric.lines()) {
        lines.push(line);
        size += line.length + 1;
        if (size >= pieceBytes) {
          lines.push('');
          yield lines.join('\n');
          lines = [];
          size = 0;
        }
      }
    }
    if (lines.length > 0) {
      lines.push('');
      yield lines.join('\n');
    }
  }
}
