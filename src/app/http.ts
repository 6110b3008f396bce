// The daemon's HTTP face: / (status page), /metrics, /healthz, /readyz, /api/results, /api/verdicts.
//
// It shares the process with the probes, so no client may take the prober
// down: connections are capped below the fd budget (fd-budget.ts), slow or
// idle clients are evicted for new ones (a slowloris cannot lock kubelet's
// /healthz out), header, request and response times are short, a burst of
// /metrics scrapes shares one render instead of rendering once each, and
// that render goes out piece by piece with the probes' work in between.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Verdict } from '../diagnosis/types.ts';
import type { ResultStore } from './results.ts';
import { renderStatusPage } from './status-page.ts';

export interface HttpDeps {
  /** The /metrics exposition in pieces (PrometheusSink.pieces): sent as they come, probes run in between. */
  metricsPieces(): AsyncIterable<string>;
  metricsContentType: string;
  results: ResultStore;
  /** Liveness: false when the scheduler has stalled (event loop wedged, timers dead). */
  live(): boolean;
  /** For the status page at `/`. */
  sourceNode?: string;
  /** The daemon's current local verdicts (src/app/verdicts.ts), for /api/verdicts and the status page. */
  verdicts?(): readonly Verdict[];
  /** Open connections: kept at `steady`, up to `burst` for a moment (see httpConnectionCap). */
  maxConnections?: { steady: number; burst: number };
  /** Server-level errors (EMFILE on accept): reported, never thrown. */
  onError?(error: Error): void;
}

/** A client must send its request headers within this (slowloris). */
export const HEADERS_TIMEOUT_MS = 5000;
/** ... and its whole request within this. */
export const REQUEST_TIMEOUT_MS = 10_000;
/** A response not fully taken by the client within this is dropped (slow readers hold a slot). */
export const RESPONSE_TIMEOUT_MS = 30_000;
/** Idle keep-alive connections close after this: longer than usual scrape intervals, so scrapers reuse theirs. */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;
/** Requests per keep-alive connection before the server closes it. */
const MAX_REQUESTS_PER_SOCKET = 1000;
/**
 * A rendered /metrics body is served to every scrape within this long of its
 * render: a storm of scrapes costs one render per window, and the values are
 * at most this old (probes run at most once a second).
 */
export const RENDER_REUSE_MS = 1000;

/** Capped by net.core.somaxconn (4096 on current kernels). */
const LISTEN_BACKLOG = 4096;
/** How long new connections get to send their first bytes before an over-cap sweep. */
const SWEEP_DELAY_MS = 20;

interface Tracked {
  /** A request is being answered: not evicted (it is about to free its slot). */
  busy: boolean;
  /** performance.now() at accept. */
  since: number;
}

/**
 * Oldest-first set of open connections. Above `steady`, a sweep drops the
 * oldest idle ones (no request in progress: a slowloris never finishes its
 * headers, an idle keep-alive has none). The sweep only looks at connections
 * that had SWEEP_DELAY_MS and one poll of the event loop to send their first
 * bytes, so a client that sends its request at once (kubelet, a scraper) is
 * busy by then and kept, however many slow ones arrive with it. Above
 * `burst` the oldest idle one goes at once (or the newcomer, if none is
 * idle), so a flood cannot outgrow the fd budget.
 */
class ConnectionTable {
  readonly #open = new Map<Socket, Tracked>();
  readonly #steady: number;
  readonly #burst: number;
  #sweep: NodeJS.Timeout | undefined;
  evicted = 0;

  constructor(cap: { steady: number; burst: number }) {
    this.#steady = cap.steady;
    this.#burst = Math.max(cap.steady, cap.burst);
  }

