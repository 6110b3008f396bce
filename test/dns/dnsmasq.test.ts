// runDns against a real DNS server (Debian's dnsmasq) on loopback.
import { createSocket, type Socket } from 'node:dgram';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DnsMode } from '../../src/probes/dns/types.ts';
import { BIG_TXT_STRINGS, type Dnsmasq, startDnsmasq } from '../support/dnsmasq.ts';
import { lookup } from './helpers.ts';

let dns: Dnsmasq;
beforeAll(async () => {
  dns = await startDnsmasq();
});
afterAll(async () => {
  await dns?.stop();
});

describe('UDP modes against dnsmasq', () => {
  it.each(['parallel', 'sequential', 'reopen'] as DnsMode[])('%s answers A and AAAA', async (mode) => {
    const r = await lookup(dns.port, 'a.netprobe.test', { mode });
    expect(r.outcome).toBe('success');
    expect(r.stalled).toBe(false);
    expect(r.attemptTimeouts).toBe(0);
    expect(r.mismatched).toEqual({});
    expect(r.queries.map((q) => [q.qtype, q.outcome, q.rcode, q.attempts, q.answers])).toEqual([
      ['A', 'success', 'NOERROR', 1, ['192.0.2.1']],
      ['AAAA', 'success', 'NOERROR', 1, ['2001:db8::1']],
    ]);
    for (const q of r.queries) expect(q.durationSeconds).toBeLessThanOrEqual(r.durationSeconds);
    expect(r.durationSeconds).toBeGreaterThan(0);
    expect(r.durationSeconds).toBeLessThan(2); // no timeout (5 s); loose for a loaded machine
  });

  it('single sends only the first query type', async () => {
    const r = await lookup(dns.port, 'a.netprobe.test', { mode: 'single', qtypes: ['AAAA', 'A'] });
    expect(r.outcome).toBe('success');
    expect(r.queries.map((q) => [q.qtype, q.answers])).toEqual([['AAAA', ['2001:db8::1']]]);
  });

  it('NODATA (a name without AAAA) is success with no answers', async () => {
    const r = await lookup(dns.port, 'v4only.netprobe.test');
    expect(r.outcome).toBe('success');
    expect(r.queries.map((q) => q.answers)).toEqual([['192.0.2.2'], []]);
  });

  it('a CNAME chain shows the alias with its type', async () => {
    const r = await lookup(dns.port, 'alias.netprobe.test', { mode: 'single' });
    expect(r.queries[0]!.answers).toEqual(['CNAME a.netprobe.test', '192.0.2.1']);
  });

  it('an unknown name in the zone is nxdomain', async () => {
    const r = await lookup(dns.port, 'nope.netprobe.test');
    expect(r.outcome).toBe('nxdomain');
    expect(r.queries.map((q) => [q.outcome, q.rcode])).toEqual([
      ['nxdomain', 'NXDOMAIN'],
      ['nxdomain', 'NXDOMAIN'],
    ]);
    expect(r.stalled).toBe(false);
  });

  it('a name dnsmasq may not forward is refused', async () => {
    const r = await lookup(dns.port, 'example.com', { mode: 'single' });
    expect(r.outcome).toBe('refused');
    expect(r.queries[0]!.rcode).toBe('REFUSED');
  });
});

describe('TCP', () => {
  it.each(['parallel', 'sequential'] as DnsMode[])('answers A and AAAA over TCP (%s)', async (mode) => {
    const r = await lookup(dns.port, 'a.netprobe.test', { transport: 'tcp', mode });
    expect(r.outcome).toBe('success');
    expect(r.queries.map((q) => q.answers)).toEqual([['192.0.2.1'], ['2001:db8::1']]);
    expect(r.tcpFallbacks).toBe(0);
  });

  it('a truncated UDP answer is retried over TCP and counted', async () => {
    const r = await lookup(dns.port, 'big.netprobe.test', { mode: 'single', qtypes: ['TXT'] });
    expect(r.outcome).toBe('success');
    expect(r.tcpFallbacks).toBe(1);
    expect(r.queries[0]!.answers).toEqual([BIG_TXT_STRINGS.join('')]);
    expect(r.queries[0]!.attempts).toBe(2);
  });

  it('without tcpFallback the truncated answer is taken as it came (empty)', async () => {
    const r = await lookup(dns.port, 'big.netprobe.test', { mode: 'single', qtypes: ['TXT'], tcpFallback: false });
    expect(r.outcome).toBe('success');
    expect(r.tcpFallbacks).toBe(0);
    expect(r.queries[0]!.answers).toEqual([]);
  });

  it('a refused TCP port is network_error, at once', async () => {
    // Bind then close a listener: a loopback port nobody listens on.
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const r = await lookup(port, 'a.netprobe.test', { transport: 'tcp', timeoutMs: 2000 });
    expect(r.outcome).toBe('network_error');
    expect(r.error).toMatch(/ECONNREFUSED/);
    expect(r.durationSeconds).toBeLessThan(1);
    expect(r.stalled).toBe(false);
  });
});

describe('timeouts against a silent port', () => {
  let silent: Socket;
  let silentPort: number;
  beforeAll(async () => {
    silent = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    silentPort = silent.address().port;
  });
  afterAll(() => silent.close());

  it.each(['parallel', 'sequential', 'reopen', 'single'] as DnsMode[])('%s: 200 ms x 2 attempts = timeout at ~400 ms', async (mode) => {
    const r = await lookup(silentPort, 'a.netprobe.test', { mode, timeoutMs: 200, attempts: 2 });
    const queries = mode === 'single' ? 1 : 2;
    expect(r.outcome).toBe('timeout');
    expect(r.stalled).toBe(false);
    expect(r.attemptTimeouts).toBe(2 * queries);
    expect(r.queries.every((q) => q.outcome === 'timeout' && q.attempts === 2)).toBe(true);
    // sequential waits for A's give-up before it sends AAAA.
    const expected = mode === 'sequential' ? 0.8 : 0.4;
    // The attempt counts above are exact; the durations keep margins a loaded machine holds.
    expect(r.durationSeconds).toBeGreaterThanOrEqual(expected * 0.9);
    expect(r.durationSeconds).toBeLessThan(expected + 0.6);
  });
});

describe('search list', () => {
  const search = ['missing.netprobe.test', 'netprobe.test'];

  it('walks NXDOMAIN candidates and stops at the first that exists', async () => {
    const r = await lookup(dns.port, 'a', { search, ndots: 1 });
    expect(r.outcome).toBe('success');
    expect(r.queriedName).toBe('a.netprobe.test');
    expect(r.queries.map((q) => q.answers)).toEqual([['192.0.2.1'], ['2001:db8::1']]);
  });

  it('a name with enough dots is tried as given first', async () => {
    const r = await lookup(dns.port, 'a.netprobe.test', { search, ndots: 1 });
    expect(r.queriedName).toBe('a.netprobe.test');
    expect(r.outcome).toBe('success');
  });

  it('nxdomain only when every candidate is', async () => {
    const r = await lookup(dns.port, 'nope.netprobe.test', { search, ndots: 5 });
    expect(r.outcome).toBe('nxdomain');
    expect(r.queriedName).toBe('nope.netprobe.test');
  });

  it('any other answer ends the walk (dnsmasq refuses the bare name)', async () => {
    const r = await lookup(dns.port, 'nope', { search, ndots: 1 });
    expect(r.outcome).toBe('refused');
    expect(r.queriedName).toBe('nope');
  });
});
