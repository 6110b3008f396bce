// TypeScript face of the ICMP addon (native/icmp.c), and the only module that
// loads the .node file. One engine = one ICMP socket; many echo requests are
// in flight on it at once, matched by sequence number, destination and a
// per-request token echoed back in the payload.
//
// Needs Linux and either net.ipv4.ping_group_range covering the process's gid
// (datagram ICMP sockets, unprivileged) or CAP_NET_RAW (raw sockets); see the
// header of native/icmp.c for why each socket option is there.
import { createRequire } from 'node:module';

export type IcmpSocketMode = 'raw' | 'dgram';

export interface IcmpEngineOptions {
  /** auto: datagram socket when ping_group_range allows, else raw. */
  mode?: 'auto' | IcmpSocketMode;
  /** Create the socket inside this network namespace (e.g. /run/netns/NAME); needs CAP_SYS_ADMIN. */
  netns?: string;
  /** IPv4 (ICMP) or IPv6 (ICMPv6); one engine serves one family. Default 4. */
  family?: 4 | 6;
  /**
   * icmp: echo requests. udp: UDP datagrams to port 33434 + seq, as traceroute
   * sends them for paths that filter echo (no privilege needed); the
   * destination answers "port unreachable".
   */
  protocol?: 'icmp' | 'udp';
}

/** Per-request options. */
export interface EchoSendOptions {
  /** IP TTL / IPv6 hop limit of this request (1-255); default: the system's. */
  ttl?: number;
}

/** What became of one echo request. Sizes are IP packet sizes (headers included). */
export type EchoOutcome =
  | { kind: 'reply'; rttMs: number; bytes: number }
  /** A hop could not forward it with DF set; `mtu` is the next-hop MTU it reported (IPv6: Packet Too Big). */
  | { kind: 'frag_needed'; hop: string; mtu: number; rttMs?: number }
  /** Another ICMP error (unreachable, time exceeded...) from `hop`; types are ICMPv6 ones on an IPv6 engine. */
  | { kind: 'unreachable'; hop: string; icmpType: number; icmpCode: number; rttMs?: number }
  /** The local kernel refused: larger than the outgoing interface MTU (`localMtu`, when known). */
  | { kind: 'local_too_big'; localMtu: number | null }
  | { kind: 'send_error'; code: string }
  | { kind: 'timeout' }
  | { kind: 'aborted' };

/** The seam the prober talks to; tests hand in fakes. */
export interface IcmpPinger {
  readonly mode: IcmpSocketMode;
  echo(addr: string, sizeBytes: number, timeoutMs: number, signal?: AbortSignal, options?: EchoSendOptions): Promise<EchoOutcome>;
}

export const MIN_PACKET = 28;
/** Smallest IPv6 packet the engine sends: 40-byte IPv6 header + 8-byte ICMPv6/UDP header. */
export const MIN_PACKET6 = 48;
/** UDP probes go to port UDP_BASE_PORT + seq, seq below UDP_SEQS (native/packet.h). */
export const UDP_BASE_PORT = 33434;
const UDP_SEQS = 1024;
export const MAX_PACKET = 65535;

interface NativeEvent {
  type: 'reply' | 'error';
  addr: string;
  seq: number;
  token: number;
  time: number;
  bytes?: number;
  icmpType?: number;
  icmpCode?: number;
  mtu?: number;
  hop?: string;
}

type SendResult = { time: number; events?: NativeEvent[] } | { errno: number; code: string; mtu: number; events: NativeEvent[] };

interface NativeEngine {
  readonly mode: IcmpSocketMode;
  readonly ident: number;
  send(addr: string, seq: number, size: number, token: number, ttl?: number): SendResult;
  now(): number;
  close(): void;
}

type NativeEngineCtor = new (
  options: { mode: string; ident: number; netns?: string; family?: number; protocol?: string },
  onEvents: (events: NativeEvent[]) => void,
) => NativeEngine;

