// A deliberately small Kubernetes API client: GET list (with pagination) and
// GET watch (a chunked stream of newline-delimited JSON events), over undici.
// netprobe reads four kinds of object and never writes; a full client
// (@kubernetes/client-node) would bring dozens of dependencies into the image
// and hide the exact list/watch behaviour the tests must pin down.
import { Agent } from 'undici';
import type { ApiConnection } from './connection.ts';

/** Bounded reasons for a failed list or watch (the `reason` metric label). */
export const DISCOVERY_ERROR_REASONS = [
  'unreachable', // connect refused/reset/timeout, DNS failure for the API host
  'tls', // certificate or handshake failure
  'timeout', // no headers, or no bytes on a watch for longer than the idle timeout
  'stream_dropped', // the connection closed in the middle of a response
  'server_error', // HTTP 5xx
  'throttled', // HTTP 429
  'unauthorized', // HTTP 401 (token expired or wrong)
  'forbidden', // HTTP 403 (RBAC)
  'client_error', // other HTTP 4xx
  'gone', // 410: the resourceVersion is too old, a relist follows
  'watch_error', // an ERROR event other than 410
  'decode', // a body that is not the JSON we expect
] as const;
export type DiscoveryErrorReason = (typeof DISCOVERY_ERROR_REASONS)[number];

export class DiscoveryError extends Error {
  readonly reason: DiscoveryErrorReason;
  readonly status: number | undefined;
  constructor(reason: DiscoveryErrorReason, message: string, status?: number, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DiscoveryError';
    this.reason = reason;
    this.status = status;
  }
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; uid?: string; creationTimestamp?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject & { code?: number; reason?: string; message?: string };
}

export interface ListResult {
  items: KubeObject[];
  resourceVersion: string;
}

export interface ApiClientOptions {
  /** Headers of any response, and the whole body of a list page. */
  requestTimeoutMs: number;
  /** Longest silence on a watch stream before it is treated as dead (bookmarks arrive about every minute). */
  watchIdleTimeoutMs: number;
  /** Items per list page (`limit`); the API server may ignore it. */
  pageSize: number;
}

export class ApiClient {
  readonly #conn: ApiConnection;
  readonly #options: ApiClientOptions;
  readonly #agent: Agent;
  readonly #origin: string;
  readonly #basePath: string;

