// /metrics streams its render: the head and the first pieces leave while the
// rest renders, scrapes that come meanwhile (or within the reuse window) share
// the one render, and a render that fails never passes for a whole body.
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { type HttpServer, startHttpServer } from '../../src/app/http.ts';
import { ResultStore } from '../../src/app/results.ts';

interface Got {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The body was cut off (the connection dropped before its end). */
  aborted: boolean;
}

/** A GET that also reports each data event, so a test can act while the body is still coming. */
function get(url: string, onData?: (received: string) => void): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, (res) => {
      let body = '';
      let aborted = false;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
        onData?.(body);
      });
      res.on('aborted', () => (aborted = true));
      res.on('error', () => (aborted = true));
      res.on('close', () => resolve({ status: res.statusCode!, headers: res.headers, body, aborted: aborted || !res.complete }));
    });
    req.on('error', reject);
  });
}

/** A render the test releases piece by piece. */
class Gate {
  #open!: () => void;
  readonly opened = new Promise<void>((resolve) => (this.#open = resolve));
  open(): void {
    this.#open();
  }
}

const servers: HttpServer[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((s) => {
      const closed = new Promise((resolve) => s.server.close(resolve));
      s.server.closeAllConnections(); // the global agent keeps its sockets alive
      return closed;
    }),
  );
});

async function serve(metricsPieces: () => AsyncIterable<string>, errors: Error[] = []): Promise<HttpServer> {
  const server = await startHttpServer(
    { host: '127.0.0.1', port: 0 },
    { metricsPieces, metricsContentType: 'text/plain; version=0.0.4; charset=utf-8', results: new ResultStore(), live: () => true, onError: (e) => errors.push(e) },
  );
  servers.push(server);
  return server;
}

const A = 'a 1\n'.repeat(1000);
const B = 'b 2\n'.repeat(1000);
const C = 'c 3\n'.repeat(1000);

describe('/metrics streaming', () => {
  it('sends the head and the first pieces while the render is still going, then the rest, chunked', async () => {
    const gate = new Gate();
    let ended = false;
    const server = await serve(async function* () {
      yield A;
      yield B;
      await gate.opened;
      yield C;
      ended = true;
    });
    let sawFirstPiecesEarly = false;
    const got = await get(`${server.url}/metrics`, (received) => {
      if (received.length >= A.length + B.length && !sawFirstPiecesEarly) {
        sawFirstPiecesEarly = !ended;
        gate.open();
      }
    });
    expect(sawFirstPiecesEarly).toBe(true);
    expect(got.status).toBe(200);
    expect(got.headers['transfer-encoding']).toBe('chunked');
    expect(got.headers['content-length']).toBeUndefined();
    expect(got.aborted).toBe(false);
    expect(got.body).toBe(A + B + C);
  });

  it('shares one render among scrapes during it and within the reuse window; a small body has its content-length', async () => {
    const gate = new Gate();
    let renders = 0;
    const server = await serve(async function* () {
      renders++;
      yield A;
      await gate.opened;
      yield B;
    });
    const during = Array.from({ length: 5 }, () => get(`${server.url}/metrics`));
    await new Promise((resolve) => setTimeout(resolve, 50));
    gate.open();
    const bodies = await Promise.all(during);
    expect(bodies.map((g) => g.body)).toEqual(Array(5).fill(A + B));
    const after = await get(`${server.url}/metrics`);
    expect(after.body).toBe(A + B);
    expect(after.headers['content-length']).toBe(String(A.length + B.length)); // the render had ended: a whole body
    expect(renders).toBe(1);

    const small = await serve(async function* () {
      yield 'x 1\n';
    });
    const one = await get(`${small.url}/metrics`);
    expect(one.headers['content-length']).toBe('4');
    expect(one.body).toBe('x 1\n');
  });

  it('answers 500 when the render fails before its head, drops the connection when it fails after, and renders anew next time', async () => {
    const errors: Error[] = [];
    let call = 0;
    const server = await serve(async function* () {
      call++;
      if (call === 1) throw new Error('boom before');
      yield A;
      yield B;
      if (call === 2) throw new Error('boom midway');
      yield C;
    }, errors);
    const early = await get(`${server.url}/metrics`);
    expect(early.status).toBe(500);
    expect(early.body).toContain('boom before');
    const midway = await get(`${server.url}/metrics`);
    expect(midway.status).toBe(200);
    expect(midway.aborted).toBe(true); // a client (Prometheus) sees a failed scrape, not a short body
    expect(midway.body.length).toBeLessThan(A.length + B.length + C.length);
    const next = await get(`${server.url}/metrics`);
    expect(next.aborted).toBe(false);
    expect(next.body).toBe(A + B + C);
    expect(call).toBe(3);
    expect(errors.map((e) => e.message)).toEqual(['boom before', 'boom midway']);
  });

  it('answers 500 when the source throws before it yields anything (not a generator), and stays up', async () => {
    const errors: Error[] = [];
    let call = 0;
    const server = await serve(() => {
      call++;
      if (call === 1) throw new Error('no pieces at all');
      return (async function* () {
        yield A;
      })();
    }, errors);
    const failed = await get(`${server.url}/metrics`);
    expect(failed.status).toBe(500);
    expect(failed.body).toContain('no pieces at all');
    const next = await get(`${server.url}/metrics`);
    expect(next.status).toBe(200);
    expect(next.body).toBe(A);
    expect(errors.map((e) => e.message)).toEqual(['no pieces at all']);
  });
});
