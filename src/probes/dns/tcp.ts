// One query over TCP with the 2-byte length framing of RFC 1035 4.2.2, as a
// resolver sends it with `use-vc` or after a truncated UDP answer. Each
// attempt is a new connection; the per-attempt timeout covers connect and
// answer. A refused or reset connection ends the query at once
// (network_error): unlike a lost datagram, retrying it would not help.
import type { Socket } from 'node:net';
import type { ExchangeHost } from './exchange.ts';
import { realDnsSockets } from './socket.ts';
import { matchResponse } from './wire.ts';

export class TcpExchange {
  readonly #host: ExchangeHost;
  readonly #index: number;
  #attemptsLeft: number;
  #socket: Socket | undefined;
  #timer: NodeJS.Timeout | undefined;
  #received: Buffer = Buffer.alloc(0);
  #closed = false;

  constructor(host: ExchangeHost, index: number) {
    this.#host = host;
    this.#index = index;
    this.#attemptsLeft = host.options.attempts;
  }

  start(): void {
    this.#attempt();
  }

  #attempt(): void {
    this.#attemptsLeft--;
    const slot = this.#host.slots[this.#index]!;
    slot.attempts++;
    const frame = Buffer.allocUnsafe(2 + slot.query.message.length);
    frame.writeUInt16BE(slot.query.message.length, 0);
    slot.query.message.copy(frame, 2);
    this.#received = Buffer.alloc(0);

    const socket = (this.#host.options.sockets ?? realDnsSockets).tcp({ host: this.#host.server.host, port: this.#host.server.port, noDelay: true });
    this.#socket = socket;
    // net queues the write until the connection is established.
    socket.write(frame);
    socket.on('data', (chunk: Buffer) => {
      if (socket === this.#socket) this.#onData(chunk);
    });
    socket.on('error', (err) => {
      if (socket === this.#socket) this.#finish('network_error', `tcp: ${err.message}`);
    });
    socket.on('close', () => {
      if (socket === this.#socket) this.#finish('network_error', 'tcp: connection closed before an answer');
    });
    this.#timer = setTimeout(() => this.#onTimeout(socket), this.#host.options.timeoutMs);
  }

  #onData(chunk: Buffer): void {
    this.#received = this.#received.length === 0 ? chunk : Buffer.concat([this.#received, chunk]);
    while (this.#received.length >= 2) {
      const length = this.#received.readUInt16BE(0);
      if (this.#received.length < 2 + length) return;
      const msg = this.#received.subarray(2, 2 + length);
      this.#received = this.#received.subarray(2 + length);
      const match = matchResponse(msg, [this.#host.slots[this.#index]!.query]);
      if (match === 'undecodable') {
        // Our own connection, so no spoofer: a broken server.
        this.#finish('malformed', 'tcp: answer does not decode');
        return;
      }
      if (typeof match === 'string') {
        this.#host.countMismatch(match);
        continue;
      }
      this.#stop();
      this.#host.answered(this.#index, match, false);
      return;
    }
  }

  #onTimeout(socket: Socket): void {
    if (socket !== this.#socket || this.#closed) return;
    this.#timer = undefined;
    this.#host.countAttemptTimeout();
    this.#dropSocket();
    if (this.#attemptsLeft > 0) this.#attempt();
    else this.#finish('timeout');
  }

  #finish(outcome: 'timeout' | 'malformed' | 'network_error', error?: string): void {
    this.#stop();
    this.#host.failed(this.#index, outcome, error);
  }

  #dropSocket(): void {
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.destroy();
  }

  #stop(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#dropSocket();
  }

  /** Abandons the query (abort or end of lookup); idempotent. */
  close(): void {
    this.#stop();
  }
}
