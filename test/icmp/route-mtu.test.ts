// The route lookup behind netprobe_interface_mtu_bytes, on fixed copies of
// /proc/net/route, /proc/net/ipv6_route and /sys/class/net/*/mtu.
import { describe, expect, it } from 'vitest';
import { interfaceMtuFor, lookupRoute, parseRoutes4, parseRoutes6 } from '../../src/probes/icmp/route-mtu.ts';

const ROUTE4 = [
  'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
  // default via 169.254.1.1 dev eth0 (Calico style)
  'eth0\t00000000\t0101FEA9\t0003\t0\t0\t0\t00000000\t0\t0\t0',
  // 10.244.0.0/16 dev vxlan0, metric 0
  'vxlan0\t0000F40A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0',
  // 10.244.7.0/24 dev tun7 (longer prefix wins)
  'tun7\t0007F40A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
  // 10.244.7.0/24 dev backup metric 100 (same prefix, higher metric loses)
  'backup\t0007F40A\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0',
  // 10.9.0.0/16 reject route (flag 0x200): skipped
  'eth0\t0000090A\t00000000\t0201\t0\t0\t0\t0000FFFF\t0\t0\t0',
].join('\n');

const ROUTE6 = [
  '20010db8000100000000000000000000 30 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth1',
  '00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000002 00000000 00000003     eth0',
].join('\n');

const MTU: Record<string, string> = { eth0: '1500\n', eth1: '1280\n', vxlan0: '1450\n', tun7: '1400\n', lo: '65536\n' };
const source = {
  read(path: string): string {
    if (path === '/proc/net/route') return ROUTE4;
    if (path === '/proc/net/ipv6_route') return ROUTE6;
    const m = /^\/sys\/class\/net\/([^/]+)\/mtu$/.exec(path);
    if (m && MTU[m[1]!] !== undefined) return MTU[m[1]!]!;
    throw new Error(`ENOENT ${path}`);
  },
};

describe('interface MTU on the route to a target', () => {
  it('longest prefix, then lowest metric, over /proc/net/route', () => {
    const routes = parseRoutes4(ROUTE4);
    expect(lookupRoute(routes, '10.244.7.9')).toBe('tun7');
    expect(lookupRoute(routes, '10.244.3.1')).toBe('vxlan0');
    expect(lookupRoute(routes, '192.0.2.1')).toBe('eth0');
    // The reject route is ignored, so the default route carries it.
    expect(lookupRoute(routes, '10.9.1.1')).toBe('eth0');
  });

  it('IPv6 from /proc/net/ipv6_route', () => {
    const routes = parseRoutes6(ROUTE6);
    expect(lookupRoute(routes, '2001:db8:1::5')).toBe('eth1');
    expect(lookupRoute(routes, '2001:db8:2::5')).toBe('eth0');
  });

  it('interface and MTU from sysfs; loopback is lo; no route or unreadable MTU -> null', () => {
    expect(interfaceMtuFor('10.244.3.1', source)).toEqual({ interface: 'vxlan0', mtu: 1450 });
    expect(interfaceMtuFor('2001:db8:1::5', source)).toEqual({ interface: 'eth1', mtu: 1280 });
    expect(interfaceMtuFor('127.0.0.1', source)).toEqual({ interface: 'lo', mtu: 65536 });
    expect(interfaceMtuFor('10.244.7.9', { read: (p) => (p.startsWith('/sys/') ? 'garbage' : source.read(p)) })).toBeNull();
    expect(interfaceMtuFor('10.1.1.1', { read: (p) => (p === '/proc/net/route' ? ROUTE4.split('\n')[0]! : source.read(p)) })).toBeNull();
  });
});
