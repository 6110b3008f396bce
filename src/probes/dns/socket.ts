// The UDP socket under a lookup, behind one small interface with two
// implementations:
// - `sendmmsg` (the addon, src/native/dns-udp.ts): a batch of queries leaves
//   in ONE sendmmsg() call, as glibc sends A and AAAA; ICMP port unreachable
//   arrives through the error queue;
// - `dgram` (node:dgram, the fallback where the addon is absent): one send()
//   per query, and a closed port is only ever a timeout.
// The sender is chosen once per process; NETPROBE_DNS_SENDER=dgram forces the
// fallback (tests, and the fidelity bench's comparison).
import { createSocket, type Socket } from 'node:dgram';
import { connect, isIP, type Socket as TcpSocket } from 'node:net';
import { NativeDnsSocket, nativeDnsUnavailable, type NativeEvent } from '../../native/dns-udp.ts';

export const DNS_SENDERS = ['sendmmsg', 'dgram'] as const;
export type DnsSender = (typeof DNS_SENDERS)[number];

export interface IcmpUnreachable {
  /** Destination of the datagram the error is about. */
  address: string;
  port: number;
  /** The quoted UDP payload: the query that caused it. */
  payload: Buffer;
  /** ICMP port unreachable (v4 type 3 code 3, v6 type 1 code 4). */
  portUnreachable: boolean;
  /** "ICMP 3/1 from 198.18.0.2" style detail for `error`. */
  detail: string;
}

export interface DnsSocketHandlers {
  message(msg: Buffer, address: string, port: number): void;
  unreachable(error: IcmpUnreachable): void;
  /** The socket itself failed (not one datagram). */
  error(err: Error): void;
}

export interface DnsSocket {
  /** Sends every datagram to host:port; calls failed(i, message) for each one the kernel refused. */
  send(datagrams: readonly Buffer[], host: string, port: number, failed: (index: number, message: string) => void): void;
  close(): void;
}

/**
 * Where a lookup gets its sockets (DnsOptions.sockets): the seam tests hand
 * fakes through, as cloudprober hands its DNS probe a client. A fake UDP
 * socket stands in for either sender; a fake TCP socket must emit what
 * tcp.ts listens to ('data', 'error', 'close') and take write()/destroy().
 */
export interface DnsSocketFactory {
  /** One UDP socket for `host`'s family (default openDnsSocket: the sendmmsg addon, or node:dgram). */
  udp(host: string, handlers: DnsSocketHandlers): DnsSocket;
  /** One TCP connection (default net.connect). */
  tcp(options: { host: string; port: number; noDelay: boolean }): TcpSocket;
}

let chosen: { sender: DnsSender; reason?: string } | undefined;

/** Which sender this process uses, and why the addon is not used when it is not. */
export function dnsSender(): { sender: DnsSender; reason?: string } {
  if (chosen) return chosen;
  const forced = process.env.NETPROBE_DNS_SENDER;
  if (forced === 'dgram') chosen = { sender: 'dgram', reason: 'NETPROBE_DNS_SENDER=dgram' };
  else {
    const unavailable = nativeDnsUnavailable();
    chosen = unavailable === undefined ? { sender: 'sendmmsg' } : { sender: 'dgram', reason: unavailable };
  }
  return chosen;
}

export function openDnsSocket(host: string, handlers: DnsSocketHandlers): DnsSocket {
  const family = isIP(host) === 6 ? 6 : 4;
  return dnsSender().sender === 'sendmmsg' ? new MmsgSocket(family, handlers) : new DgramSocket(family, handlers);
}

/** The real sockets, used when DnsOptions.sockets is absent. */
export const realDnsSockets: DnsSocketFactory = {
  udp: openDnsSocket,
  tcp: (options) => connect(options),
};

class MmsgSocket implements DnsSocket {
  readonly #native: NativeDnsSocket;

  constructor(family: 4 | 6, handlers: DnsSocketHandlers) {
    this.#native = new NativeDnsSocket(family, (events: NativeEvent[]) => {
      for (const ev of events) {
        if (ev.type === 'message') handlers.message(ev.data, ev.addr, ev.port);
        else {
          const portUnreachable = family === 4 ? ev.icmpType === 3 && ev.icmpCode === 3 : ev.icmpType === 1 && ev.icmpCode === 4;
          handlers.unreachable({
            address: ev.addr,
            port: ev.port,
            payload: ev.data,
            portUnreachable,
            detail: `ICMP${family === 6 ? 'v6' : ''} ${ev.icmpType}/${ev.icmpCode} (${ev.code}) from ${ev.hop}`,
          });
        }
      }
    });
  }

  send(datagrams: readonly Buffer[], host: string, port: number, failed: (index: number, message: string) => void): void {
    const { sent, code } = this.#native.send(host, port, datagrams);
    for (let i = sent; i < datagrams.length; i++) failed(i, `send ${code ?? 'failed'}`);
  }

  close(): void {
    this.#native.close();
  }
}

class DgramSocket implements DnsSocket {
  readonly #socket: Socket;

  constructor(family: 4 | 6, handlers: DnsSocketHandlers) {
    this.#socket = createSocket(family === 6 ? 'udp6' : 'udp4');
    this.#socket.on('message', (msg, rinfo) => handlers.message(msg, rinfo.address, rinfo.port));
    this.#socket.on('error', (err) => handlers.error(err));
  }

  send(datagrams: readonly Buffer[], host: string, port: number, failed: (index: number, message: string) => void): void {
    for (let i = 0; i < datagrams.length; i++) {
      try {
        this.#socket.send(datagrams[i]!, port, host, (err) => {
          if (err) failed(i, err.message);
        });
      } catch (err) {
        failed(i, (err as Error).message);
      }
    }
  }

  close(): void {
    this.#socket.close();
  }
}
