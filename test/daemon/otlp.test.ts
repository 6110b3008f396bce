// With OTEL_EXPORTER_OTLP_ENDPOINT set, the same measurements reach an OTLP/HTTP
// receiver (a real HTTP server in the test) with the values /metrics shows.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { otlpSettingsFromEnv } from '../../src/exporters/otlp.ts';
import { embeddedConfig, sample, sleep, startDaemon } from './helpers.ts';

interface DataPoint {
  attributes: { key: string; value: { stringValue?: string } }[];
  asInt?: string | number;
  asDouble?: number;
  count?: string | number;
  sum?: number;
}
interface Metric {
  name: string;
  sum?: { dataPoints: DataPoint[] };
  histogram?: { dataPoints: DataPoint[] };
  gauge?: { dataPoints: DataPoint[] };
}

const exports: { resourceMetrics: { scopeMetrics: { metrics: Metric[] }[] }[] }[] = [];
let receiver: http.Server;
let endpoint = '';

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      if (req.url === '/v1/metrics' && req.headers['content-type']?.includes('json')) exports.push(JSON.parse(body));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => receiver.close(() => r())));

/** Latest cumulative value per label set of one metric, from the last export that has it. */
function latest(name: string): Map<string, DataPoint> {
  const points = new Map<string, DataPoint>();
  for (const batch of exports) {
    for (const rm of batch.resourceMetrics) {
      for (const sm of rm.scopeMetrics) {
        for (const m of sm.metrics.filter((x) => x.name === name)) {
          for (const p of (m.sum ?? m.histogram ?? m.gauge)!.dataPoints) {
            const attrs = Object.fromEntries(p.attributes.map((a) => [a.key, a.value.stringValue ?? '']));
            points.set(JSON.stringify(Object.entries(attrs).sort()), p);
          }
        }
      }
    }
  }
  return points;
}

describe('OTLP export', () => {
  it('sends the DNS measurements with the same values as /metrics', async () => {
    const daemon = await startDaemon(embeddedConfig({ fault: 'conntrack-race', timeout: '200ms' }), {
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_METRIC_EXPORT_INTERVAL: '300',
    });
    await sleep(1500);
    await daemon.stop(); // stops probing, then flushes OTLP: both sides now hold final values
    const prom = await daemon.prometheus.render();

    const lookups = latest('netprobe_dns_lookups_total');
    expect(lookups.size).toBe(7); // three UDP probes x A/AAAA, TCP in single mode: A
    for (const [key, point] of lookups) {
      const labels = Object.fromEntries(JSON.parse(key) as [string, string][]);
      expect(labels.source_node).toBe('test-node');
      expect(Number(point.asInt ?? point.asDouble)).toBe(sample(prom, 'netprobe_dns_lookups_total', labels));
    }
    const stalls = latest('netprobe_dns_stalled_lookups_total');
    const parallel = [...stalls].find(([k]) => k.includes('"parallel"'))!;
    expect(Number(parallel[1].asInt ?? parallel[1].asDouble)).toBeGreaterThan(0);
    for (const [key, point] of latest('netprobe_dns_lookup_duration_seconds')) {
      const labels = Object.fromEntries(JSON.parse(key) as [string, string][]);
      expect(Number(point.count)).toBe(sample(prom, 'netprobe_dns_lookup_duration_seconds_count', labels));
      expect(point.sum).toBeCloseTo(sample(prom, 'netprobe_dns_lookup_duration_seconds_sum', labels)!, 9);
    }
  });

  it('reads the standard environment and rejects bad values clearly', () => {
    expect(otlpSettingsFromEnv({})).toBeUndefined();
    expect(otlpSettingsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/' })).toEqual({
      protocol: 'http/protobuf',
      url: 'http://c:4318/v1/metrics',
      intervalMs: 60_000,
    });
    expect(() => otlpSettingsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'udp' })).toThrow(
      'OTEL_EXPORTER_OTLP_PROTOCOL: expected http/protobuf, http/json or grpc, got "udp"',
    );
    expect(() => otlpSettingsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT: expected a URL/);
  });
});
