// The datagram ("ping") socket path, which this machine's root namespace does
// not allow (ping_group_range "1 0"): the sysctl is per network namespace, so
// a test namespace opens it to gid 0 and the engine creates its socket there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IcmpEngine } from '../../src/native/icmp.ts';
import { icmpTarget } from '../../src/probes/icmp/targets.ts';
import { runIcmp } from '../../src/probes/icmp/run.ts';
import { systemClock } from '../../src/probes/types.ts';
import { buildRouterLab, Lab, requireLab, type RouterLab } from './harness/index.ts';

const labAvailable = requireLab();

describe.skipIf(!labAvailable)('ICMP socket choice per namespace', () => {
  let lab: Lab;
  let router: RouterLab;
  const engines: IcmpEngine[] = [];
  const open = (netns: string, mode: 'auto' | 'raw' | 'dgram' = 'auto') => {
    const e = new IcmpEngine({ mode, netns: `/run/netns/${netns}` });
    engines.push(e);
    return e;
  };

  beforeAll(async () => {
    lab = await Lab.create(import.meta.url);
    router = await buildRouterLab(lab, { farMtu: 1400 });
    await lab.sysctl(router.clientNs, 'net.ipv4.ping_group_range', '0 0');
  });
  afterAll(async () => {
    for (const e of engines) e.close();
    await lab?.destroy();
  });

  it('auto picks the datagram socket where ping_group_range covers our gid, raw elsewhere', () => {
    expect(open(router.clientNs).mode).toBe('dgram');
    expect(open(router.farNs).mode).toBe('raw');
  });

  it('forcing dgram where the range excludes our gid is a setup error naming the sysctl', () => {
    expect(() => open(router.farNs, 'dgram')).toThrow(/ping_group_range/);
  });

  it('the datagram socket echoes, with a kernel-chosen identifier', async () => {
    const e = open(router.clientNs, 'dgram');
    expect(e.ident).toBeGreaterThan(0);
    const out = await e.echo(router.farIp, 1000, 1000);
    expect(out.kind).toBe('reply');
  });

  it('the datagram socket gets frag-needed from the error queue: the search finds 1400', async () => {
    const e = open(router.clientNs, 'dgram');
    const r = await runIcmp(
      icmpTarget(router.farIp),
      { sizes: [], count: 1, intervalMs: 0, timeoutMs: 400, search: { min: 68, max: 9000, parallel: 8, attempts: 2 }, expectedMtu: null, socket: 'dgram', engine: e },
      { signal: new AbortController().signal, clock: systemClock },
    );
    expect(r.socket).toBe('dgram');
    expect(r.ceilingBytes).toBe(1400);
    expect(r.fragNeeded).toContainEqual({ hop: router.routerClientIp, mtu: 1400 });
    expect(r.localMtu).toBe(1500);
    expect(r.blackhole).toBe(false);
  });
});
