// An aborted lookup returns at once and leaves no socket or timer behind.
import { spawnSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DnsMode, DnsTransport } from '../../src/probes/dns/types.ts';
import { useFakeTime } from '../support/fake-time.ts';
import { FakeDnsNetwork } from './fake-network.ts';
import { fakeLookup, lookup, openHandles, settledHandles } from './helpers.ts';
import { TestServer } from './test-server.ts';

let silentUdp: Socket;
let silentTcp: TestServer;
beforeAll(async () => {
  silentUdp = createSocket('udp4');
  await new Promise<void>((resolve) => silentUdp.bind(0, '127.0.0.1', resolve));
  // Accepts TCP connections and never answers (its UDP side stays unused).
  silentTcp = await TestServer.startTcp(() => [], { silent: true }, () => {});
});
afterAll(async () => {
  silentUdp.close();
  await silentTcp.close();
});

// Timers are checked in a child process below: vitest's own timers come and go here.
function sockets(handles: Record<string, number>): number[] {
  return [handles.UDPWrap ?? 0, handles.TCPSocketWrap ?? 0, handles.TCPWrap ?? 0];
}

const cases: [DnsTransport, DnsMode][] = [
  ['udp', 'parallel'],
  ['udp', 'sequential'],
  ['udp', 'reopen'],
  ['tcp', 'parallel'],
];

describe('abort', () => {
  it.each(cases)('%s %s: aborted mid-wait returns promptly, no handles left', async (transport, mode) => {
    const port = transport === 'udp' ? silentUdp.address().port : silentTcp.port;
    const before = await settledHandles();
    const controller = new AbortController();
    const started = performance.now();
    const pending = lookup(port, 'a.netprobe.test', { transport, mode, timeoutMs: 5000 }, controller.signal);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const during = openHandles();
    // Proves the check below can fail: the lookup really holds sockets now.
    expect((during.UDPWrap ?? 0) + (during.TCPSocketWrap ?? 0)).toBeGreaterThan((before.UDPWrap ?? 0) + (before.TCPSocketWrap ?? 0));
    controller.abort();
    const r = await pending;
    const elapsed = performance.now() - started;
    expect(elapsed).toBeLessThan(300);
    expect(r.outcome).toBe('timeout');
    expect(r.error).toBe('aborted');
    expect(r.stalled).toBe(false);
    expect(sockets(await settledHandles())).toEqual(sockets(before));
  });

  it('leaves no timer behind either: a process of aborted lookups exits at once', () => {
    const started = performance.now();
    const child = spawnSync(process.execPath, [fileURLToPath(new URL('./fixtures/abort-child.ts', import.meta.url))], { encoding: 'utf8', timeout: 10_000 });
    expect(child.stderr).toBe('');
    expect(child.stdout.trim().split(' ')).toEqual(
      ['udp/parallel', 'udp/sequential', 'udp/reopen', 'udp/single', 'tcp/parallel'].map((m) => `${m}:timeout:aborted`),
    );
    expect(child.status).toBe(0);
    // Five lookups aborted after 50 ms each plus start-up; a leaked 5 s timer would show.
    expect(child.signal).toBeNull();
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it('an already aborted signal returns without sending', async () => {
    const server = await TestServer.start();
    try {
      const controller = new AbortController();
      controller.abort();
      const r = await lookup(server.port, 'a.netprobe.test', {}, controller.signal);
      expect(r.outcome).toBe('timeout');
      expect(r.error).toBe('aborted');
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(server.seen).toHaveLength(0);
    } finally {
      await server.close();
    }
  });

  it('a completed lookup leaves no handles either', async () => {
    const server = await TestServer.start();
    try {
      const before = await settledHandles();
      const r = await lookup(server.port, 'a.netprobe.test', { mode: 'reopen' });
      expect(r.outcome).toBe('success');
      expect(sockets(await settledHandles())).toEqual(sockets(before));
    } finally {
      await server.close();
    }
  });
});

// The same aborts on the socket seam and fake time: the lookup ends at the
// abort to the millisecond, with every fake socket closed.
describe('abort on a fake network and fake time', () => {
  afterEach(() => {
    vi.useRealTimers();
  });
  it.each(cases)('%s %s: ends at the abort, sockets closed', async (transport, mode) => {
    const clock = useFakeTime();
    const net = new FakeDnsNetwork(() => {}); // silent on UDP and TCP
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const r = await fakeLookup(net, clock, 'a.netprobe.test', { transport, mode, timeoutMs: 5000 }, controller.signal);
    expect(r.outcome).toBe('timeout');
    expect(r.error).toBe('aborted');
    expect(r.durationSeconds).toBe(0.1);
    expect(net.udpSockets.length + net.tcpSockets.length).toBeGreaterThan(0);
    expect(net.openSockets()).toBe(0);
  });
});