interface Addon {
  Engine: NativeEngineCtor;
  buildEchoRequest(ident: number, seq: number, size: number, token: number, checksum: boolean): Buffer;
  parseEchoReply(datagram: Buffer, raw: boolean, ident: number): { seq: number; token: number; bytes: number } | null;
}

let addon: Addon | undefined;

function loadAddon(): Addon {
  if (addon) return addon;
  if (process.platform !== 'linux') throw new Error(`the ICMP engine is Linux-only (this is ${process.platform})`);
  const require = createRequire(import.meta.url);
  try {
    addon = require('../../build/Release/netprobe_icmp.node') as Addon;
  } catch (err) {
    throw new Error(
      `netprobe's ICMP addon is not built (build/Release/netprobe_icmp.node): run "npm rebuild" in the project ` +
        `(needs python3, make and a C compiler): ${(err as Error).message}`,
    );
  }
  return addon;
}

interface Pending {
  addr: string;
  size: number;
  token: number;
  sentAt: number;
  timer: ReturnType<typeof setTimeout>;
  settle(outcome: EchoOutcome): void;
}

/** Identifiers of raw engines in this process, so two never share one. */
const identsInUse = new Set<number>();

export class IcmpEngine implements IcmpPinger {
  readonly mode: IcmpSocketMode;
  /** ICMP identifier on the wire (for a datagram socket, chosen by the kernel). */
  readonly ident: number;
  readonly family: 4 | 6;
  readonly protocol: 'icmp' | 'udp';
  readonly #native: NativeEngine;
  readonly #seqSpace: number;
  readonly #pending = new Map<number, Pending>();
  #nextSeq = Math.floor(Math.random() * 65536);
  #closed = false;
  /** Replies and errors that matched no outstanding request (late, foreign, duplicated). */
  strays = 0;

  constructor(options: IcmpEngineOptions = {}) {
    const { Engine } = loadAddon();
    let ident = 0;
    for (let i = 0; i < 64; i++) {
      ident = 1 + Math.floor(Math.random() * 65535);
      if (!identsInUse.has(ident)) break;
    }
    this.family = options.family ?? 4;
    this.protocol = options.protocol ?? 'icmp';
    this.#seqSpace = this.protocol === 'udp' ? UDP_SEQS : 65536;
    this.#nextSeq %= this.#seqSpace;
    const native: { mode: string; ident: number; netns?: string; family: number; protocol: string } = {
      mode: options.mode ?? 'auto',
      ident,
      family: this.family,
      protocol: this.protocol,
    };
    if (options.netns !== undefined) native.netns = options.netns;
    this.#native = new Engine(native, (events) => this.#onEvents(events));
    this.mode = this.#native.mode;
    this.ident = this.#native.ident;
    identsInUse.add(this.ident);
  }

  /** Requests in flight. */
  get inFlight(): number {
    return this.#pending.size;
  }