  constructor(conn: ApiConnection, options: ApiClientOptions) {
    this.#conn = conn;
    this.#options = options;
    const url = new URL(conn.server);
    this.#origin = url.origin;
    this.#basePath = url.pathname.replace(/\/$/, '');
    this.#agent = new Agent({
      connect: {
        ...(conn.ca !== undefined ? { ca: conn.ca } : {}),
        ...(conn.cert !== undefined ? { cert: conn.cert } : {}),
        ...(conn.key !== undefined ? { key: conn.key } : {}),
        rejectUnauthorized: !conn.insecureSkipTlsVerify,
        timeout: options.requestTimeoutMs,
      },
      headersTimeout: options.requestTimeoutMs,
      // A keep-alive pool per API server: several watches share it.
      connections: 8,
    });
  }

  /** Lists every page of a collection; the resourceVersion is the one to watch from. */
  async list(path: string, query: Record<string, string>, signal: AbortSignal): Promise<ListResult> {
    const items: KubeObject[] = [];
    let cont: string | undefined;
    let resourceVersion = '';
    for (let page = 0; page < 10_000; page++) {
      const params = { ...query, limit: String(this.#options.pageSize), ...(cont ? { continue: cont } : {}) };
      const body = (await this.#getJson(path, params, signal)) as {
        items?: KubeObject[];
        metadata?: { resourceVersion?: string; continue?: string };
      };
      if (!Array.isArray(body.items) || typeof body.metadata?.resourceVersion !== 'string') {
        throw new DiscoveryError('decode', `list ${path}: response has no items or metadata.resourceVersion`);
      }
      items.push(...body.items);
      resourceVersion = body.metadata.resourceVersion;
      cont = body.metadata.continue || undefined;
      if (!cont) return { items, resourceVersion };
    }
    throw new DiscoveryError('decode', `list ${path}: more than 10000 pages`);
  }

  /**
   * Opens a watch and yields its events until the server ends the stream.
   * Throws DiscoveryError for HTTP errors and dropped or silent streams.
   */
  async *watch(path: string, query: Record<string, string>, signal: AbortSignal, onOpen?: () => void): AsyncGenerator<WatchEvent> {
    const res = await this.#request(path, { ...query, watch: '1' }, signal, this.#options.watchIdleTimeoutMs);
    if (res.statusCode !== 200) throw await httpError(res, path);
    onOpen?.();
    const decoder = new TextDecoder();
    let buffered = '';
    try {
      for await (const chunk of res.body) {
        buffered += decoder.decode(chunk as Uint8Array, { stream: true });
        let newline: number;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (line) yield parseEvent(line, path);
        }
      }
    } catch (error) {
      if (error instanceof DiscoveryError) throw error;
      throw classify(error, path);
    } finally {
      // Leaving early (stop, relist) must release the connection.
      if (!res.body.destroyed) res.body.destroy();
    }
    const rest = buffered.trim();
    if (rest) yield parseEvent(rest, path);
  }

  close(): Promise<void> {
    return this.#agent.close();
  }

  async #getJson(path: string, query: Record<string, string>, signal: AbortSignal): Promise<unknown> {
    const res = await this.#request(path, query, signal, this.#options.requestTimeoutMs);
    if (res.statusCode !== 200) throw await httpError(res, path);
    try {
      return await res.body.json();
    } catch (error) {
      if (error instanceof SyntaxError) throw new DiscoveryError('decode', `${path}: body is not JSON`, 200, { cause: error });
      throw classify(error, path);
    }
  }

  async #request(path: string, query: Record<string, string>, signal: AbortSignal, bodyTimeout: number) {
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = this.#conn.token?.();
    if (token) headers.authorization = `Bearer ${token}`;
    const search = new URLSearchParams(query).toString();
    try {
      return await this.#agent.request({
        origin: this.#origin,
        path: `${this.#basePath}${path}${search ? `?${search}` : ''}`,
        method: 'GET',
        headers,
        signal,
        bodyTimeout,
      });
    } catch (error) {
      throw classify(error, path);
    }
  }
}

function parseEvent(line: string, path: string): WatchEvent {
  let event: WatchEvent;
  try {
    event = JSON.parse(line) as WatchEvent;
  } catch (error) {
    throw new DiscoveryError('decode', `watch ${path}: a line is not JSON`, 200, { cause: error });
  }
  if (typeof event?.type !== 'string' || typeof event.object !== 'object' || event.object === null) {
    throw new DiscoveryError('decode', `watch ${path}: an event has no type or object`);
  }
  return event;
}

async function httpError(res: { statusCode: number; body: { text(): Promise<string> } }, path: string): Promise<DiscoveryError> {
  let detail = '';
  try {
    const status = JSON.parse(await res.body.text()) as { message?: string };
    detail = status.message ? `: ${status.message}` : '';
  } catch {
    // Not a Status object; the code says enough.
  }
  const s = res.statusCode;
  const reason: DiscoveryErrorReason =
    s === 410 ? 'gone' : s === 401 ? 'unauthorized' : s === 403 ? 'forbidden' : s === 429 ? 'throttled' : s >= 500 ? 'server_error' : 'client_error';
  return new DiscoveryError(reason, `GET ${path}: HTTP ${s}${detail}`, s);
}

/** Maps undici and socket errors to a bounded reason; the message keeps the detail for logs. */
export function classify(error: unknown, path: string): DiscoveryError {
  if (error instanceof DiscoveryError) return error;
  const e = error as { code?: string; name?: string; message?: string };
  const code = e?.code ?? '';
  const message = `GET ${path}: ${e?.message ?? String(error)}`;
  let reason: DiscoveryErrorReason = 'unreachable';
  if (code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT') reason = 'timeout';
  else if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_CLOSED') reason = 'stream_dropped';
  else if (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) reason = 'tls';
  return new DiscoveryError(reason, message, undefined, { cause: error });
}
