// OpenTelemetry exporter: the same catalog instruments, sent over OTLP when the
// standard OTEL_EXPORTER_OTLP_ENDPOINT (or _METRICS_ENDPOINT) is set. The meter
// provider is built here and passed around, never registered globally.
// This module pulls in the OpenTelemetry SDK and three exporters (~20 MB RSS,
// ~8 MB heap), so the daemon imports it only when OTLP is configured.
import type { Attributes, Counter, Gauge, Histogram, Meter } from '@opentelemetry/api';
import { metrics, resources } from '@opentelemetry/sdk-node';
import { OTLPMetricExporter as HttpJsonExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as HttpProtoExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPMetricExporter as GrpcExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { INSTRUMENTS, type InstrumentKey, type Labels, type MetricSink } from '../metrics/catalog.ts';
import type { OtlpSettings } from './otlp-settings.ts';

// Kept importable from here (tests, older callers); the daemon imports the
// light module and loads this one only when an endpoint is set.
export { otlpSettingsFromEnv, type OtlpSettings } from './otlp-settings.ts';

type OtelInstrument = Counter | Gauge | Histogram;

export class OtlpSink implements MetricSink {
  readonly #provider: metrics.MeterProvider;
  readonly #instruments = new Map<InstrumentKey, OtelInstrument>();
  readonly #fixed: Labels;

  constructor(settings: OtlpSettings, sourceNode: string, version: string, constant: Labels = {}) {
    this.#fixed = { source_node: sourceNode, ...constant };
    // Headers, timeout and TLS settings still come from the standard env.
    const { url } = settings;
    const exporter =
      settings.protocol === 'http/json'
        ? new HttpJsonExporter({ url })
        : settings.protocol === 'grpc'
          ? new GrpcExporter({ url })
          : new HttpProtoExporter({ url });
    this.#provider = new metrics.MeterProvider({
      resource: resources.resourceFromAttributes({
        'service.name': 'netprobe',
        'service.version': version,
        'k8s.node.name': sourceNode,
      }),
      readers: [new metrics.PeriodicExportingMetricReader({ exporter, exportIntervalMillis: settings.intervalMs })],
    });
    const meter: Meter = this.#provider.getMeter('netprobe', version);
    for (const [key, spec] of Object.entries(INSTRUMENTS) as [InstrumentKey, (typeof INSTRUMENTS)[InstrumentKey]][]) {
      const options = { description: spec.help, ...('unit' in spec ? { unit: spec.unit } : {}) };
      const instrument =
        spec.type === 'counter'
          ? meter.createCounter(spec.name, options)
          : spec.type === 'gauge'
            ? meter.createGauge(spec.name, options)
            : meter.createHistogram(spec.name, {
                ...options,
                advice: { explicitBucketBoundaries: [...(spec as { buckets: readonly number[] }).buckets] },
              });
      this.#instruments.set(key, instrument);
    }
  }

  #attrs(labels: Labels): Attributes {
    return { ...this.#fixed, ...labels };
  }

  add(key: InstrumentKey, labels: Labels, value = 1): void {
    (this.#instruments.get(key) as Counter).add(value, this.#attrs(labels));
  }

  set(key: InstrumentKey, labels: Labels, value: number): void {
    (this.#instruments.get(key) as Gauge).record(value, this.#attrs(labels));
  }

  observe(key: InstrumentKey, labels: Labels, value: number): void {
    (this.#instruments.get(key) as Histogram).record(value, this.#attrs(labels));
  }

  remove(): void {
    // OTLP has no series deletion; cumulative series of a departed target simply
    // stop being updated, and a collector drops them after its staleness window.
  }

  /** Push everything measured so far (on shutdown and in tests). */
  flush(): Promise<void> {
    return this.#provider.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.#provider.shutdown();
  }
}
