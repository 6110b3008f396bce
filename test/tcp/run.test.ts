import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tcpTarget } from '../../src/probes/tcp/targets.ts';
import { tcpVerdict } from '../../src/probes/tcp/verdict.ts';
import { runTcp } from '../../src/probes/tcp/run.ts';
import type { TcpOutcome } from '../../src/probes/tcp/types.ts';
import { systemClock } from '../../src/probes/types.ts';
import { leftoverHandles, useLoopbackEndpoints } from './loopback.ts';

const ctx = () => ({ signal: new AbortController().signal, clock: systemClock });

const ports = useLoopbackEndpoints({ beforeAll, afterAll });

describe('runTcp on loopback', () => {
  const cases: { name: string; port: () => number; outcome: TcpOutcome; detail?: string; minSeconds: number; maxSeconds: number }[] = [
    { name: 'a listening server', port: () => ports.openPort, outcome: 'connected', minSeconds: 0, maxSeconds: 0.1 },
    { name: 'a port bound then closed', port: () => ports.refusedPort, outcome: 'refused', detail: 'ECONNREFUSED', minSeconds: 0, maxSeconds: 0.1 },
    { name: 'a listener whose SYNs are dropped', port: () => ports.holePort, outcome: 'timeout', minSeconds: 0.29, maxSeconds: 0.6 },
  ];

  it.each(cases)('reports $outcome for $name', async ({ port, outcome, detail, minSeconds, maxSeconds }) => {
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
      expect(c.seconds).toBeLessThan(maxSeconds);
    }
    expect(tcpVerdict(result)).toEqual({ success: outcome === 'connected', reason: outcome });
  });

  it('paces connect starts by the interval and aggregates counts', async () => {
    const result = await runTcp(tcpTarget('127.0.0.1', ports.openPort), { count: 4, intervalMs: 100, timeoutMs: 300 }, ctx());
    expect(result.connected).toBe(4);
    // Three intervals between four starts; far less than 4 x timeout.
    expect(result.durationSeconds).toBeGreaterThanOrEqual(0.27);
    expect(result.durationSeconds).toBeLessThan(1.2);
    expect(result.connectSeconds).toEqual(result.connects.map((c) => c.seconds));
  });

  it('times connects with the context clock', async () => {
    // A clock running 1000x fast: a sub-millisecond loopback connect reads as clearly > 0.01 s.
    const fast = { now: () => performance.now() * 1000, wallNow: () => Date.now() };
    const real = await runTcp(tcpTarget('127.0.0.1', ports.openPort), { count: 1, intervalMs: 0, timeoutMs: 300 }, ctx());
    const scaled = await runTcp(tcpTarget('127.0.0.1', ports.openPort), { count: 1, intervalMs: 0, timeoutMs: 300 }, {
      signal: new AbortController().signal,
      clock: fast,
    });
    expect(scaled.connected).toBe(1);
    expect(scaled.connectSeconds[0]!).toBeGreaterThan(real.connectSeconds[0]! * 10);
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

  it('aborts while waiting between connects, keeping the connects already made', async () => {
    const controller = new AbortController();
    const running = runTcp(tcpTarget('127.0.0.1', ports.openPort), { count: 5, intervalMs: 10_000, timeoutMs: 300 }, {
      signal: controller.signal,
      clock: systemClock,
    });
    setTimeout(() => controller.abort(), 150);
    const t0 = performance.now();
    const result = await running;
    expect(performance.now() - t0).toBeLessThan(500);
    expect(result).toMatchObject({ aborted: true, count: 1, connected: 1, lossRatio: 0 });
    expect(tcpVerdict(result).success).toBe(true);
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
