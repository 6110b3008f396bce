// TypeScript face of the DNS UDP addon (native/dns_udp.c), and the only module
// that names netprobe_dns.node. One NativeDnsSocket = one unconnected UDP
// socket whose batch send is a single sendmmsg() call (as glibc sends A and
// AAAA), and whose error queue (IP_RECVERR) reports ICMP port unreachable.
// The DNS probe falls back to node:dgram when the addon is missing.
import { lazyAddon } from './addon.ts';

/** A datagram that reached the socket. */
export interface NativeMessage {
  type: 'message';
  addr: string;
  port: number;
  data: Buffer;
}

/** An ICMP error about a datagram we sent, from the socket's error queue. */
export interface NativeIcmpError {
  type: 'icmp';
  /** Destination of the datagram that caused the error. */
  addr: string;
  port: number;
  /** Who sent the ICMP error. */
  hop: string;
  icmpType: number;
  icmpCode: number;
  /** errno the kernel maps it to (ECONNREFUSED for port unreachable). */
  code: string;
  /** The UDP payload of the datagram that caused the error (our query, id first). */
  data: Buffer;
}

export type NativeEvent = NativeMessage | NativeIcmpError;

interface NativeSocketHandle {
  send(addr: string, port: number, datagrams: readonly Buffer[]): { sent: number; code?: string };
  readonly port: number;
  close(): void;
}

interface Addon {
  Socket: new (family: 4 | 6, onEvents: (events: NativeEvent[]) => void) => NativeSocketHandle;
  openSockets(): number;
}

const addon = lazyAddon<Addon>('netprobe_dns.node', 'the DNS UDP addon');

/** Why the addon cannot be used, or undefined when it can. */
export function nativeDnsUnavailable(): string | undefined {
  return addon.unavailable();
}

/** Addon sockets whose fd is still open (0 without the addon): for leak checks. */
export function openNativeDnsSockets(): number {
  return addon.get()?.openSockets() ?? 0;
}

export class NativeDnsSocket {
  readonly #handle: NativeSocketHandle;

  /** Throws when the addon is absent (check nativeDnsUnavailable first) or the socket cannot be made. */
  constructor(family: 4 | 6, onEvents: (events: NativeEvent[]) => void) {
    const a = addon.get();
    if (!a) throw new Error(addon.unavailable());
    this.#handle = new a.Socket(family, onEvents);
  }

  /** All datagrams in one sendmmsg(); `sent` < length means the rest failed with `code`. */
  send(addr: string, port: number, datagrams: readonly Buffer[]): { sent: number; code?: string } {
    return this.#handle.send(addr, port, datagrams);
  }

  /** Local (source) port. */
  get port(): number {
    return this.#handle.port;
  }

  close(): void {
    this.#handle.close();
  }
}