  add(socket: Socket): void {
    this.#open.set(socket, { busy: false, since: performance.now() });
    socket.once('close', () => this.#open.delete(socket));
    if (this.#open.size > this.#burst) {
      if (!this.#evictOldestIdle(Infinity)) this.#evict(socket);
    }
    if (this.#open.size > this.#steady && !this.#sweep) {
      // Timer, then setImmediate: the sweep runs after a poll phase, which read what the new sockets sent.
      this.#sweep = setTimeout(() => setImmediate(() => this.#sweepNow()), SWEEP_DELAY_MS);
    }
  }

  busy(socket: Socket, busy: boolean): void {
    const state = this.#open.get(socket);
    if (state) state.busy = busy;
  }

  stop(): void {
    clearTimeout(this.#sweep);
  }

  #sweepNow(): void {
    this.#sweep = undefined;
    const cutoff = performance.now() - SWEEP_DELAY_MS;
    while (this.#open.size > this.#steady && this.#evictOldestIdle(cutoff)) {}
    if (this.#open.size > this.#steady) this.#sweep = setTimeout(() => setImmediate(() => this.#sweepNow()), SWEEP_DELAY_MS);
  }

  /** Evicts the oldest idle connection accepted before `cutoff`; false when there is none. */
  #evictOldestIdle(cutoff: number): boolean {
    for (const [socket, state] of this.#open) {
      if (state.since > cutoff) return false; // the rest is younger still
      if (state.busy) continue;
      this.#evict(socket);
      return true;
    }
    return false;
  }

  #evict(socket: Socket): void {
    this.#open.delete(socket);
    this.evicted++;
    socket.destroy();
  }
}

/**
 * One render, kept as the Buffers it has produced so far: a scrape that
 * joins late writes those, then follows as more come. Between pieces the
 * event loop runs (probes read their sockets; a 13 MB render in one go held
 * it 40-90 ms at 1,000 targets per kind).
 */
class Render {
  readonly pieces: Buffer[] = [];
  bytes = 0;
  done = false;
  error: Error | undefined;
  finishedAt = 0;
  #waiting: (() => void)[] = [];

  /** `source` is called inside the render, so one that throws at once fails this render like any other error. */
  constructor(source: () => AsyncIterable<string> | Iterable<string>, onError: (error: Error) => void) {
    void this.#pump(source, onError);
  }

  async #pump(source: () => AsyncIterable<string> | Iterable<string>, onError: (error: Error) => void): Promise<void> {
    try {
      for await (const text of source()) {
        // One Buffer per piece for all readers: a string would be encoded once per response.
        const piece = Buffer.from(text);
        this.pieces.push(piece);
        this.bytes += piece.length;
        this.#wake();
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } catch (error) {
      this.error = error instanceof Error ? error : new Error(String(error));
      onError(this.error);
    }
    this.done = true;
    this.finishedAt = performance.now();
    this.#wake();
  }

  /** Resolves once there are more than `count` pieces, or the render has ended. */
  async settled(count: number): Promise<void> {
    while (this.pieces.length <= count && !this.done) await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  #wake(): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const resolve of waiting) resolve();
  }
}

/** One render shared by every scrape that arrives while it runs or within RENDER_REUSE_MS after it ended. */
class SharedBody {
  readonly #source: () => AsyncIterable<string> | Iterable<string>;
  readonly #onError: (error: Error) => void;
  #current: Render | undefined;

  constructor(source: () => AsyncIterable<string> | Iterable<string>, onError: (error: Error) => void) {
    this.#source = source;
    this.#onError = onError;
  }

  /** After a reload: series were removed, so the next scrape must not see the old body. */
  invalidate(): void {
    this.#current = undefined;
  }

  get(): Render {
    const current = this.#current;
    if (current && !current.error && (!current.done || performance.now() - current.finishedAt < RENDER_REUSE_MS)) return current;
    this.#current = new Render(this.#source, this.#onError);
    return this.#current;
  }
}

export interface HttpServer {
  server: http.Server;
  url: string;
  /** Drop the reused /metrics and /api/results bodies (call after series were removed). */
  invalidateMetrics(): void;
}

export async function startHttpServer(listen: { host: string; port: number }, deps: HttpDeps): Promise<HttpServer> {
  const connections = new ConnectionTable(deps.maxConnections ?? { steady: 128, burst: 512 });
  const renderError = (error: Error): void => deps.onError?.(error);
  const metrics = new SharedBody(deps.metricsPieces, renderError);
  // /api/results is as large as /metrics at a thousand targets: shared the same way (one piece).
  const results = new SharedBody(() => [`${JSON.stringify({ results: deps.results.all() }, null, 2)}\n`], renderError);
  const server = http.createServer(
    {
      headersTimeout: HEADERS_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      // Node checks the two timeouts above on this period (default 30 s, far too coarse).
      connectionsCheckingInterval: 1000,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    },
    (req, res) => {
      const socket = req.socket;
      connections.busy(socket, true);
      const slow = setTimeout(() => socket.destroy(), RESPONSE_TIMEOUT_MS);
      slow.unref();
      res.once('close', () => {
        clearTimeout(slow);
        connections.busy(socket, false);
      });
      respond(req, res, deps, metrics, results);
    },
  );
  server.maxRequestsPerSocket = MAX_REQUESTS_PER_SOCKET;
  server.on('connection', (socket: Socket) => connections.add(socket));
  server.on('close', () => connections.stop());
  // Malformed requests and timed-out headers: answer if the socket can still take it, then drop it.
  server.on('clientError', (_error, socket) => {
    if (socket.writable && !socket.writableEnded) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // A deep accept queue: when it overflows the kernel drops SYNs and a client (kubelet) retries only after 1 s.
    server.listen({ port: listen.port, host: listen.host, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // After listening, an error (EMFILE on accept) must not crash the prober: Node keeps accepting.
  server.on('error', (error) => deps.onError?.(error));
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const shown = host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host;
  return { server, url: `http://${shown}:${address.port}`, invalidateMetrics: () => {
      metrics.invalidate();
      results.invalidate();
    },
  };
}

/** Bodies being written at once; further scrapes wait their turn (bounded memory and per-tick work). */
const MAX_CONCURRENT_SENDS = 16;
/** Bytes written per step: one step copies this much into the kernel, then the event loop moves on. */
const SLICE_BYTES = 64 * 1024;

/** A FIFO of at most `limit` running tasks. */
class Slots {
  readonly #limit: number;
  #running = 0;
  readonly #waiting: (() => Promise<void>)[] = [];
  constructor(limit: number) {
    this.#limit = limit;
  }
  run(task: () => Promise<void>): void {
    this.#waiting.push(task);
    this.#next();
  }
  #next(): void {
    while (this.#running < this.#limit && this.#waiting.length > 0) {
      const task = this.#waiting.shift()!;
      this.#running++;
      void task()
        .catch(() => {})
        .finally(() => {
          this.#running--;
          this.#next();
        });
    }
  }
}

const sends = new Slots(MAX_CONCURRENT_SENDS);

/**
 * Writes a piece in slices, waiting for 'drain' between them: one
 * res.end(1 MB) per scraper made a storm of 200 scrapes copy 200 MB into
 * socket buffers in one event-loop turn (~0.5 s during which no probe ran
 * and /healthz did not answer).
 */
async function writeSlices(res: http.ServerResponse, piece: Buffer): Promise<void> {
  for (let offset = 0; offset < piece.length; offset += SLICE_BYTES) {
    if (res.destroyed) return;
    const more = res.write(piece.subarray(offset, offset + SLICE_BYTES));
    if (!more) {
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    } else {
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
}

/** Every piece of `render`, as it comes; a render that fails midway drops the connection (no truncated 200). */
async function sendRender(res: http.ServerResponse, render: Render): Promise<void> {
  for (let i = 0; ; i++) {
    await render.settled(i);
    if (res.destroyed) return;
    if (i < render.pieces.length) {
      await writeSlices(res, render.pieces[i]!);
      continue;
    }
    // No error argument: destroy(error) would emit 'error' on a response nobody listens to.
    if (render.error) res.destroy();
    else res.end();
    return;
  }
}

/**
 * A shared body. The head goes out once the render has two pieces or has
 * ended (a small body: with its content-length; a large one: chunked, so
 * the first bytes leave while the rest renders); the pieces are written
 * when a send slot is free.
 */
function serveShared(req: http.IncomingMessage, res: http.ServerResponse, shared: SharedBody, contentType: string): void {
  const render = shared.get();
  void render.settled(1).then(() => {
    if (render.error) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`${req.url}: ${render.error.message}\n`);
      return;
    }
    res.writeHead(200, render.done ? { 'content-type': contentType, 'content-length': render.bytes } : { 'content-type': contentType });
    sends.run(() => (req.method === 'HEAD' ? (res.end(), Promise.resolve()) : sendRender(res, render)));
  });
}

function respond(req: http.IncomingMessage, res: http.ServerResponse, deps: HttpDeps, metrics: SharedBody, results: SharedBody): void {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  switch (path) {
    case '/metrics':
      serveShared(req, res, metrics, deps.metricsContentType);
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
      serveShared(req, res, results, 'application/json');
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
}
