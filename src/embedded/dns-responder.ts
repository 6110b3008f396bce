// netprobe's own DNS responder for the embedded default: real DNS messages
// over UDP and TCP on loopback, so `netprobe run` outside a cluster probes only
// what it started itself. Optionally reproduces the F1 conntrack race.
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket, { type Answer, type Packet } from 'dns-packet';

export type ResponderFault = 'none' | 'conntrack-race';

export interface ResponderOptions {
  port: number;
  fault: ResponderFault;
  /** Delay before each answer: the window in which a second query on a flow is "racing". */
  answerDelayMs: number;
}

/** Names the responder knows; everything else under its zones is NXDOMAIN. */
const RECORDS: Record<string, { A: string; AAAA: string }> = {
  'kubernetes.default.svc.cluster.local': { A: '127.0.0.1', AAAA: '::1' },
  'kube-dns.kube-system.svc.cluster.local': { A: '127.0.0.1', AAAA: '::1' },
  'netprobe.netprobe.test': { A: '127.0.0.1', AAAA: '::1' },
  // An "external" name: documentation addresses, never contacted.
  'example.com': { A: '192.0.2.1', AAAA: '2001:db8::1' },
};
const ZONES = ['cluster.local', 'netprobe.test', 'example.com'];
const RCODES = { NOERROR: 0, NXDOMAIN: 3, REFUSED: 5 } as const;
const FLOW_IDLE_MS = 30_000;
const MAX_FLOWS = 10_000;

interface Flow {
  packets: number;
  replied: boolean;
  lastSeen: number;
}

export class DnsResponder {
  #udp: dgram.Socket;
  readonly #tcp = net.createServer((socket) => this.#serveTcp(socket));
  readonly #flows = new Map<string, Flow>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #options: ResponderOptions;
  /** Queries dropped by the conntrack-race fault. */
  dropped = 0;
  answered = 0;

  constructor(options: ResponderOptions) {
    this.#options = options;
    this.#udp = this.#newUdpSocket();
  }

  /** Binds UDP and TCP on the same 127.0.0.1 port; resolves to that port. */
  async start(): Promise<{ host: string; port: number }> {
    for (let tries = 0; tries < 20; tries++) {
      const port = await listen((done) => this.#udp.bind(this.#options.port, '127.0.0.1', done), this.#udp).then(
        () => this.#udp.address().port,
      );
      try {
        await listen((done) => this.#tcp.listen(port, '127.0.0.1', done), this.#tcp);
        return { host: '127.0.0.1', port };
      } catch (error) {
        // A random UDP port whose TCP twin is taken: close and draw again.
        await new Promise<void>((r) => this.#udp.close(() => r()));
        if (this.#options.port !== 0) throw error;
        this.#udp = this.#newUdpSocket();
      }
    }
    throw new Error('embedded DNS responder: no free UDP+TCP port pair on 127.0.0.1');
  }

  #newUdpSocket(): dgram.Socket {
    const socket = dgram.createSocket('udp4');
    socket.on('message', (msg, rinfo) => this.#onUdp(msg, rinfo));
    socket.on('error', () => {}); // a bad datagram must not take the daemon down
    return socket;
  }

  setFault(fault: ResponderFault): void {
    this.#options = { ...this.#options, fault };
    this.#flows.clear();
  }

  get fault(): ResponderFault {
    return this.#options.fault;
  }

  async stop(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    await Promise.all([
      new Promise<void>((r) => this.#udp.close(() => r())),
      new Promise<void>((r) => this.#tcp.close(() => r())),
    ]);
  }

  #onUdp(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const now = Date.now();
    const key = `${rinfo.address}:${rinfo.port}`;
    let flow = this.#flows.get(key);
    if (!flow || now - flow.lastSeen > FLOW_IDLE_MS) {
      if (this.#flows.size >= MAX_FLOWS) this.#flows.clear();
      flow = { packets: 0, replied: false, lastSeen: now };
      this.#flows.set(key, flow);
    }
    flow.packets += 1;
    flow.lastSeen = now;
    // conntrack's insert race: the second packet of a flow that has not seen a
    // reply yet loses (same rule as the lab: ct original packets 2, reply 0).
    if (this.#options.fault === 'conntrack-race' && flow.packets === 2 && !flow.replied) {
      this.dropped += 1;
      return;
    }
    const reply = answer(msg);
    if (!reply) return;
    const current = flow;
    this.#later(() => {
      current.replied = true;
      this.answered += 1;
      this.#udp.send(reply, rinfo.port, rinfo.address);
    });
  }

  #serveTcp(socket: net.Socket): void {
    let buffered = Buffer.alloc(0);
    socket.on('error', () => socket.destroy());
    socket.setTimeout(10_000, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const length = buffered.readUInt16BE(0);
        const reply = answer(buffered.subarray(2, 2 + length));
        buffered = buffered.subarray(2 + length);
        if (!reply) {
          socket.destroy();
          return;
        }
        const framed = Buffer.alloc(2 + reply.length);
        framed.writeUInt16BE(reply.length, 0);
        reply.copy(framed, 2);
        this.#later(() => {
          this.answered += 1;
          if (!socket.destroyed) socket.write(framed);
        });
      }
    });
  }

  #later(fn: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, this.#options.answerDelayMs);
    this.#timers.add(timer);
  }
}

/** Builds the answer to one query message, or undefined if it is not a query. */
export function answer(message: Buffer): Buffer | undefined {
  let query: Packet;
  try {
    query = dnsPacket.decode(message);
  } catch {
    return undefined;
  }
  const question = query.questions?.[0];
  if (query.type !== 'query' || !question) return undefined;
  const name = question.name.toLowerCase().replace(/\.$/, '');
  const known = RECORDS[name];
  const inZone = ZONES.some((zone) => name === zone || name.endsWith(`.${zone}`));
  const answers: Answer[] = [];
  let rcode: keyof typeof RCODES = 'NOERROR';
  if (known && (question.type === 'A' || question.type === 'AAAA')) {
    answers.push({ type: question.type, name: question.name, ttl: 5, class: 'IN', data: known[question.type] } as Answer);
  } else if (!known) {
    rcode = inZone ? 'NXDOMAIN' : 'REFUSED';
  }
  return dnsPacket.encode({
    type: 'response',
    id: query.id,
    flags:
      dnsPacket.AUTHORITATIVE_ANSWER |
      ((query.flags ?? 0) & dnsPacket.RECURSION_DESIRED) |
      dnsPacket.RECURSION_AVAILABLE |
      RCODES[rcode],
    questions: [question],
    answers,
  } as Packet);
}

function listen(start: (done: () => void) => void, emitter: NodeJS.EventEmitter): Promise<void> {
  return new Promise((resolve, reject) => {
    emitter.once('error', reject);
    start(() => {
      emitter.off('error', reject);
      resolve();
    });
  });
}
