// What each UDP mode puts on the wire, as the server sees it: source ports
// and ordering (src/probes/dns/README.md, "What goes on the wire"; this is what
// tells the F1 conntrack race apart).
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Clock } from '../../src/probes/types.ts';
import { useFakeTime } from '../support/fake-time.ts';
import { FakeDnsNetwork } from './fake-network.ts';
import { fakeLookup, lookup } from './helpers.ts';
import { answerTo, TestServer } from './test-server.ts';

let server: TestServer | undefined;
let faked = false;
afterEach(async () => {
  await server?.close();
  server = undefined;
  if (faked) vi.useRealTimers();
  faked = false;
});

function fakeClock(): Clock {
  faked = true;
  return useFakeTime();
}

/** Answers every query 50 ms after it arrived, so overlap is visible. */
function delayed(ms = 50): Parameters<typeof TestServer.start>[0] {
  return (query, _raw, from, s) => {
    setTimeout(() => s.reply(from, answerTo(query)), ms);
  };
}

describe('wire behaviour per mode', () => {
  it('parallel: A and AAAA from one source port, both before any answer', async () => {
    server = await TestServer.start(delayed());
    const r = await lookup(server.port, 'a.netprobe.test', { mode: 'parallel' });
    expect(r.outcome).toBe('success');
    const [a, aaaa] = server.seen;
    expect(server.seen.map((q) => q.qtype)).toEqual(['A', 'AAAA']);
    expect(a!.port).toBe(aaaa!.port);
    expect(a!.id).not.toBe(aaaa!.id);
    expect(aaaa!.at).toBeLessThan(server.replies[0]!);
  });

  it('sequential: same port, AAAA only after A was answered', async () => {
    server = await TestServer.start(delayed());
    const r = await lookup(server.port, 'a.netprobe.test', { mode: 'sequential' });
    expect(r.outcome).toBe('success');
    const [a, aaaa] = server.seen;
    expect(server.seen.map((q) => q.qtype)).toEqual(['A', 'AAAA']);
    expect(a!.port).toBe(aaaa!.port);
    expect(aaaa!.at).toBeGreaterThanOrEqual(server.replies[0]!);
    expect(r.durationSeconds).toBeGreaterThanOrEqual(0.09); // two 50 ms answers in turn, 10 % for timer rounding
  });

  it('reopen: each query from its own source port, sent without waiting', async () => {
    server = await TestServer.start(delayed());
    const r = await lookup(server.port, 'a.netprobe.test', { mode: 'reopen' });
    expect(r.outcome).toBe('success');
    const [a, aaaa] = server.seen;
    expect(new Set(server.seen.map((q) => q.qtype))).toEqual(new Set(['A', 'AAAA']));
    expect(a!.port).not.toBe(aaaa!.port);
    expect(aaaa!.at).toBeLessThan(server.replies[0]!);
  });

  // Loss on the fake network and fake time (fake-network.ts): a 100 ms timeout
  // cannot fire early on a loaded machine and resend a query that was not lost.
  // Fake sockets' ports stand for the source port UdpSession sends from.
  it('parallel resends a lost query from the same port with the same id', async () => {
    let dropped = false;
    const net = new FakeDnsNetwork((query, _raw, from, n) => {
      if (query.questions![0]!.type === 'AAAA' && !dropped) {
        dropped = true;
        return;
      }
      n.reply(from, answerTo(query));
    });
    const r = await fakeLookup(net, fakeClock(), 'a.netprobe.test', { mode: 'parallel', timeoutMs: 100 });
    expect(r.stalled).toBe(true);
    const aaaa = net.seen.filter((q) => q.qtype === 'AAAA');
    expect(aaaa).toHaveLength(2);
    expect(aaaa[1]!.port).toBe(aaaa[0]!.port);
    expect(aaaa[1]!.id).toBe(aaaa[0]!.id);
    expect(net.seen.filter((q) => q.qtype === 'A')).toHaveLength(1);
    expect(aaaa[1]!.at - aaaa[0]!.at).toBe(100);
  });

  it('reopen resends a lost query from a fresh port with a fresh id', async () => {
    let dropped = false;
    const net = new FakeDnsNetwork((query, _raw, from, n) => {
      if (query.questions![0]!.type === 'A' && !dropped) {
        dropped = true;
        return;
      }
      n.reply(from, answerTo(query));
    });
    const r = await fakeLookup(net, fakeClock(), 'a.netprobe.test', { mode: 'reopen', timeoutMs: 100 });
    expect(r.stalled).toBe(true);
    expect(r.queries.map((q) => q.attempts)).toEqual([2, 1]);
    expect(new Set(net.seen.map((q) => q.port)).size).toBe(3);
    const a = net.seen.filter((q) => q.qtype === 'A');
    expect(a[1]!.id).not.toBe(a[0]!.id);
    expect(net.openSockets()).toBe(0);
  });

  it('ids are random: 200 lookups use many distinct ids', async () => {
    server = await TestServer.start();
    for (let i = 0; i < 100; i++) await lookup(server.port, 'a.netprobe.test');
    const ids = new Set(server.seen.map((q) => q.id));
    // 200 draws from 65536: a few collisions at most.
    expect(ids.size).toBeGreaterThan(190);
  });
});
