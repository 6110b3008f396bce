// A fake network at the DNS probe's socket seam (DnsOptions.sockets): queries
// sent on fake UDP sockets or fake TCP connections reach a scripted server
// whose answers arrive after a set delay on the test's (fake) timers. Same
// handler shape as TestServer (test-server.ts), whose real sockets stay for
// what only the kernel shows (source ports, ICMP, IPv6, wire framing).
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import { decode, type DecodedPacket } from 'dns-packet';
import type { DnsSocket, DnsSocketFactory, DnsSocketHandlers } from '../../src/probes/dns/socket.ts';
import type { SeenQuery } from './test-server.ts';
import { answerTo } from './test-server.ts';

export const FAKE_SERVER = { host: '127.0.0.1', port: 53 };

/** Who sent a query: the fake socket's source port, and how to answer it. */
export interface FakeFrom {
  port: number;
  socket: FakeUdpSocket;
}

export type FakeUdpHandler = (query: DecodedPacket, raw: Buffer, from: FakeFrom, net: FakeDnsNetwork) => void;

export class FakeUdpSocket implements DnsSocket {
  closed = false;
  readonly port: number;
  readonly #net: FakeDnsNetwork;
  readonly handlers: DnsSocketHandlers;

  constructor(net: FakeDnsNetwork, port: number, handlers: DnsSocketHandlers) {
    this.#net = net;
    this.port = port;
    this.handlers = handlers;
  }

  send(datagrams: readonly Buffer[], _host: string, _port: number, _failed: (index: number, message: string) => void): void {
    for (const raw of datagrams) this.#net.receive(raw, this);
  }

  close(): void {
    this.closed = true;
  }
}

/** A TCP connection to the fake server: one framed query in, `frames` back (none: silent). */
class FakeTcpSocket extends EventEmitter {
  destroyed = false;
  readonly #net: FakeDnsNetwork;
  #timer: NodeJS.Timeout | undefined;

  constructor(net: FakeDnsNetwork) {
    super();
    this.#net = net;
  }

  write(frame: Buffer): boolean {
    const query = decode(frame.subarray(2));
    this.#net.see(query, this.#net.tcpConnects);
    const frames = this.#net.tcpFrames(query);
    if (frames.length > 0) {
      this.#timer = setTimeout(() => {
        for (const f of frames) {
          const framed = Buffer.alloc(2 + f.length);
          framed.writeUInt16BE(f.length, 0);
          f.copy(framed, 2);
          this.emit('data', framed);
        }
      }, this.#net.rttMs);
    }
    return true;
  }

  destroy(): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    clearTimeout(this.#timer);
    process.nextTick(() => this.emit('close', false));
    return this;
  }
}

export class FakeDnsNetwork {
  readonly seen: SeenQuery[] = [];
  /** Date.now() (fake time) of every reply sent with `reply()`. */
  readonly replies: number[] = [];
  readonly udpSockets: FakeUdpSocket[] = [];
  readonly tcpSockets: FakeTcpSocket[] = [];
  readonly rttMs: number;
  handler: FakeUdpHandler;
  /** Frames a TCP query gets back (default: none, a silent server). */
  tcpFrames: (query: DecodedPacket) => Buffer[];

  constructor(handler: FakeUdpHandler = (q, _raw, from, n) => n.reply(from, answerTo(q)), opts: { rttMs?: number; tcpFrames?: (query: DecodedPacket) => Buffer[] } = {}) {
    this.handler = handler;
    this.rttMs = opts.rttMs ?? 1;
    this.tcpFrames = opts.tcpFrames ?? (() => []);
  }

  /** The factory to put in DnsOptions.sockets. */
  readonly sockets: DnsSocketFactory = {
    udp: (_host, handlers) => {
      const socket = new FakeUdpSocket(this, 40_000 + this.udpSockets.length, handlers);
      this.udpSockets.push(socket);
      return socket;
    },
    tcp: () => {
      const socket = new FakeTcpSocket(this);
      this.tcpSockets.push(socket);
      return socket as unknown as net.Socket;
    },
  };

  get tcpConnects(): number {
    return this.tcpSockets.length;
  }

  /** Sockets of either kind not yet closed (a leak would leave some). */
  openSockets(): number {
    return this.udpSockets.filter((s) => !s.closed).length + this.tcpSockets.filter((s) => !s.destroyed).length;
  }

  see(query: DecodedPacket, port: number): void {
    const q = query.questions?.[0];
    this.seen.push({ port, id: query.id ?? -1, name: q?.name ?? '', qtype: q?.type ?? '', at: Date.now() });
  }

  receive(raw: Buffer, socket: FakeUdpSocket): void {
    const query = decode(raw);
    this.see(query, socket.port);
    this.handler(query, raw, { port: socket.port, socket }, this);
  }

  /** `msg` reaches `to`'s socket from the server after `afterMs` (default: the round trip). */
  reply(to: FakeFrom, msg: Buffer, afterMs = this.rttMs): void {
    this.replies.push(Date.now() + afterMs);
    this.#deliver(to, msg, FAKE_SERVER.port, afterMs);
  }

  /** A datagram from the server's address but another port (wrong_source). */
  replyFromSpoofer(to: FakeFrom, msg: Buffer, afterMs = this.rttMs): void {
    this.#deliver(to, msg, FAKE_SERVER.port + 1, afterMs);
  }

  #deliver(to: FakeFrom, msg: Buffer, fromPort: number, afterMs: number): void {
    setTimeout(() => {
      if (!to.socket.closed) to.socket.handlers.message(msg, FAKE_SERVER.host, fromPort);
    }, afterMs);
  }
}
