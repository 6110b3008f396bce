import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { tcpTarget } from '../../src/probes/tcp/targets.ts';
import { tcpVerdict } from '../../src/probes/tcp/verdict.ts';
import { runTcp } from '../../src/probes/tcp/run.ts';
import type { TcpOptions, TcpOutcome } from '../../src/probes/tcp/types.ts';
import { systemClock, type Clock } from '../../src/probes/types.ts';
import { onFakeTime, useFakeTime } from '../support/fake-time.ts';
import { fakeConnect, type FakeAnswer } from './fake-connect.ts';
import { leftoverHandles, useLoopbackEndpoints } from './loopback.ts';

const ctx = () => ({ signal: new AbortController().signal, clock: systemClock });

const ports = useLoopbackEndpoints({ beforeAll, afterAll });

// Real loopback: what the kernel really answers (RST, dropped SYN), the
// sockets and timers left behind, and argument errors from node:net. Timing
// is loose here (the machine may be loaded); the exact windows are pinned on
// the fake connect below.
describe('runTcp on loopback', () => {
  const cases: { name: string; port: () => number; outcome: TcpOutcome; detail?: string; minSeconds: number }[] = [
    { name: 'a listening server', port: () => ports.openPort, outcome: 'connected', minSeconds: 0 },
    { name: 'a port bound then closed', port: () => ports.refusedPort, outcome: 'refused', detail: 'ECONNREFUSED', minSeconds: 0 },
    { name: 'a listener whose SYNs are dropped', port: () => ports.holePort, outcome: 'timeout', minSeconds: 0.29 },
  ];

  it.each(cases)('reports $outcome for $name', async ({ port, outcome, detail, minSeconds }) => {
    const result = await runTcp(tcpTarget('127.0.0.1', port()), { count: 2, intervalMs: 50, timeoutMs: 300 }, ctx());
    expect(result.count).toBe(2);
    expect(result[outcome]).toBe(2);
    expect(result.aborted).toBe(false);
    expect(result.lossRatio).toBe(outcome === 'connected' ? 0 : 1);
    expect(result.connectSeconds).toHaveLength(outcome === 'connected' ? 2 : 0);
    for (const [i, c] of result.connects.entries()) {
      expect(c).toMatchObject({ seq: i + 1, outcome, address: '127.0.0.1' });
      expect(c.detail).toBe(detail);
      expect(c.seconds).toBeGreaterThanOrEqual(minSeconds);
      // A timeout is 0.3 s; anything under a few seconds proves our timer, not the kernel's, ended it.
      expect(c.seconds).toBeLessThan(3);
    }
    expect(tcpVerdict(result)).toEqual({ success: outcome === 'connected', reason: outcome });
  });

  it('aborts an in-flight connect at once and leaves no socket or timer behind', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const t0 = performance.now();
    const { value: result, live } = await leftoverHandles(() =>
      runTcp(tcpTarget('127.0.0.1', ports.holePort), { count: 3, intervalMs: 10, timeoutMs: 5000 }, {
        signal: controller.signal,
        clock: systemClock,
      }),
      'probes/tcp/run.ts',
    );
    expect(performance.now() - t0).toBeLessThan(400);
    expect(result).toMatchObject({ aborted: true, count: 0, timeout: 0, lossRatio: 0 });
    expect(live).toEqual([]);
  });

  it('does nothing with an already aborted signal', async () => {
    const controller = new AbortController();
    controller.abort();
    const result = await runTcp(tcpTarget('127.0.0.1', ports.openPort), { count: 3, intervalMs: 0, timeoutMs: 300 }, {
      signal: controller.signal,
      clock: systemClock,
    });
    expect(result).toMatchObject({ count: 0, aborted: true, connects: [] });
    expect(tcpVerdict(result)).toEqual({ success: false, reason: 'aborted' });
  });

  it('returns an invalid port as an error result instead of throwing', async () => {
    const result = await runTcp(tcpTarget('127.0.0.1', 70000), { count: 1, intervalMs: 0, timeoutMs: 300 }, ctx());
    expect(result).toMatchObject({ count: 1, error: 1, lossRatio: 1 });
    expect(result.connects[0]!.detail).toBe('ERR_SOCKET_BAD_PORT');
  });

  it('throws on options no config could produce (setup error)', async () => {
    await expect(runTcp(tcpTarget('127.0.0.1', ports.openPort), { count: 0, intervalMs: 0, timeoutMs: 300 }, ctx())).rejects.toThrow(
      /count must be a whole number of at least 1, got 0/,
    );
  });
});

