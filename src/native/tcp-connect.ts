// TypeScript face of the TCP connector addon (native/tcp_connect.c), and the
// only module that names netprobe_tcp.node. One connector per thread serves
// every connect check: each check is a non-blocking connect() in the addon's
// own epoll set, timed in the addon, its result handed back in batches. The
// TCP probe falls back to node:net when the addon is missing, for TLS, and
// for host names (node:net resolves them).
import os from 'node:os';
import { lazyAddon } from './addon.ts';

/** How one connect check ended: `code` is the errno name (undefined = established). */
export interface NativeConnectResult {
  code: string | undefined;
  /** connect() to established or failed, timed in the addon (CLOCK_MONOTONIC). */
  seconds: number;
}

interface ConnectorHandle {
  connect(family: 4 | 6, addr: string, port: number): number;
  cancel(id: number): void;
  inFlight(): number;
}

interface Addon {
  Connector: new (onResults: (triples: Float64Array) => void) => ConnectorHandle;
  openSockets(): number;
}

const addon = lazyAddon<Addon>('netprobe_tcp.node', 'the TCP connector addon');

/** Why the addon cannot be used, or undefined when it can. */
export function nativeTcpUnavailable(): string | undefined {
  return addon.unavailable();
}

/** Connector sockets still open (0 without the addon): for leak checks. */
export function openNativeTcpSockets(): number {
  return addon.get()?.openSockets() ?? 0;
}

const ERRNO_NAMES = new Map<number, string>(Object.entries(os.constants.errno).map(([name, value]) => [value, name]));
const errnoName = (errno: number): string => ERRNO_NAMES.get(errno) ?? `E${errno}`;

type Pending = (result: NativeConnectResult) => void;

/** Many connect checks in flight on one addon connector; results resolve the promises of `connect`. */
export class NativeConnector {
  readonly #handle: ConnectorHandle;
  readonly #pending = new Map<number, Pending>();

  /** Throws when the addon is absent (check nativeTcpUnavailable first). */
  constructor() {
    const a = addon.get();
    if (!a) throw new Error(addon.unavailable());
    this.#handle = new a.Connector((triples) => this.#deliver(triples));
  }

  /**
   * Starts one check of an IP literal. `done` gets its result once, unless the
   * returned cancel function runs first (timeout, abort): it closes the socket.
   * A check that fails at once (no socket, no route) calls `done` synchronously.
   */
  connect(family: 4 | 6, addr: string, port: number, done: Pending): () => void {
    const id = this.#handle.connect(family, addr, port);
    if (id < 0) {
      done({ code: errnoName(-id), seconds: 0 });
      return noop;
    }
    this.#pending.set(id, done);
    return () => {
      if (this.#pending.delete(id)) this.#handle.cancel(id);
    };
  }

  /** Checks in flight (for leak checks). */
  get inFlight(): number {
    return this.#handle.inFlight();
  }

  #deliver(triples: Float64Array): void {
    for (let i = 0; i < triples.length; i += 3) {
      const id = triples[i]!;
      const done = this.#pending.get(id);
      if (!done) continue;
      this.#pending.delete(id);
      const errno = triples[i + 1]!;
      done({ code: errno === 0 ? undefined : errnoName(errno), seconds: triples[i + 2]! });
    }
  }
}

function noop(): void {}

let shared: NativeConnector | undefined;

/** The process's connector (one epoll set serves every check), or undefined without the addon. */
export function sharedConnector(): NativeConnector | undefined {
  if (!shared && nativeTcpUnavailable() === undefined) shared = new NativeConnector();
  return shared;
}
