// One UDP socket of a lookup and the queries outstanding on it, with the
// resolver's per-attempt timer and resend.
//
// The socket is deliberately NOT connected: a connected socket makes the
// kernel drop datagrams from other sources silently, and we want to count
// them (wrong_source). With the addon (socket.ts, sender `sendmmsg`) ICMP port
// unreachable still arrives, through the error queue, and ends the query at
// once as `port_unreachable`; with the dgram fallback a closed port is a
// `timeout`. Send errors (EPERM from a local firewall drop, ENETUNREACH,
// EHOSTUNREACH) surface as network_error either way.
import type { ExchangeHost } from './exchange.ts';
import { realDnsSockets, type DnsSocket, type IcmpUnreachable } from './socket.ts';
import { canonicalAddress, freshId, isTruncated, matchResponse, withId, type WireQuery } from './wire.ts';

export class UdpSession {
  readonly #host: ExchangeHost;
  /** Reopen mode: every retry goes out from a new socket (new source port, new id). */
  readonly #reopenOnRetry: boolean;
  readonly #sourceAddress: string;
  #socket: DnsSocket | undefined;
  /** Aligned with host.slots: the query awaiting an answer on this socket, if any. */
  readonly #pending: (WireQuery | undefined)[];
  readonly #timers: (NodeJS.Timeout | undefined)[];
  #sawUndecodable = false;
  #closed = false;

  constructor(host: ExchangeHost, reopenOnRetry: boolean) {
    this.#host = host;
    this.#reopenOnRetry = reopenOnRetry;
    this.#sourceAddress = canonicalAddress(host.server.host);
    const n = host.slots.length;
    this.#pending = new Array<WireQuery | undefined>(n).fill(undefined);
    this.#timers = new Array<NodeJS.Timeout | undefined>(n).fill(undefined);
  }

  /**
   * Sends the first attempt of every slot in `indexes` in one batch: with the
   * addon, one sendmmsg() (same source port, microseconds apart, as glibc).
   * The lookup gave concurrent slots distinct ids.
   */
  start(indexes: readonly number[]): void {
    this.#send(indexes, indexes.map((i) => this.#host.slots[i]!.query));
  }

  #open(): DnsSocket {
    return (this.#host.options.sockets ?? realDnsSockets).udp(this.#host.server.host, {
      message: (msg, address, port) => this.#onMessage(msg, address, port),
      unreachable: (error) => this.#onUnreachable(error),
      error: (err) => this.#onSocketError(err),
    });
  }

  #send(indexes: readonly number[], queries: readonly WireQuery[]): void {
    let socket: DnsSocket;
    try {
      socket = this.#socket ??= this.#open();
    } catch (err) {
      // No socket (EMFILE, ENOBUFS...): a result for these queries, never a throw out of the probe.
      for (const index of indexes) {
        this.#host.slots[index]!.attempts++;
        this.#fail(index, 'network_error', `socket: ${errorText(err as Error)}`);
      }
      return;
    }
    // Timers and pending entries first: a synchronous send failure ends the slot at once.
    for (let k = 0; k < indexes.length; k++) {
      const index = indexes[k]!;
      this.#host.slots[index]!.attempts++;
      this.#pending[index] = queries[k];
      this.#timers[index] = setTimeout(this.#onTimeout, this.#host.options.timeoutMs, this, index);
    }
    const { host, port } = this.#host.server;
    socket.send(
      queries.map((q) => q.message),
      host,
      port,
      (k, message) => {
        const index = indexes[k]!;
        if (this.#pending[index] === queries[k]) this.#fail(index, 'network_error', message);
      },
    );
  }

  #onMessage(msg: Buffer, address: string, port: number): void {
    if (this.#closed) return;
    if (port !== this.#host.server.port || address !== this.#sourceAddress) {
      this.#host.countMismatch('wrong_source');
      return;
    }
    const match = matchResponse(msg, this.#pending);
    if (typeof match === 'string') {
      if (match === 'undecodable') this.#sawUndecodable = true;
      this.#host.countMismatch(match);
      return;
    }
    this.#clear(match.index);
    this.#host.answered(match.index, match, isTruncated(msg));
  }

  // An ICMP error about one of our datagrams. It ends a query only when it is
  // about that very query (destination and quoted id and question), so a
  // stray or forged error for another flow changes nothing.
  #onUnreachable(error: IcmpUnreachable): void {
    if (this.#closed) return;
    if (error.port !== this.#host.server.port || error.address !== this.#sourceAddress || error.payload.length < 12) return;
    const id = error.payload.readUInt16BE(0);
    for (let i = 0; i < this.#pending.length; i++) {
      const query = this.#pending[i];
      if (!query || query.id !== id) continue;
      // ICMP quotes at least the start of our datagram; compare what it quotes.
      const n = Math.min(error.payload.length, query.message.length);
      if (!error.payload.subarray(0, n).equals(query.message.subarray(0, n))) return;
      if (error.portUnreachable) this.#fail(i, 'port_unreachable', `port unreachable: ${error.detail}`);
      else this.#fail(i, 'network_error', `unreachable: ${error.detail}`);
      return;
    }
  }

  // Static-style callback (timer args) so no closure is allocated per attempt.
  #onTimeout(self: UdpSession, index: number): void {
    self.#timers[index] = undefined;
    const query = self.#pending[index];
    if (!query || self.#closed) return;
    self.#host.countAttemptTimeout();
    const slot = self.#host.slots[index]!;
    if (slot.attempts >= self.#host.options.attempts) {
      // Only garbage arrived: the server is there but speaks no DNS we can read.
      self.#fail(index, self.#sawUndecodable ? 'malformed' : 'timeout', self.#sawUndecodable ? 'only undecodable responses' : undefined);
      return;
    }
    if (self.#reopenOnRetry) {
      self.#socket?.close();
      self.#socket = undefined;
      self.#pending[index] = undefined;
      slot.query = withId(query, freshId([]));
      self.#send([index], [slot.query]);
    } else {
      self.#send([index], [query]);
    }
  }

  #onSocketError(err: Error): void {
    if (this.#closed) return;
    for (let i = 0; i < this.#pending.length; i++) {
      if (this.#pending[i]) this.#fail(i, 'network_error', `socket: ${errorText(err)}`);
    }
  }

  #fail(index: number, outcome: 'timeout' | 'malformed' | 'network_error' | 'port_unreachable', error?: string): void {
    this.#clear(index);
    this.#host.failed(index, outcome, error);
  }

  #clear(index: number): void {
    this.#pending[index] = undefined;
    const timer = this.#timers[index];
    if (timer) {
      clearTimeout(timer);
      this.#timers[index] = undefined;
    }
  }

  /** Drops every pending query and closes the socket; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (let i = 0; i < this.#timers.length; i++) this.#clear(i);
    this.#socket?.close();
    this.#socket = undefined;
  }
}

/** "EMFILE: socket: Too many open files": the errno name first, so the daemon can tell its own fd shortage from the network's errors. */
function errorText(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  return typeof code === 'string' && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
}
