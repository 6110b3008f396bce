// A hostile or broken server: spoofed, stray and garbage datagrams must be
// counted under their reason and ignored while the real answer is taken.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DnsMode } from '../../src/probes/dns/types.ts';
import { runDns } from '../../src/probes/dns/run.ts';
import { systemClock, type Clock } from '../../src/probes/types.ts';
import { useFakeTime } from '../support/fake-time.ts';
import { FakeDnsNetwork } from './fake-network.ts';
import { fakeLookup, lookup, options, target } from './helpers.ts';
import { answerTo, TestServer } from './test-server.ts';

let server: TestServer | undefined;
let faked = false;
afterEach(async () => {
  await server?.close();
  server = undefined;
  if (faked) vi.useRealTimers();
  faked = false;
});

/** Fake time for this test (timing and loss on the fake network, fake-network.ts). */
function fakeClock(): Clock {
  faked = true;
  return useFakeTime();
}

describe('mismatched responses before the right answer', () => {
  it.each(['parallel', 'sequential', 'reopen'] as DnsMode[])('%s: each counted, ignored, correct answer taken', async (mode) => {
    server = await TestServer.start((query, raw, from, s) => {
      const good = answerTo(query);
      s.reply(from, answerTo(query, { id: (query.id! + 1) & 0xffff })); // wrong_id
      s.reply(from, answerTo(query, { name: 'other.example' })); // wrong_question
      s.reply(from, raw); // our own query echoed: QR=0, not_response
      s.reply(from, Buffer.from([1, 2, 3, 4, 5])); // undecodable: shorter than a header
      s.reply(from, good.subarray(0, good.length - 3)); // undecodable: right header and question, cut answer
      s.replyFromSpoofer(from, good); // wrong_source: a perfect answer from another port
      s.reply(from, good);
    });
    const r = await lookup(server.port, 'a.netprobe.test', { mode });
    expect(r.outcome).toBe('success');
    expect(r.queries.map((q) => q.answers)).toEqual([['192.0.2.7'], ['2001:db8::7']]);
    expect(r.mismatched).toEqual({ wrong_id: 2, wrong_question: 2, not_response: 2, undecodable: 4, wrong_source: 2 });
    expect(r.stalled).toBe(false);
    expect(r.attemptTimeouts).toBe(0);
  });

  it('accepts a question echoed in different letter case (0x20 randomisation)', async () => {
    server = await TestServer.start((query, _raw, from, s) => {
      const msg = answerTo(query);
      // Upper-case the question name in place: same length, letters only.
      for (let i = 12; i < 12 + 'a.netprobe.test'.length + 2; i++) {
        const c = msg[i]!;
        if (c >= 0x61 && c <= 0x7a) msg[i] = c - 0x20;
      }
      s.reply(from, msg);
    });
    const r = await lookup(server.port, 'a.netprobe.test', { mode: 'single' });
    expect(r.outcome).toBe('success');
    expect(r.mismatched).toEqual({});
  });

  it('maps rcodes: SERVFAIL servfail, REFUSED refused, FORMERR servfail (rcode kept)', async () => {
    const rcodes: Record<string, number> = { A: 2, AAAA: 5 };
    server = await TestServer.start((query, _raw, from, s) => s.reply(from, answerTo(query, { rcode: rcodes[query.questions![0]!.type] ?? 1 })));
    const r = await lookup(server.port, 'a.netprobe.test', { qtypes: ['A', 'AAAA', 'TXT'] });
    expect(r.queries.map((q) => [q.qtype, q.outcome, q.rcode])).toEqual([
      ['A', 'servfail', 'SERVFAIL'],
      ['AAAA', 'refused', 'REFUSED'],
      ['TXT', 'servfail', 'FORMERR'],
    ]);
    expect(r.outcome).toBe('servfail');
  });
});

describe('IPv6', () => {
  it.each(['::1', '0:0:0:0:0:0:0:1'])('server %s: answers taken, source check on the canonical address', async (host) => {
    server = await TestServer.start(undefined, '::1');
    const r = await runDns(target(server.port, 'a.netprobe.test', host), options(), { signal: new AbortController().signal, clock: systemClock });
    expect(r.outcome).toBe('success');
    expect(r.mismatched).toEqual({});
    expect(r.queries.map((q) => q.answers)).toEqual([['192.0.2.7'], ['2001:db8::7']]);
  });
});

