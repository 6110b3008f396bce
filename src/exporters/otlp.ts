// OpenTelemetry exporter: the same catalog instruments, sent over OTLP when the
// standard OTEL_EXPORTER_OTLP_ENDPOINT (or _METRICS_ENDPOINT) is set. The meter
// provider is built here and passed around, never registered globally.
import type { Attributes, Counter, Gauge, Histogram, Meter } from '@opentelemetry/api';
import { metrics, resources } from '@opentelemetry/sdk-node';
import { OTLPMetricExporter as HttpJsonExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as HttpProtoExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPMetricExporter as GrpcExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { INSTRUMENTS, type InstrumentKey, type Labels, type MetricSink } from '../metrics/catalog.ts';

type OtelInstrument = Counter | Gauge | Histogram;

export interface OtlpSettings {
  protocol: 'http/protobuf' | 'http/json' | 'grpc';
  /** Full URL for HTTP (…/v1/metrics), host URL for gRPC. */
  url: string;
  intervalMs: number;
}

/** OTLP settings from the standard environment, or undefined when no endpoint is set. */
export function otlpSettingsFromEnv(env: NodeJS.ProcessEnv): OtlpSettings | undefined {
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT) return undefined;
  const protocol = env.OTEL_EXPORTER_OTLP_METRICS_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf';
  if (protocol !== 'http/protobuf' && protocol !== 'http/json' && protocol !== 'grpc') {
    throw new Error(`OTEL_EXPORTER_OTLP_PROTOCOL: expected http/protobuf, http/json or grpc, got "${protocol}"`);
  }
  const interval = Number(env.OTEL_METRIC_EXPORT_INTERVAL ?? 60_000);
  if (!Number.isFinite(interval) || interval <= 0) {
    throw new Error(`OTEL_METRIC_EXPORT_INTERVAL: expected milliseconds > 0, got "${env.OTEL_METRIC_EXPORT_INTERVAL}"`);
  }
  const signalUrl = env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT;
  const base = (env.OTEL_EXPORTER_OTLP_ENDPOINT ?? '').replace(/\/+$/, '');
  const url = signalUrl ?? (protocol === 'grpc' ? base : `${base}/v1/metrics`);
  try {
    new URL(url);
  } catch {
    throw new Error(`OTEL_EXPORTER_OTLP_${signalUrl ? 'METRICS_' : ''}ENDPOINT: expected a URL such as http://collector:4318, got "${signalUrl ?? base}"`);
  }
  return { protocol, url, intervalMs: interval };
}

export class OtlpSink implements MetricSink {
  readonly #provider: metrics.MeterProvider;
  readonly #instruments = new Map<InstrumentKey, OtelInstrument>();
  readonly #sourceNode: string;

  constructor(settings: OtlpSettings, sourceNode: string, version: string) {
    this.#sourceNode = sourceNode;
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
    return { source_node: this.#sourceNode, ...labels };
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
