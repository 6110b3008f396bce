// A fake Kubernetes API server (node:http on 127.0.0.1:0) that speaks the
// list/watch protocol netprobe relies on, with the faults a real one shows:
// - list: items + metadata.resourceVersion, limit/continue pagination,
//   fieldSelector metadata.name=X and labelSelector k=v;
// - watch=1: a chunked stream of newline-delimited JSON events replayed from
//   the requested resourceVersion, then live ADDED/MODIFIED/DELETED, BOOKMARK
//   on demand (only when allowWatchBookmarks=true), and a clean end after
//   timeoutSeconds;
// - compaction: a watch from a resourceVersion older than the window gets
//   410 Gone (as HTTP status or as an ERROR event, both happen in practice);
// - faults: streams dropped mid-way, 5xx answers, a full outage;
// - metadata-only lists and watches (Accept:
//   application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1, and
//   as=PartialObjectMetadata for watches): objects cut to kind, apiVersion
//   and metadata, as the real server answers;
// - byte accounting per request (RecordedRequest.bytes), for benches.
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; resourceVersion?: string; [k: string]: unknown };
  [field: string]: unknown;
}

interface HistoryEntry {
  rv: number;
  collection: string;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: FakeObject;
}

interface OpenWatch {
  collection: string;
  query: URLSearchParams;
  res: ServerResponse;
  bookmarks: boolean;
  timer: NodeJS.Timeout;
  metadataOnly: boolean;
  record: RecordedRequest;
}

export interface RecordedRequest {
  path: string;
  query: Record<string, string>;
  status: number;
  authorization: string | undefined;
  userAgent: string | undefined;
  /** Response body bytes written so far (a watch keeps counting while open). */
  bytes: number;
}

export class FakeApiServer {
  readonly requests: RecordedRequest[] = [];
  #rv = 100;
  /** Oldest resourceVersion a watch may start from (older: 410 Gone). */
  #window = 0;
  readonly #objects = new Map<string, Map<string, FakeObject>>();
  readonly #history: HistoryEntry[] = [];
  readonly #watches = new Set<OpenWatch>();
  readonly #server = createServer((req, res) => this.#handle(req, res));
  /** Every request answered with this status while set (an API outage). */
  outage: number | undefined;
  /** The next N requests answered with `failStatus`. */
  failNext = 0;
  failStatus = 500;
  /** How 410 reaches a watcher: an HTTP status on the watch request, or an ERROR event in a 200 stream. */
  goneAs: 'http' | 'event' = 'event';
  /** Write each event in two halves, 5 ms apart, to exercise line reassembly. */
  splitWrites = false;
  url = '';

