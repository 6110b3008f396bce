// List-then-watch for one collection, kept as a local store: the same loop as
// client-go's Reflector. It lists (resourceVersion "0": served from the API
// server's cache, which matters with a probe pod on every node), watches from
// the list's resourceVersion with bookmarks, follows each event, and:
// - a clean end of the stream (timeoutSeconds): watches again from the last version;
// - 410 Gone (HTTP or ERROR event): relists from scratch;
// - anything else (5xx, refused, dropped mid-stream, silence): counts the error,
//   waits a capped exponential backoff with jitter, and tries again, keeping the
//   last known objects meanwhile so probing goes on through an API outage.
import { type ApiClient, DiscoveryError, type DiscoveryErrorReason, type KubeObject, classify } from './client.ts';

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

export interface ReflectorOptions {
  /** Bounded name for logs and the `resource` metric label. */
  resource: string;
  /** Collection path, e.g. /apis/discovery.k8s.io/v1/namespaces/kube-system/endpointslices. */
  path: string;
  /** fieldSelector / labelSelector. */
  query: Record<string, string>;
  /** Asked of the server per watch; it ends the stream cleanly after this. */
  watchTimeoutSeconds: number;
  backoff: BackoffOptions;
}

export interface ReflectorHooks {
  onError?(resource: string, reason: DiscoveryErrorReason, error: DiscoveryError): void;
  /** The watch stream opened (true) or was lost (false). */
  onWatching?(resource: string, watching: boolean): void;
  log?(message: string): void;
  /** [0, 1) for jitter; injected for tests. */
  random?(): number;
}

export interface ReflectorStatus {
  resource: string;
  /** A list has succeeded at least once. */
  synced: boolean;
  /** The watch stream is open right now. */
  watching: boolean;
  resourceVersion: string;
  consecutiveFailures: number;
  lastError: DiscoveryErrorReason | '';
}

/** Delay before retry number `failures` (1-based): capped exponential, jittered to 50-100%. */
export function backoffDelay(failures: number, options: BackoffOptions, random: () => number = Math.random): number {
  const exp = Math.min(options.maxMs, options.initialMs * 2 ** Math.min(30, Math.max(0, failures - 1)));
  return Math.round(exp * (0.5 + random() * 0.5));
}

function objectKey(obj: KubeObject): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
}

export class Reflector {
  readonly options: ReflectorOptions;
  readonly #client: ApiClient;
  readonly #hooks: ReflectorHooks;
  readonly #store = new Map<string, KubeObject>();
  readonly #listeners = new Set<() => void>();
  readonly #abort = new AbortController();
  #status: ReflectorStatus;
  #loop: Promise<void> | undefined;
  #resolveSynced!: () => void;
  /** Resolves after the first successful list (never rejects; see status() for errors). */
  readonly synced: Promise<void>;

  constructor(client: ApiClient, options: ReflectorOptions, hooks: ReflectorHooks = {}) {
    this.#client = client;
    this.options = options;
    this.#hooks = hooks;
    this.#status = { resource: options.resource, synced: false, watching: false, resourceVersion: '', consecutiveFailures: 0, lastError: '' };
    this.synced = new Promise((resolve) => (this.#resolveSynced = resolve));
  }

  items(): KubeObject[] {
    return [...this.#store.values()];
  }

  status(): ReflectorStatus {
    return { ...this.#status };
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    let relistFrom: '0' | '' = '0';
    while (!signal.aborted) {
      try {
        if (!this.#status.synced || this.#status.resourceVersion === '') {
          await this.#list(relistFrom, signal);
        }
        await this.#watch(signal);
      } catch (error) {
        if (signal.aborted) break;
        const e = classify(error, this.options.path);
        this.#setWatching(false);
        this.#status.lastError = e.reason;
        this.#status.consecutiveFailures++;
        this.#hooks.onError?.(this.options.resource, e.reason, e);
        this.#hooks.log?.(`discovery ${this.options.resource}: ${e.message}`);
        if (e.reason === 'gone') {
          // Our version fell out of the server's window: only a fresh,
          // consistent list (no resourceVersion) can catch up.
          this.#status.resourceVersion = '';
          relistFrom = '';
          // The first relist is immediate; repeated 410s back off like any error.
          if (this.#status.consecutiveFailures === 1) continue;
        }
        await this.#sleep(backoffDelay(this.#status.consecutiveFailures, this.options.backoff, this.#hooks.random), signal);
      }
    }
    this.#setWatching(false);
  }

  async #list(resourceVersion: '0' | '', signal: AbortSignal): Promise<void> {
    const query = { ...this.options.query, ...(resourceVersion ? { resourceVersion } : {}) };
    const result = await this.#client.list(this.options.path, query, signal);
    this.#store.clear();
    for (const item of result.items) this.#store.set(objectKey(item), item);
    this.#status.resourceVersion = result.resourceVersion;
    if (!this.#status.synced) {
      this.#status.synced = true;
      this.#resolveSynced();
    }
    this.#emit();
  }

  async #watch(signal: AbortSignal): Promise<void> {
    const query = {
      ...this.options.query,
      resourceVersion: this.#status.resourceVersion,
      allowWatchBookmarks: 'true',
      timeoutSeconds: String(this.options.watchTimeoutSeconds),
    };
    const events = this.#client.watch(this.options.path, query, signal, () => this.#setWatching(true));
    const startedAt = Date.now();
    let received = false;
    for await (const event of events) {
      received = true;
      const rv = event.object?.metadata?.resourceVersion;
      switch (event.type) {
        case 'ADDED':
        case 'MODIFIED':
          this.#store.set(objectKey(event.object), event.object);
          break;
        case 'DELETED':
          this.#store.delete(objectKey(event.object));
          break;
        case 'BOOKMARK':
          // Only a newer version to resume from; the object carries no data.
          break;
        case 'ERROR': {
          const code = event.object.code;
          const reason = code === 410 ? 'gone' : 'watch_error';
          throw new DiscoveryError(reason, `watch ${this.options.path}: ERROR event ${code ?? '?'} ${event.object.reason ?? ''}`.trim(), code);
        }
        default:
          throw new DiscoveryError('decode', `watch ${this.options.path}: unknown event type`);
      }
      if (rv) this.#status.resourceVersion = rv;
      // A working stream ends the failure streak (and its backoff).
      this.#status.consecutiveFailures = 0;
      if (event.type !== 'BOOKMARK') this.#emit();
    }
    // Clean end (the server's timeoutSeconds): resume from the last version.
    this.#setWatching(false);
    this.#status.consecutiveFailures = 0;
    // A stream that closes at once with nothing in it (a proxy, a restarting
    // server) must not turn this loop into a busy one.
    if (!received && Date.now() - startedAt < 1000) await this.#sleep(this.options.backoff.initialMs, signal);
  }

  #setWatching(watching: boolean): void {
    if (this.#status.watching === watching) return;
    this.#status.watching = watching;
    this.#hooks.onWatching?.(this.options.resource, watching);
  }

  #emit(): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener();
      } catch {
        // One listener's bug must not break the watch loop.
      }
    }
  }

  #sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
    });
  }
}