describe('a server that answers only garbage', () => {
  it('UDP: keeps waiting (a spoofer must not end the lookup), then malformed', async () => {
    const net = new FakeDnsNetwork((_q, _raw, from, n) => n.reply(from, Buffer.from('garbage')));
    const r = await fakeLookup(net, fakeClock(), 'a.netprobe.test', { mode: 'single', timeoutMs: 150, attempts: 2 });
    expect(r.outcome).toBe('malformed');
    expect(r.error).toBe('A: only undecodable responses');
    expect(r.mismatched).toEqual({ undecodable: 2 });
    expect(r.attemptTimeouts).toBe(2);
    // Two 150 ms attempts, on fake time: exactly, whatever the load.
    expect(r.durationSeconds).toBeGreaterThanOrEqual(0.27);
    expect(r.durationSeconds).toBe(0.3);
    expect(net.openSockets()).toBe(0);
  });

  it('TCP: an answer frame that does not decode is malformed at once', async () => {
    server = await TestServer.startTcp((q) => [answerTo(q).subarray(0, answerTo(q).length - 2)]);
    const r = await lookup(server.port, 'a.netprobe.test', { transport: 'tcp', mode: 'single', timeoutMs: 2000 });
    expect(r.outcome).toBe('malformed');
    expect(r.durationSeconds).toBeLessThan(1);
  });

  it('TCP: a wrong-id frame is counted and the next frame taken', async () => {
    server = await TestServer.startTcp((q) => [answerTo(q, { id: (q.id! + 1) & 0xffff }), answerTo(q)]);
    const r = await lookup(server.port, 'a.netprobe.test', { transport: 'tcp' });
    expect(r.outcome).toBe('success');
    expect(r.mismatched).toEqual({ wrong_id: 2 });
    expect(r.queries.map((q) => q.answers)).toEqual([['192.0.2.7'], ['2001:db8::7']]);
  });

  it('TCP: a silent server times out per attempt and reconnects', async () => {
    const net = new FakeDnsNetwork();
    const r = await fakeLookup(net, fakeClock(), 'a.netprobe.test', { transport: 'tcp', mode: 'single', timeoutMs: 150, attempts: 2 });
    expect(r.outcome).toBe('timeout');
    expect(r.attemptTimeouts).toBe(2);
    expect(r.queries[0]!.attempts).toBe(2);
    expect(net.tcpConnects).toBe(2);
    expect(r.durationSeconds).toBe(0.3);
    expect(net.openSockets()).toBe(0);
  });
});

describe('stalls', () => {
  it('a dropped first AAAA query: stalled, answered at about the timeout', async () => {
    let aaaaSeen = 0;
    const net = new FakeDnsNetwork((query, _raw, from, n) => {
      if (query.questions![0]!.type === 'AAAA' && aaaaSeen++ === 0) return;
      n.reply(from, answerTo(query));
    });
    // On fake time: the attempt counts prove which query was lost; the
    // durations are the bands (A before one timeout, the lookup about one
    // timeout) and, exactly, one timeout plus one 1 ms round trip.
    const r = await fakeLookup(net, fakeClock(), 'a.netprobe.test', { mode: 'parallel', timeoutMs: 400, attempts: 2 });
    expect(r.outcome).toBe('success');
    expect(r.stalled).toBe(true);
    expect(r.attemptTimeouts).toBe(1);
    expect(r.queries.map((q) => [q.qtype, q.attempts])).toEqual([
      ['A', 1],
      ['AAAA', 2],
    ]);
    expect(r.queries[0]!.durationSeconds).toBeLessThan(0.4);
    expect(r.durationSeconds).toBeGreaterThanOrEqual(0.36);
    expect(r.durationSeconds).toBeLessThan(1.2);
    expect(r.queries.map((q) => q.durationSeconds)).toEqual([0.001, 0.401]);
  });

  it('a server that answers everything: not stalled', async () => {
    server = await TestServer.start();
    // A long timeout so a loaded machine's scheduling delay cannot look like a lost attempt.
    const r = await lookup(server.port, 'a.netprobe.test', { mode: 'parallel', timeoutMs: 2000 });
    expect(r.stalled).toBe(false);
    expect(r.attemptTimeouts).toBe(0);
    expect(r.durationSeconds).toBeLessThan(2);
  });

  it('a query that is never answered is a timeout, not a stall', async () => {
    const net = new FakeDnsNetwork((query, _raw, from, n) => {
      if (query.questions![0]!.type === 'A') n.reply(from, answerTo(query));
    });
    const r = await fakeLookup(net, fakeClock(), 'a.netprobe.test', { timeoutMs: 100, attempts: 2 });
    expect(r.outcome).toBe('timeout');
    expect(r.stalled).toBe(false);
    expect(r.queries.map((q) => q.outcome)).toEqual(['success', 'timeout']);
    expect(r.durationSeconds).toBe(0.2);
  });
});