  echo(addr: string, sizeBytes: number, timeoutMs: number, signal?: AbortSignal, options?: EchoSendOptions): Promise<EchoOutcome> {
    if (this.#closed) return Promise.resolve({ kind: 'send_error', code: 'ECLOSED' });
    const min = this.family === 6 ? MIN_PACKET6 : MIN_PACKET;
    if (!Number.isInteger(sizeBytes) || sizeBytes < min || sizeBytes > MAX_PACKET) {
      throw new RangeError(`ICMP size must be an integer IP packet size from ${min} to ${MAX_PACKET}, got ${sizeBytes}`);
    }
    const ttl = options?.ttl ?? 0;
    if (!Number.isInteger(ttl) || ttl < 0 || ttl > 255) throw new RangeError(`ttl must be an integer from 1 to 255, got ${ttl}`);
    if (signal?.aborted) return Promise.resolve({ kind: 'aborted' });
    const seq = this.#allocSeq();
    if (seq === undefined) return Promise.resolve({ kind: 'send_error', code: 'EBUSY' });
    const token = Math.floor(Math.random() * 0x1_0000_0000);
    const sent = this.#native.send(addr, seq, sizeBytes, token, ttl);
    if (!('time' in sent)) {
      if (sent.events.length > 0) queueMicrotask(() => this.#onEvents(sent.events));
      if (sent.code === 'EMSGSIZE') return Promise.resolve({ kind: 'local_too_big', localMtu: sent.mtu > 0 ? sent.mtu : null });
      return Promise.resolve({ kind: 'send_error', code: sent.code });
    }
    // Errors of earlier requests drained so this one could go out (see engine_send).
    if (sent.events !== undefined) {
      const early = sent.events;
      queueMicrotask(() => this.#onEvents(early));
    }
    return new Promise<EchoOutcome>((resolve) => {
      const onAbort = () => entry.settle({ kind: 'aborted' });
      const entry: Pending = {
        addr,
        size: sizeBytes,
        token,
        sentAt: sent.time,
        timer: setTimeout(() => entry.settle({ kind: 'timeout' }), timeoutMs),
        settle: (outcome) => {
          if (this.#pending.get(seq) !== entry) return;
          this.#pending.delete(seq);
          clearTimeout(entry.timer);
          signal?.removeEventListener('abort', onAbort);
          resolve(outcome);
        },
      };
      this.#pending.set(seq, entry);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Settles everything in flight as aborted and closes the socket. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const entry of [...this.#pending.values()]) entry.settle({ kind: 'aborted' });
    this.#native.close();
    identsInUse.delete(this.ident);
  }

  #allocSeq(): number | undefined {
    for (let i = 0; i < this.#seqSpace; i++) {
      const seq = this.#nextSeq;
      this.#nextSeq = (this.#nextSeq + 1) % this.#seqSpace;
      if (!this.#pending.has(seq)) return seq;
    }
    return undefined;
  }

  #onEvents(events: NativeEvent[]): void {
    for (const ev of events) {
      const entry = this.#pending.get(ev.seq);
      // The token is only on the wire when the payload has room for it (size >= 32;
      // a UDP probe's payload starts with it).
      const tokenOk = ev.token < 0 || entry === undefined || (this.protocol === 'icmp' && entry.size < 32) || ev.token === entry.token;
      if (!entry || entry.addr !== ev.addr || !tokenOk) {
        this.strays++;
        continue;
      }
      if (ev.type === 'reply') {
        entry.settle({ kind: 'reply', rttMs: Math.max(0, ev.time - entry.sentAt), bytes: ev.bytes ?? entry.size });
      } else if (this.family === 6 ? ev.icmpType === 2 : ev.icmpType === 3 && ev.icmpCode === 4) {
        // mtu 0: a pre-RFC 1191 router that does not say which size would pass.
        entry.settle({ kind: 'frag_needed', hop: ev.hop ?? '', mtu: ev.mtu!, rttMs: Math.max(0, ev.time - entry.sentAt) });
      } else {
        const rttMs = Math.max(0, ev.time - entry.sentAt);
        entry.settle({ kind: 'unreachable', hop: ev.hop ?? '', icmpType: ev.icmpType ?? -1, icmpCode: ev.icmpCode ?? -1, rttMs });
      }
    }
  }
}

/** Opens an ICMP engine; throws a setup error naming the missing privilege when it cannot. */
export function openIcmpEngine(options: IcmpEngineOptions = {}): IcmpEngine {
  return new IcmpEngine(options);
}

/**
 * The exact ICMP bytes the engine writes for one request (the kernel adds the
 * IP header); `checksum` false leaves it 0 as for a datagram socket. For tests.
 */
export function buildEchoRequest(ident: number, seq: number, sizeBytes: number, token: number, checksum = true): Buffer {
  return loadAddon().buildEchoRequest(ident, seq, sizeBytes, token, checksum);
}

/** How the engine reads one received datagram (IPv4 header first when `raw`); null = not an echo reply for `ident`. For tests. */
export function parseEchoReply(datagram: Buffer, raw: boolean, ident: number): { seq: number; token: number; bytes: number } | null {
  return loadAddon().parseEchoReply(datagram, raw, ident);
}
