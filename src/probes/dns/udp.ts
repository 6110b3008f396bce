// One UDP socket of a lookup and the queries outstanding on it, with the
// resolver's per-attempt timer and resend.
//
// The socket is deliberately NOT connected: a connected socket makes the
// kernel drop datagrams from other sources silently, and we want to count
// them (wrong_source). The price: Linux reports ICMP port-unreachable only on
// connected sockets, so a closed UDP port shows up as `timeout`, never as
// network_error. Send errors (EPERM from a local firewall drop, ENETUNREACH,
// EHOSTUNREACH) do surface, as network_error.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import type { ExchangeHost } from './exchange.ts';
import { canonicalAddress, freshId, isTruncated, matchResponse, withId, type WireQuery } from './wire.ts';

export class UdpSession {
  readonly #host: ExchangeHost;
  /** Reopen mode: every retry goes out from a new socket (new source port, new id). */
  readonly #reopenOnRetry: boolean;
  readonly #sourceAddress: string;
  #socket: Socket | undefined;
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

  /** Sends the first attempt of slot `index` (the lookup gave concurrent slots distinct ids). */
  start(index: number): void {
    this.#send(index, this.#host.slots[index]!.query);
  }

  #open(): Socket {
    const socket = createSocket(isIP(this.#host.server.host) === 6 ? 'udp6' : 'udp4');
    socket.on('message', (msg, rinfo) => this.#onMessage(msg, rinfo));
    socket.on('error', (err) => this.#onSocketError(socket, err));
    return socket;
  }

  #send(index: number, query: WireQuery): void {
    const socket = (this.#socket ??= this.#open());
    const slot = this.#host.slots[index]!;
    slot.attempts++;
    this.#pending[index] = query;
    this.#timers[index] = setTimeout(this.#onTimeout, this.#host.options.timeoutMs, this, index);
    const { host, port } = this.#host.server;
    try {
      socket.send(query.message, port, host, (err) => {
        if (err && this.#pending[index] === query) this.#fail(index, 'network_error', err.message);
      });
    } catch (err) {
      this.#fail(index, 'network_error', (err as Error).message);
    }
  }

  #onMessage(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.#closed) return;
    if (rinfo.port !== this.#host.server.port || rinfo.address !== this.#sourceAddress) {
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
    this.#host.answered(match.index, match.packet, isTruncated(msg));
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
      self.#send(index, slot.query);
    } else {
      self.#send(index, query);
    }
  }

  #onSocketError(socket: Socket, err: Error): void {
    if (socket !== this.#socket) return;
    for (let i = 0; i < this.#pending.length; i++) {
      if (this.#pending[i]) this.#fail(i, 'network_error', `socket: ${err.message}`);
    }
  }

  #fail(index: number, outcome: 'timeout' | 'malformed' | 'network_error', error?: string): void {
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
