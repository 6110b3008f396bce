// The daemon's HTTP face: / (status page), /metrics, /healthz, /readyz, /api/results, /api/verdicts.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Verdict } from '../diagnosis/types.ts';
import type { ResultStore } from './results.ts';
import { renderStatusPage } from './status-page.ts';

export interface HttpDeps {
  renderMetrics(): Promise<string>;
  metricsContentType: string;
  results: ResultStore;
  /** Liveness: false when the scheduler has stalled (event loop wedged, timers dead). */
  live(): boolean;
  /** For the status page at `/`. */
  sourceNode?: string;
  /** The daemon's current local verdicts (src/app/verdicts.ts), for /api/verdicts and the status page. */
  verdicts?(): readonly Verdict[];
}

export async function startHttpServer(listen: { host: string; port: number }, deps: HttpDeps): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    switch (path) {
      case '/metrics':
        deps.renderMetrics().then(
          (body) => res.writeHead(200, { 'content-type': deps.metricsContentType }).end(body),
          (error: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics: ${error.message}\n`),
        );
        return;
      case '/healthz': {
        const ok = deps.live();
        res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'scheduler stalled\n');
        return;
      }
      case '/readyz': {
        const ready = deps.results.ready;
        res
          .writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' })
          .end(ready ? 'ready\n' : `waiting for the first run of ${deps.results.missing} probe targets\n`);
        return;
      }
      case '/api/results':
        res.writeHead(200, { 'content-type': 'application/json' }).end(`${JSON.stringify({ results: deps.results.all() }, null, 2)}\n`);
        return;
      case '/api/verdicts':
        res.writeHead(200, { 'content-type': 'application/json' }).end(`${JSON.stringify({ verdicts: deps.verdicts?.() ?? [] }, null, 2)}\n`);
        return;
      case '/':
        // The status page: self-contained, and the CSP makes the browser refuse any fetch.
        res
          .writeHead(200, {
            'content-type': 'text/html; charset=utf-8',
            'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
          })
          .end(renderStatusPage({ sourceNode: deps.sourceNode ?? '', nowMs: Date.now(), verdicts: deps.verdicts?.() ?? [], targets: deps.results.history() }));
        return;
      default:
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  server.keepAliveTimeout = 65_000; // longer than typical scrape intervals
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const shown = host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host;
  return { server, url: `http://${shown}:${address.port}` };
}
