// The real engine on 127.0.0.1. Needs a raw ICMP socket (root / CAP_NET_RAW)
// because ping_group_range here is "1 0" (datagram ICMP sockets disabled);
// the datagram path is tested in a namespace in test/lab/icmp-socket.test.ts.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IcmpEngine, type EchoOutcome } from '../../src/native/icmp.ts';
import { icmpTarget } from '../../src/probes/icmp/targets.ts';
import { runIcmp } from '../../src/probes/icmp/run.ts';
import { systemClock } from '../../src/probes/types.ts';

const isRoot = process.getuid?.() === 0;
if (!isRoot && process.env.CI === 'true') throw new Error('ICMP loopback tests need root (raw ICMP socket) and must run in CI');

describe.skipIf(!isRoot)('ICMP engine on loopback (raw socket)', () => {
  let engine: IcmpEngine;
  beforeAll(() => {
    engine = new IcmpEngine({ mode: 'raw' });
  });
  afterAll(() => engine?.close());

  it('says which socket it uses', () => {
    expect(engine.mode).toBe('raw');
    expect(engine.ident).toBeGreaterThan(0);
  });

  it.each([28, 84, 1500, 9000, 65535])('echo of a %i-byte packet is answered at that size', async (size) => {
    const out = await engine.echo('127.0.0.1', size, 1000);
    expect(out.kind).toBe('reply');
    const reply = out as Extract<EchoOutcome, { kind: 'reply' }>;
    expect(reply.bytes).toBe(size);
    expect(reply.rttMs).toBeGreaterThanOrEqual(0);
    expect(reply.rttMs).toBeLessThan(100);
  });

  it('keeps 500 requests in flight on one socket and matches each reply to its request', async () => {
    const sizes = Array.from({ length: 500 }, (_, i) => 28 + ((i * 37) % 2000));
    const outs = await Promise.all(sizes.map((size) => engine.echo(`127.0.0.${1 + (size % 3)}`, size, 2000)));
    outs.forEach((out, i) => {
      expect(out.kind).toBe('reply');
      expect((out as { bytes: number }).bytes).toBe(sizes[i]);
    });
    expect(engine.inFlight).toBe(0);
    expect(engine.strays).toBe(0);
  });

  it('two engines on one host each get only their own replies', async () => {
    const other = new IcmpEngine({ mode: 'raw' });
    try {
      expect(other.ident).not.toBe(engine.ident);
      const [a, b] = await Promise.all([engine.echo('127.0.0.1', 84, 1000), other.echo('127.0.0.1', 84, 1000)]);
      expect(a.kind).toBe('reply');
      expect(b.kind).toBe('reply');
      expect(engine.strays + other.strays).toBe(0);
    } finally {
      other.close();
    }
  });

  it('an abort settles the request as aborted', async () => {
    const ac = new AbortController();
    const pending = engine.echo('127.0.0.1', 84, 1000, ac.signal);
    ac.abort();
    expect(await pending).toEqual({ kind: 'aborted' });
  });

  it('rejects sizes that are not IP packet sizes', () => {
    expect(() => engine.echo('127.0.0.1', 27, 100)).toThrow(/28 to 65535/);
  });

  it('runIcmp: walk and search on loopback give the 65535 ceiling and RTT per size', async () => {
    const r = await runIcmp(
      icmpTarget('127.0.0.1', 'loopback'),
      { sizes: [84, 1500], count: 3, intervalMs: 5, timeoutMs: 500, search: { min: 68, max: 65535, parallel: 8, attempts: 1 }, expectedMtu: 1500, socket: 'raw', engine },
      { signal: new AbortController().signal, clock: systemClock },
    );
    expect(r.reason).toBe('ok');
    expect(r.socket).toBe('raw');
    expect(r.ceilingBytes).toBe(65535);
    expect(r.firstFailingBytes).toBeNull();
    expect(r.blackhole).toBe(false);
    const at84 = r.sizes.find((s) => s.size === 84)!;
    expect(at84.replies).toBeGreaterThanOrEqual(3);
    expect(at84.rttSeconds.every((x) => x > 0 && x < 0.1)).toBe(true);
    expect(r.probesSent).toBeGreaterThanOrEqual(7);
  });
});

describe.skipIf(!isRoot)('ICMP engine lifecycle', () => {
  it('close() settles requests in flight and refuses new ones', async () => {
    const engine = new IcmpEngine({ mode: 'raw' });
    const pending = engine.echo('127.0.0.1', 84, 1000);
    engine.close();
    expect(await pending).toEqual({ kind: 'aborted' });
    expect(await engine.echo('127.0.0.1', 84, 1000)).toEqual({ kind: 'send_error', code: 'ECLOSED' });
  });

  it('an open engine does not keep the process alive', () => {
    const wrapper = fileURLToPath(new URL('../../src/native/icmp.ts', import.meta.url));
    const script = `import { IcmpEngine } from ${JSON.stringify(wrapper)};
      const e = new IcmpEngine({ mode: 'raw' });
      const out = await e.echo('127.0.0.1', 84, 1000);
      console.log(out.kind);`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 10_000 });
    expect(child.stderr).toBe('');
    expect(child.stdout.trim()).toBe('reply');
    expect(child.status).toBe(0);
  });
});
