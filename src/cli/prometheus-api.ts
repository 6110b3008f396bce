// A minimal client of Prometheus's HTTP API (instant and range queries) for
// `netprobe diagnose`, over undici. Failures are typed so the command can say
// exactly what went wrong: cannot connect, not a Prometheus, a query refused.
import { request } from 'undici';
import type { RangeSeries, Sample } from '../diagnosis/prometheus.ts';

export class PrometheusError extends Error {
  readonly code: 'unreachable' | 'http' | 'query';
  constructor(message: string, code: 'unreachable' | 'http' | 'query') {
    super(message);
    this.name = 'PrometheusError';
    this.code = code;
  }
}

interface ApiBody {
  status: 'success' | 'error';
  error?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; value?: [number, string]; values?: [number, string][] }[] };
}

export class PrometheusApi {
  readonly #base: string;
  readonly #timeoutMs: number;

  constructor(base: string, timeoutMs: number) {
    this.#base = base.replace(/\/+$/, '');
    this.#timeoutMs = timeoutMs;
  }

  async #post(path: string, form: Record<string, string>): Promise<ApiBody['data']> {
    const url = `${this.#base}${path}`;
    let res;
    try {
      res = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form).toString(),
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
      });
    } catch (error) {
      const e = error as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
      const code = e.code ?? e.cause?.code ?? '';
      throw new PrometheusError(`cannot reach Prometheus at ${this.#base}: ${code || e.message}`, 'unreachable');
    }
    const text = await res.body.text();
    let body: ApiBody;
    try {
      body = JSON.parse(text) as ApiBody;
    } catch {
      throw new PrometheusError(`${url} answered HTTP ${res.statusCode} with no Prometheus API JSON (is this a Prometheus URL?)`, 'http');
    }
    if (body.status !== 'success') {
      throw new PrometheusError(`Prometheus refused the query (HTTP ${res.statusCode}): ${body.error ?? 'unknown error'}\n  query: ${form.query}`, 'query');
    }
    return body.data;
  }

  async instant(query: string, timeSeconds: number): Promise<Sample[]> {
    const data = await this.#post('/api/v1/query', { query, time: String(timeSeconds) });
    if (data?.resultType !== 'vector') return [];
    return data.result.map((r) => ({ metric: r.metric, value: Number(r.value?.[1] ?? Number.NaN) })).filter((s) => Number.isFinite(s.value));
  }

  async range(query: string, start: number, end: number, stepSeconds: number): Promise<RangeSeries[]> {
    const data = await this.#post('/api/v1/query_range', { query, start: String(start), end: String(end), step: String(stepSeconds) });
    if (data?.resultType !== 'matrix') return [];
    return data.result.map((r) => ({ metric: r.metric, values: (r.values ?? []).map(([t, v]) => [t, Number(v)] as [number, number]) }));
  }
}
