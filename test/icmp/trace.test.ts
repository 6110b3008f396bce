// How a trace is read (src/probes/icmp/trace.ts), without sockets: the first
// bad hop as an engineer reads mtr, and the rounds over a fake path.
import { describe, expect, it } from 'vitest';
import type { EchoOutcome, EchoSendOptions, IcmpPinger } from '../../src/native/icmp.ts';
import { firstBadHop, traceRoute, type TraceHop } from '../../src/probes/icmp/trace.ts';

const hop = (ttl: number, loss: number, extra: Partial<TraceHop> = {}): TraceHop => ({
  ttl,
  address: `198.18.${ttl}.1`,
  addresses: [`198.18.${ttl}.1`],
  sent: 10,
  received: Math.round(10 * (1 - loss)),
  loss,
  rttP50Ms: 1,
  rttP90Ms: 1,
  rttBestMs: 1,
  rttWorstMs: 1,
  destination: false,
  errors: [],
  ...extra,
});

describe('firstBadHop', () => {
  it('loss at one hop that does not carry on is ICMP rate limiting, not the path', () => {
    expect(firstBadHop([hop(1, 0), hop(2, 0.5), hop(3, 0, { destination: true })], true)).toEqual({ firstBadHop: null, badHopReason: null });
  });
  it('loss that starts at hop 2 and persists to the destination starts at hop 2', () => {
    expect(firstBadHop([hop(1, 0), hop(2, 0.3), hop(3, 0.3, { destination: true })], true)).toEqual({ firstBadHop: 2, badHopReason: 'loss' });
  });
  it('an unreached destination is bad where answers stop, or at the hop that said unreachable', () => {
    expect(firstBadHop([hop(1, 0), hop(2, 0), hop(3, 1)], false)).toEqual({ firstBadHop: 3, badHopReason: 'no_reply_beyond' });
    expect(firstBadHop([hop(1, 0), hop(2, 0, { errors: ['3/13'] })], false)).toEqual({ firstBadHop: 2, badHopReason: 'unreachable' });
  });
});

/** Hop i answers TTL i (time exceeded); TTL >= `dest` reaches the destination. */
class Path implements IcmpPinger {
  readonly mode = 'raw' as const;
  readonly ttls: number[] = [];
  readonly dest: number;
  constructor(dest: number) {
    this.dest = dest;
  }
  echo(_addr: string, _size: number, _t: number, _s?: AbortSignal, o?: EchoSendOptions): Promise<EchoOutcome> {
    const ttl = o?.ttl ?? 64;
    this.ttls.push(ttl);
    if (ttl >= this.dest) return Promise.resolve({ kind: 'reply', rttMs: ttl, bytes: 64 });
    return Promise.resolve({ kind: 'unreachable', hop: `10.0.${ttl}.1`, icmpType: 11, icmpCode: 0, rttMs: ttl });
  }
}

describe('traceRoute', () => {
  it('stops at the destination TTL after the first round, and orders hops by TTL', async () => {
    const path = new Path(3);
    const t = await traceRoute(path, { address: '10.0.9.9', family: 4, protocol: 'icmp', rounds: 3, maxHops: 8, intervalMs: 0, timeoutMs: 100, sizeBytes: 64 }, new AbortController().signal);
    expect(t.reached).toBe(true);
    expect(t.destinationTtl).toBe(3);
    expect(t.hops.map((h) => h.address)).toEqual(['10.0.1.1', '10.0.2.1', '10.0.9.9']);
    expect(t.hops.map((h) => h.rttP50Ms)).toEqual([1, 2, 3]);
    // Round 1 tried all 8 TTLs; rounds 2 and 3 only 1..3.
    expect(path.ttls.length).toBe(8 + 3 + 3);
  });
});
