// A scriptable DNS server for tests: real UDP/TCP sockets on 127.0.0.1:0,
// each incoming query recorded (source port, id, type, time) and handed to
// the test's handler, which decides what goes back and from where.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { createServer, type Server, type Socket as TcpSocket } from 'node:net';
import { decode, encode, type Answer, type DecodedPacket, type RecordType } from 'dns-packet';

export interface SeenQuery {
  port: number;
  id: number;
  name: string;
  qtype: string;
  /** performance.now() on arrival. */
  at: number;
}

export type UdpHandler = (query: DecodedPacket, raw: Buffer, from: RemoteInfo, server: TestServer) => void;

export const ANSWERS: Record<string, string> = { A: '192.0.2.7', AAAA: '2001:db8::7' };

/** A NOERROR answer to `query` (A/AAAA from ANSWERS), with optional tweaks. */
export function answerTo(query: DecodedPacket, tweak: { id?: number; name?: string; qr?: boolean; tc?: boolean; rcode?: number } = {}): Buffer {
  const q = query.questions![0]!;
  const name = tweak.name ?? q.name;
  const data = ANSWERS[q.type];
  const answers: Answer[] = data ? [{ name, type: q.type as 'A', class: 'IN', ttl: 30, data }] : [];
  const msg = encode({
    id: tweak.id ?? query.id!,
    type: tweak.qr === false ? 'query' : 'response',
    flags: (tweak.tc ? 0x0200 : 0) | 0x0100 | 0x0080,
    questions: [{ name, type: q.type as RecordType, class: 'IN' }],
    answers,
  });
  if (tweak.qr === false) msg.writeUInt16BE(msg.readUInt16BE(2) & 0x7fff, 2);
  if (tweak.rcode !== undefined) msg.writeUInt16BE((msg.readUInt16BE(2) & 0xfff0) | tweak.rcode, 2);
  return msg;
}

export class TestServer {
  readonly socket: Socket;
  /** A second socket: replies sent from it come from the wrong source port. */
  readonly spoofer: Socket;
  readonly seen: SeenQuery[] = [];
  /** performance.now() of every reply sent with `reply()`. */
  readonly replies: number[] = [];
  handler: UdpHandler;
  tcp: Server | undefined;
  #tcpClients = new Set<TcpSocket>();

  private constructor(socket: Socket, spoofer: Socket, handler: UdpHandler) {
    this.socket = socket;
    this.spoofer = spoofer;
    this.handler = handler;
    socket.on('message', (raw, from) => {
      let query: DecodedPacket;
      try {
        query = decode(raw);
      } catch {
        return;
      }
      const q = query.questions?.[0];
      this.seen.push({ port: from.port, id: query.id ?? -1, name: q?.name ?? '', qtype: q?.type ?? '', at: performance.now() });
      this.handler(query, raw, from, this);
    });
  }

  static async start(handler: UdpHandler = (q, _raw, from, s) => s.reply(from, answerTo(q)), host = '127.0.0.1'): Promise<TestServer> {
    const bind = async (): Promise<Socket> => {
      const s = createSocket(host.includes(':') ? 'udp6' : 'udp4');
      await new Promise<void>((resolve) => s.bind(0, host, resolve));
      return s;
    };
    return new TestServer(await bind(), await bind(), handler);
  }

  get port(): number {
    return this.socket.address().port;
  }

  reply(to: RemoteInfo, msg: Buffer): void {
    this.replies.push(performance.now());
    this.socket.send(msg, to.port, to.address);
  }

  replyFromSpoofer(to: RemoteInfo, msg: Buffer): void {
    this.spoofer.send(msg, to.port, to.address);
  }

  /**
   * A server on UDP and TCP of the same port (a port free for both is found
   * by retrying). Over TCP each query gets `frames(query)` back, each
   * length-prefixed; `silent` accepts connections and never answers.
   */
  static async startTcp(
    frames: (query: DecodedPacket) => Buffer[],
    opts: { silent?: boolean } = {},
    handler: UdpHandler = (q, _raw, from, s) => s.reply(from, answerTo(q)),
  ): Promise<TestServer> {
    const clients = new Set<TcpSocket>();
    for (let tries = 0; tries < 20; tries++) {
      const tcp = createServer((client) => serveTcp(client, clients, frames, opts.silent ?? false));
      await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
      const port = (tcp.address() as { port: number }).port;
      const udp = createSocket('udp4');
      const bound = await new Promise<boolean>((resolve) => {
        udp.once('error', () => resolve(false));
        udp.bind(port, '127.0.0.1', () => resolve(true));
      });
      if (!bound) {
        await new Promise<void>((resolve) => tcp.close(() => resolve()));
        continue;
      }
      const spoofer = createSocket('udp4');
      await new Promise<void>((resolve) => spoofer.bind(0, '127.0.0.1', resolve));
      const server = new TestServer(udp, spoofer, handler);
      server.tcp = tcp;
      server.#tcpClients = clients;
      return server;
    }
    throw new Error('no port free for both UDP and TCP after 20 tries');
  }

  async close(): Promise<void> {
    for (const c of this.#tcpClients) c.destroy();
    await new Promise<void>((resolve) => (this.tcp ? this.tcp.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
    await new Promise<void>((resolve) => this.spoofer.close(() => resolve()));
  }
}

function serveTcp(client: TcpSocket, clients: Set<TcpSocket>, frames: (query: DecodedPacket) => Buffer[], silent: boolean): void {
  clients.add(client);
  client.on('close', () => clients.delete(client));
  client.on('error', () => {});
  let buf = Buffer.alloc(0);
  client.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    if (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0)) return;
    const query = decode(buf.subarray(2, 2 + buf.readUInt16BE(0)));
    buf = Buffer.alloc(0);
    if (silent) return;
    for (const msg of frames(query)) {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(msg.length);
      client.write(Buffer.concat([len, msg]));
    }
  });
}
