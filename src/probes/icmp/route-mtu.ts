// The MTU of the interface a target's packets leave by, so "the pod's MTU is
// above the path ceiling" (a 1500 pod on a 1450 VXLAN path) can be seen next
// to the measured ceiling.
//
// How: longest-prefix match of the target in the kernel's main routing table
// as /proc/net/route (IPv4) and /proc/net/ipv6_route (IPv6) show it, then
// /sys/class/net/<interface>/mtu. Why not a socket: connect() on a UDP socket
// makes the kernel pick the route, but Node (and getsockopt) only give back
// the source address and the route's path MTU (IP_MTU, which includes cached
// PMTU and route `mtu` attributes: not the interface's own); naming the
// interface needs netlink (RTM_GETROUTE), which Node does not expose. The
// tables need no privilege and no socket and are per network namespace, as
// the pod sees them. Limit: policy routing (`ip rule`, other tables) is not
// followed; pod networks use the main table.
import { readFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';

export interface RouteMtu {
  interface: string;
  mtu: number;
}

interface Route {
  iface: string;
  /** Network as a bigint, prefix length, metric. */
  net: bigint;
  prefix: number;
  metric: number;
}

const RTF_UP = 0x1;
const RTF_REJECT = 0x200;

function v4ToBig(addr: string): bigint {
  return addr.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function v6ToBig(addr: string): bigint {
  let [head, tail] = addr.includes('::') ? addr.split('::') : [addr, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  // An embedded IPv4 tail (::ffff:1.2.3.4) is two groups.
  const last = t.length > 0 ? t : h;
  if (last.length > 0 && last[last.length - 1]!.includes('.')) {
    const v4 = v4ToBig(last.pop()!);
    last.push((v4 >> 16n).toString(16), (v4 & 0xffffn).toString(16));
  }
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || '0', 16)), 0n);
}

/** /proc/net/route: little-endian hex destination and mask. */
export function parseRoutes4(text: string): Route[] {
  const routes: Route[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const flags = parseInt(f[3]!, 16);
    if (!(flags & RTF_UP) || flags & RTF_REJECT) continue;
    // Bytes in host (little-endian) order: "010200C0" is 192.0.2.1.
    const le = (hex: string) => BigInt(parseInt((hex.match(/../g) ?? []).reverse().join(''), 16));
    const mask = le(f[7]!);
    let prefix = 0;
    for (let b = 31n; b >= 0n && (mask >> b) & 1n; b--) prefix++;
    routes.push({ iface: f[0]!, net: le(f[1]!) & mask, prefix, metric: Number(f[6]) });
  }
  return routes;
}

/** /proc/net/ipv6_route: dest, plen, src, splen, nexthop, metric, refcnt, use, flags, device. */
export function parseRoutes6(text: string): Route[] {
  const routes: Route[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const flags = parseInt(f[8]!, 16);
    if (!(flags & RTF_UP) || flags & RTF_REJECT) continue;
    routes.push({ iface: f[9]!, net: BigInt(`0x${f[0]}`), prefix: parseInt(f[1]!, 16), metric: parseInt(f[5]!, 16) });
  }
  return routes;
}

/** Longest prefix, then lowest metric. */
export function lookupRoute(routes: Route[], addr: string): string | null {
  const v6 = isIPv6(addr);
  if (!v6 && !isIPv4(addr)) return null;
  const bits = v6 ? 128 : 32;
  const target = v6 ? v6ToBig(addr) : v4ToBig(addr);
  let best: Route | null = null;
  for (const r of routes) {
    const shift = BigInt(bits - r.prefix);
    if (r.prefix > 0 && target >> shift !== r.net >> shift) continue;
    if (!best || r.prefix > best.prefix || (r.prefix === best.prefix && r.metric < best.metric)) best = r;
  }
  return best?.iface ?? null;
}

export interface RouteSource {
  read(path: string): string;
}

const fsSource: RouteSource = { read: (path) => readFileSync(path, 'utf8') };

// One table read serves every target of a run burst; routes change rarely.
const CACHE_MS = 5000;
let cached: { at: number; v4: Route[]; v6: Route[]; mtus: Map<string, number | null> } | undefined;

/** Interface and its MTU for `addr`; null when there is no route or the tables cannot be read (not Linux). */
export function interfaceMtuFor(addr: string, source: RouteSource = fsSource, now = Date.now()): RouteMtu | null {
  try {
    if (source !== fsSource || !cached || now - cached.at > CACHE_MS) {
      const read = (p: string) => {
        try {
          return source.read(p);
        } catch {
          return '';
        }
      };
      const fresh = { at: now, v4: parseRoutes4(read('/proc/net/route')), v6: parseRoutes6(read('/proc/net/ipv6_route')), mtus: new Map<string, number | null>() };
      if (source !== fsSource) return lookupIn(fresh, addr, source);
      cached = fresh;
    }
    return lookupIn(cached, addr, source);
  } catch {
    return null;
  }
}

function lookupIn(table: NonNullable<typeof cached>, addr: string, source: RouteSource): RouteMtu | null {
  // Loopback lives in the local table, which /proc/net/route does not show.
  const loopback = addr === '::1' || (isIPv4(addr) && addr.startsWith('127.'));
  const iface = loopback ? 'lo' : lookupRoute(isIPv6(addr) ? table.v6 : table.v4, addr);
  if (iface === null || !/^[A-Za-z0-9_.@:-]{1,15}$/.test(iface)) return null;
  let mtu = table.mtus.get(iface);
  if (mtu === undefined) {
    try {
      const n = Number(source.read(`/sys/class/net/${iface}/mtu`).trim());
      mtu = Number.isInteger(n) && n > 0 ? n : null;
    } catch {
      mtu = null;
    }
    table.mtus.set(iface, mtu);
  }
  return mtu === null ? null : { interface: iface, mtu };
}
