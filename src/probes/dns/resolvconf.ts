// resolv.conf as glibc reads it (resolv/res_init.c), reduced to what changes
// what a probe puts on the wire. Pure: the caller reads the file.
import { isIP } from 'node:net';
import type { DnsMode, DnsServer, DnsTransport } from './types.ts';

/** glibc limits: MAXNS, RES_MAXNDOTS, RES_MAXRETRANS (s), RES_MAXRETRY. */
const MAX_SERVERS = 3;
const MAX_NDOTS = 15;
const MAX_TIMEOUT_S = 30;
const MAX_ATTEMPTS = 5;

export interface ResolvConf {
  /** At most three, in file order, port 53 (resolv.conf has no port syntax). */
  servers: DnsServer[];
  search: string[];
  ndots: number;
  timeoutMs: number;
  attempts: number;
  /** single-request -> sequential, single-request-reopen -> reopen; absent = libc default (parallel). */
  mode?: DnsMode;
  /** use-vc -> tcp; absent = udp. */
  transport?: DnsTransport;
}

export function parseResolvConf(text: string): ResolvConf {
  const conf: ResolvConf = { servers: [], search: [], ndots: 1, timeoutMs: 5000, attempts: 2 };
  let sequential = false;
  let reopen = false;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[;#].*$/, '').trim();
    if (line === '') continue;
    const [keyword, ...args] = line.split(/\s+/);
    switch (keyword) {
      case 'nameserver': {
        // Link-local scope ids (fe80::1%eth0) are kept off: we never probe those.
        const address = args[0];
        if (address && isIP(address) !== 0 && conf.servers.length < MAX_SERVERS) {
          conf.servers.push({ host: address, port: 53 });
        }
        break;
      }
      // The last of `domain` and `search` wins, as in glibc.
      case 'domain':
        conf.search = args[0] ? [args[0]] : [];
        break;
      case 'search':
        conf.search = args;
        break;
      case 'options':
        for (const option of args) {
          const [name, value] = option.split(':', 2);
          const n = value === undefined ? Number.NaN : Number.parseInt(value, 10);
          if (name === 'ndots' && n >= 0) conf.ndots = Math.min(n, MAX_NDOTS);
          else if (name === 'timeout' && n >= 0) conf.timeoutMs = Math.max(1, Math.min(n, MAX_TIMEOUT_S)) * 1000;
          else if (name === 'attempts' && n >= 0) conf.attempts = Math.max(1, Math.min(n, MAX_ATTEMPTS));
          else if (name === 'single-request') sequential = true;
          else if (name === 'single-request-reopen') reopen = true;
          else if (name === 'use-vc') conf.transport = 'tcp';
          // rotate, edns0, trust-ad, inet6...: no effect on what we measure.
        }
        break;
    }
  }
  // With both set, each query gets its own socket: reopen is the stronger change on the wire.
  if (reopen) conf.mode = 'reopen';
  else if (sequential) conf.mode = 'sequential';
  return conf;
}
