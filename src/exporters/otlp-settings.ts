// OTLP settings from the standard OpenTelemetry environment variables. Kept
// apart from the exporter so reading them never loads the OpenTelemetry SDK.

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
