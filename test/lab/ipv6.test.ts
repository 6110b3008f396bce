// IPv6 ICMP over a real namespace path (2001:db8::/32 inside the namespaces
// only): client -> r1 -> r2 -(1400)- far. Echo, the path-MTU search with
// ICMPv6 Packet Too Big from r2, the same with Packet Too Big filtered (the
// black-hole rule), the interface MTU next to the ceiling, and trace.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IcmpEngine } from '../../src/native/icmp.ts';
import { icmpTarget } from '../../src/probes/icmp/targets.ts';
import { runIcmp } from '../../src/probes/icmp/run.ts';
import type { IcmpOptions, IcmpResult } from '../../src/probes/icmp/types.ts';
import { systemClock } from '../../src/probes/types.ts';
import { buildHopLab, clearMiddleHopFault, Lab, requireLab, runNetprobe, setMiddleHopFault, type HopLab } from './harness/index.ts';

const labAvailable = requireLab();
const TIMEOUT_MS = 400;

describe.skipIf(!labAvailable)('IPv6 ICMP through a 1400 middle hop', () => {
  let lab: Lab;
  let h: HopLab;
  let engine: IcmpEngine;

  beforeAll(async () => {
    lab = await Lab.create(import.meta.url);
    h = await buildHopLab(lab, { midMtu: 1400 });
    engine = new IcmpEngine({ mode: 'raw', family: 6, netns: `/run/netns/${h.clientNs}` });
  });
  afterAll(async () => {
    engine?.close();
    await lab?.destroy();
  });

  function run(extra: Partial<IcmpOptions>): Promise<IcmpResult> {
    const options: IcmpOptions = {
      sizes: [],
      count: 1,
      intervalMs: 0,
      timeoutMs: TIMEOUT_MS,
      search: { min: 1280, max: 9000, parallel: 8, attempts: 2 },
      expectedMtu: null,
      socket: 'raw',
      engine,
      ...extra,
    };
    return runIcmp(icmpTarget(h.farIp6), options, { signal: new AbortController().signal, clock: systemClock });
  }

  it('echo: replies at 84 and 1400 bytes, 1401 refused by r2 with Packet Too Big', async () => {
    const r = await run({ search: null, sizes: [84, 1400, 1401], count: 2 });
    const by = new Map(r.sizes.map((s) => [s.size, s]));
    expect(by.get(84)!.replies).toBe(2);
    expect(by.get(1400)!.replies).toBe(2);
    expect(by.get(1401)!.fragNeeded).toBe(2);
    expect(r.fragNeeded).toContainEqual({ hop: h.hops6[1], mtu: 1400 });
    expect(r.ceilingBytes).toBe(1400);
  });

  it('search: exactly 1400 from Packet Too Big, not a black hole; sizes above the 1500 veth refused locally', async () => {
    const r = await run({});
    expect(r).toMatchObject({ reason: 'ok', ceilingBytes: 1400, firstFailingBytes: 1401, blackhole: false, localMtu: 1500 });
    expect(r.fragNeeded).toContainEqual({ hop: h.hops6[1], mtu: 1400 });
    expect(r.durationSeconds).toBeLessThan(TIMEOUT_MS / 1000);
  });

  describe('with Packet Too Big filtered on r2', () => {
    beforeAll(async () => setMiddleHopFault(h, { silentTooBig: true }));
    afterAll(async () => clearMiddleHopFault(h));

    it('still 1400, and a black hole, in about one timeout', async () => {
      const started = performance.now();
      const r = await run({});
      expect(r).toMatchObject({ reason: 'blackhole', ceilingBytes: 1400, firstFailingBytes: 1401, blackhole: true, fragNeeded: [] });
      expect(performance.now() - started).toBeLessThan(3 * TIMEOUT_MS);
    });

    it('netprobe trace places the black hole at hop 2', async () => {
      const r = await runNetprobe(lab, h.clientNs, ['trace', h.farIp6, '-c', '2', '-i', '20ms', '--timeout', '300ms', '--json']);
      const out = JSON.parse(r.stdout);
      expect(out.hops.map((x: { address: string }) => x.address)).toEqual(h.hops6);
      expect(out.hops[1].mtu).toEqual({ reported: null, ceiling: 1400, blackhole: true });
    });
  });

  it('netprobe trace --udp (IPv6): the three hops, far answering port unreachable', async () => {
    const r = await runNetprobe(lab, h.clientNs, ['trace', h.farIp6, '-c', '2', '-i', '20ms', '--timeout', '300ms', '--udp', '--no-mtu', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.hops.map((x: { address: string }) => x.address)).toEqual(h.hops6);
    expect(out).toMatchObject({ family: 6, protocol: 'udp', reached: true, destination_hop: 3 });
  });

  it('netprobe mtu (IPv6): ceiling 1400 and the client interface at 1500, above it', async () => {
    const r = await runNetprobe(lab, h.clientNs, ['mtu', h.farIp6, '--min', '1280', '--timeout', '400ms', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ ceiling_bytes: 1400, interface_mtu_bytes: 1500, blackhole: false });
    expect(out.interface).toMatch(/^np/);
  });

  it('netprobe mtu (IPv4, same path): the text summary flags the interface MTU above the ceiling', async () => {
    const r = await runNetprobe(lab, h.clientNs, ['mtu', h.farIp, '--max', '1500', '--timeout', '400ms']);
    expect(r.stdout).toMatch(/path MTU ceiling to 198\.18\.12\.2: 1400 bytes \(exact\)/);
    expect(r.stdout).toMatch(/route leaves by np\S+, mtu 1500 \(ABOVE the path ceiling/);
  });

  it('IPv6 sizes below 48 bytes are a usage error', async () => {
    const r = await runNetprobe(lab, h.clientNs, ['mtu', h.farIp6, '--min', '40'], { allowFailure: true });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--min: IPv6 packets are at least 48 bytes/);
  });
});