  static async start(): Promise<FakeApiServer> {
    const s = new FakeApiServer();
    await new Promise<void>((resolve) => s.#server.listen(0, '127.0.0.1', resolve));
    s.url = `http://127.0.0.1:${(s.#server.address() as AddressInfo).port}`;
    return s;
  }

  get resourceVersion(): string {
    return String(this.#rv);
  }

  openWatches(collection?: string): number {
    return [...this.#watches].filter((w) => !collection || w.collection === collection).length;
  }

  upsert(collection: string, object: FakeObject): FakeObject {
    const store = this.#collection(collection);
    const key = keyOf(object);
    const type = store.has(key) ? 'MODIFIED' : 'ADDED';
    const stored = structuredClone(object);
    stored.metadata.resourceVersion = String(++this.#rv);
    store.set(key, stored);
    this.#publish({ rv: this.#rv, collection, type, object: stored });
    return stored;
  }

  delete(collection: string, name: string, namespace?: string): void {
    const store = this.#collection(collection);
    const key = `${namespace ?? ''}/${name}`;
    const old = store.get(key);
    if (!old) throw new Error(`fake apiserver: no ${key} in ${collection}`);
    store.delete(key);
    const object = structuredClone(old);
    object.metadata.resourceVersion = String(++this.#rv);
    this.#publish({ rv: this.#rv, collection, type: 'DELETED', object });
  }

  /** Sends a BOOKMARK at the current resourceVersion to every watch that asked for them. */
  bookmark(): void {
    for (const w of this.#watches) {
      if (w.bookmarks) this.#send(w, { type: 'BOOKMARK', object: { kind: 'Bookmark', metadata: { resourceVersion: String(this.#rv) } } });
    }
  }

  /** Forgets history: watches from any version before now get 410, open ones are told so. */
  compact(): void {
    this.#window = this.#rv;
    this.#history.length = 0;
    for (const w of [...this.#watches]) {
      this.#send(w, { type: 'ERROR', object: goneStatus() });
      this.#end(w);
    }
  }

  /** Cuts every open watch connection without ending the chunked body (a dropped stream). */
  dropWatches(): void {
    for (const w of [...this.#watches]) {
      this.#watches.delete(w);
      clearTimeout(w.timer);
      w.res.socket?.destroy();
    }
  }

  /** Ends every open watch cleanly, as the server does after timeoutSeconds. */
  endWatches(): void {
    for (const w of [...this.#watches]) this.#end(w);
  }

  async close(): Promise<void> {
    this.dropWatches();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #collection(path: string): Map<string, FakeObject> {
    let c = this.#objects.get(path);
    if (!c) this.#objects.set(path, (c = new Map()));
    return c;
  }

  #publish(entry: HistoryEntry): void {
    this.#history.push(entry);
    for (const w of this.#watches) {
      if (w.collection === entry.collection && matches(entry.object, w.query)) this.#send(w, { type: entry.type, object: entry.object });
    }
  }

  #send(w: OpenWatch, event: { type: string; object: FakeObject | object }): void {
    const shown = w.metadataOnly && event.type !== 'ERROR' && event.type !== 'BOOKMARK' ? { type: event.type, object: partial(event.object as FakeObject) } : event;
    const line = `${JSON.stringify(shown)}\n`;
    w.record.bytes += Buffer.byteLength(line);
    if (!this.splitWrites) {
      w.res.write(line);
      return;
    }
    const half = Math.floor(line.length / 2);
    w.res.write(line.slice(0, half));
    setTimeout(() => {
      if (!w.res.destroyed) w.res.write(line.slice(half));
    }, 5);
  }

  #end(w: OpenWatch): void {
    this.#watches.delete(w);
    clearTimeout(w.timer);
    w.res.end();
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const record = (status: number): RecordedRequest => {
      const r: RecordedRequest = { path: url.pathname, query: Object.fromEntries(url.searchParams), status, authorization: req.headers.authorization, userAgent: req.headers['user-agent'], bytes: 0 };
      this.requests.push(r);
      return r;
    };
    const accept = req.headers.accept ?? '';
    const metadataOnly = /;as=PartialObjectMetadata(List)?;g=meta\.k8s\.io;v=v1/.test(accept);
    const fail = (status: number, reason: string) => {
      record(status);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: `fake: ${reason}`, reason, code: status }));
    };
    if (this.outage !== undefined) return fail(this.outage, 'ServiceUnavailable');
    if (this.failNext > 0) {
      this.failNext--;
      return fail(this.failStatus, 'InternalError');
    }
    const collection = url.pathname;
    const query = url.searchParams;
    if (query.get('watch') === '1' || query.get('watch') === 'true') {
      const from = Number(query.get('resourceVersion') ?? '0');
      if (from !== 0 && from < this.#window) {
        if (this.goneAs === 'http') return fail(410, 'Expired');
        record(200);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(`${JSON.stringify({ type: 'ERROR', object: goneStatus() })}\n`);
        return;
      }
      const recorded = record(200);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      const timeoutMs = Number(query.get('timeoutSeconds') ?? '1800') * 1000;
      const w: OpenWatch = {
        collection,
        query,
        res,
        bookmarks: query.get('allowWatchBookmarks') === 'true',
        timer: setTimeout(() => this.#end(w), timeoutMs),
        metadataOnly,
        record: recorded,
      };
      this.#watches.add(w);
      res.on('close', () => {
        this.#watches.delete(w);
        clearTimeout(w.timer);
      });
      for (const e of this.#history) {
        if (e.rv > from && e.collection === collection && matches(e.object, query)) this.#send(w, { type: e.type, object: e.object });
      }
      return;
    }
    // List, with limit/continue.
    const all = [...this.#collection(collection).values()].filter((o) => matches(o, query)).sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
    const limit = Number(query.get('limit') ?? '0');
    const start = Number(query.get('continue') ?? '0');
    const page = limit > 0 ? all.slice(start, start + limit) : all.slice(start);
    const next = limit > 0 && start + limit < all.length ? String(start + limit) : undefined;
    const recorded = record(200);
    res.writeHead(200, { 'content-type': 'application/json' });
    const listMeta = { resourceVersion: String(this.#rv), ...(next ? { continue: next } : {}) };
    const body = JSON.stringify(
      metadataOnly
        ? { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: listMeta, items: page.map(partial) }
        : { kind: 'List', apiVersion: 'v1', metadata: listMeta, items: page },
    );
    recorded.bytes = Buffer.byteLength(body);
    res.end(body);
  }
}

function keyOf(o: FakeObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

/** An object as the server shows it to a metadata-only client. */
function partial(o: FakeObject): FakeObject {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
}

function goneStatus() {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'too old resource version', reason: 'Expired', code: 410 };
}

/** fieldSelector metadata.name=X and labelSelector k=v[,k=v]: the subset netprobe sends. */
function matches(o: FakeObject, query: URLSearchParams): boolean {
  const field = query.get('fieldSelector');
  if (field) {
    for (const term of field.split(',')) {
      const [k, v] = term.split('=');
      if (k === 'metadata.name' && o.metadata.name !== v) return false;
      if (k === 'metadata.namespace' && o.metadata.namespace !== v) return false;
    }
  }
  const label = query.get('labelSelector');
  if (label) {
    for (const term of label.split(',')) {
      const [k, v] = term.split('=');
      if ((o.metadata.labels ?? {})[k!] !== v) return false;
    }
  }
  return true;
}