// The connect seam on fake time: windows, pacing and aborts to the millisecond,
// whatever the load on the machine.
describe('runTcp on a fake connect and fake time', () => {
  let clock: Clock;
  beforeEach(() => {
    clock = useFakeTime();
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  const run = (answer: Parameters<typeof fakeConnect>[0], options: TcpOptions, signal = new AbortController().signal, runClock?: Clock) => {
    const net = fakeConnect(answer);
    return { net, result: onFakeTime(runTcp(tcpTarget('127.0.0.1', 443), options, { signal, clock: runClock ?? clock, connect: net.connect })) };
  };

  const cases: { name: string; answer: FakeAnswer; outcome: TcpOutcome; detail?: string; minSeconds: number; maxSeconds: number }[] = [
    { name: 'a listening server', answer: { kind: 'accept', afterMs: 2 }, outcome: 'connected', minSeconds: 0, maxSeconds: 0.1 },
    { name: 'a closed port (RST)', answer: { kind: 'errno', code: 'ECONNREFUSED', afterMs: 2 }, outcome: 'refused', detail: 'ECONNREFUSED', minSeconds: 0, maxSeconds: 0.1 },
    { name: 'a route the kernel has not', answer: { kind: 'errno', code: 'EHOSTUNREACH', afterMs: 1 }, outcome: 'unreachable', detail: 'EHOSTUNREACH', minSeconds: 0, maxSeconds: 0.1 },
    { name: 'dropped SYNs', answer: { kind: 'silence' }, outcome: 'timeout', minSeconds: 0.29, maxSeconds: 0.6 },
  ];

  it.each(cases)('reports $outcome for $name, timed from the attempt', async ({ answer, outcome, detail, minSeconds, maxSeconds }) => {
    const { net, result: running } = run(() => answer, { count: 2, intervalMs: 50, timeoutMs: 300 });
    const result = await running;
    expect(result.count).toBe(2);
    expect(result[outcome]).toBe(2);
    expect(result.aborted).toBe(false);
    expect(result.lossRatio).toBe(outcome === 'connected' ? 0 : 1);
    expect(result.connectSeconds).toHaveLength(outcome === 'connected' ? 2 : 0);
    const exact = answer.kind === 'silence' ? 0.3 : answer.afterMs / 1000;
    for (const [i, c] of result.connects.entries()) {
      expect(c).toMatchObject({ seq: i + 1, outcome, address: '127.0.0.1' });
      expect(c.detail).toBe(detail);
      expect(c.seconds).toBeGreaterThanOrEqual(minSeconds);
      expect(c.seconds).toBeLessThan(maxSeconds);
      expect(c.seconds).toBe(exact);
    }
    expect(tcpVerdict(result)).toEqual({ success: outcome === 'connected', reason: outcome });
    expect(net.open()).toEqual([]);
  });

  it('paces connect starts by the interval and aggregates counts', async () => {
    const { result: running } = run(() => ({ kind: 'accept', afterMs: 1 }), { count: 4, intervalMs: 100, timeoutMs: 300 });
    const result = await running;
    expect(result.connected).toBe(4);
    // Three intervals between four starts; far less than 4 x timeout.
    expect(result.durationSeconds).toBeGreaterThanOrEqual(0.27);
    expect(result.durationSeconds).toBeLessThan(1.2);
    expect(result.durationSeconds).toBe(0.301);
    expect(result.connectSeconds).toEqual(result.connects.map((c) => c.seconds));
  });

  it('does not let a slow connect push later starts back; one past its slot starts at once', async () => {
    // Connect 1 takes 250 ms (past the 100 ms slot of connect 2): 2 starts at once (250),
    // 3 keeps its slot (200 -> already past, so 251), 4 at 300.
    const { net, result: running } = run((n) => ({ kind: 'accept', afterMs: n === 1 ? 250 : 1 }), { count: 4, intervalMs: 100, timeoutMs: 300 });
    const result = await running;
    expect(result.connected).toBe(4);
    expect(net.made).toHaveLength(4);
    expect(result.durationSeconds).toBe(0.301);
  });

  it('times connects with the context clock', async () => {
    // A clock running 1000x fast: a 2 ms connect reads as 2 s.
    const fast = { now: () => Date.now() * 1000, wallNow: () => Date.now() };
    const real = await run(() => ({ kind: 'accept', afterMs: 2 }), { count: 1, intervalMs: 0, timeoutMs: 300 }).result;
    const scaled = await run(() => ({ kind: 'accept', afterMs: 2 }), { count: 1, intervalMs: 0, timeoutMs: 300 }, undefined, fast).result;
    expect(scaled.connected).toBe(1);
    expect(scaled.connectSeconds[0]!).toBeGreaterThan(real.connectSeconds[0]! * 10);
    expect([real.connectSeconds[0], scaled.connectSeconds[0]]).toEqual([0.002, 2]);
  });

  it('aborts an in-flight connect at once, destroying its socket', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const t0 = Date.now();
    const { net, result: running } = run(() => ({ kind: 'silence' }), { count: 3, intervalMs: 10, timeoutMs: 5000 }, controller.signal);
    const result = await running;
    expect(Date.now() - t0).toBeLessThan(400);
    expect(Date.now() - t0).toBe(100);
    expect(result).toMatchObject({ aborted: true, count: 0, timeout: 0, lossRatio: 0 });
    expect(net.made).toHaveLength(1);
    expect(net.open()).toEqual([]);
  });

  it('aborts while waiting between connects, keeping the connects already made', async () => {
    const controller = new AbortController();
    const { net, result: running } = run(() => ({ kind: 'accept', afterMs: 1 }), { count: 5, intervalMs: 10_000, timeoutMs: 300 }, controller.signal);
    setTimeout(() => controller.abort(), 150);
    const t0 = Date.now();
    const result = await running;
    expect(Date.now() - t0).toBeLessThan(500);
    expect(Date.now() - t0).toBe(150);
    expect(result).toMatchObject({ aborted: true, count: 1, connected: 1, lossRatio: 0 });
    expect(tcpVerdict(result).success).toBe(true);
    expect(net.made).toHaveLength(1);
  });
});

describe('tcpVerdict', () => {
  const base = { count: 4, connected: 0, refused: 0, timeout: 0, unreachable: 0, error: 0, tls_untrusted: 0, tls_error: 0, connectSeconds: [], lossRatio: 0, connects: [], aborted: false, durationSeconds: 0 };
  it.each([
    [{ connected: 4 }, true, 'connected'],
    [{ connected: 2, timeout: 2 }, false, 'timeout'],
    [{ connected: 1, refused: 1, timeout: 2 }, false, 'timeout'],
    [{ refused: 2, unreachable: 2 }, false, 'refused'],
    [{ unreachable: 3, error: 1 }, false, 'unreachable'],
    [{ error: 4 }, false, 'error'],
  ])('%o -> success=%s reason=%s', (counts, success, reason) => {
    expect(tcpVerdict({ ...base, ...counts })).toEqual({ success, reason });
  });
});
