// The connector addon (native/tcp_connect.c) against node:net on real
// loopback sockets: the same outcome, errno and address for every case the
// kernel can produce here, sockets closed after every ending (answer,
// timeout, abort), many checks in flight at once, and a connect that fails
// at once. The daemon runs plain checks of IP addresses through the addon;
// node:net stays for TLS, host names and the test seam.
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nativeTcpUnavailable, openNativeTcpSockets, sharedConnector } from '../../src/native/tcp-connect.ts';
import { connectOnce } from '../../src/probes/tcp/run.ts';
import type { TcpConnectResult } from '../../src/probes/tcp/types.ts';
import { systemClock } from '../../src/probes/types.ts';
import { listen, useLoopbackEndpoints } from './loopback.ts';

const ports = useLoopbackEndpoints({ beforeAll, afterAll });
const ctx = () => ({ signal: new AbortController().signal, clock: systemClock });
const viaNet = () => ({ ...ctx(), connect: (o: { host: string; port: number }) => net.connect(o) });

// The addon is built by npm ci; a missing one is a broken install, not a reason to skip.
it('the connector addon loads', () => {
  expect(nativeTcpUnavailable()).toBeUndefined();
  expect(sharedConnector()).toBe(sharedConnector());
});

describe('connector addon vs node:net on loopback', () => {
  const ipv6 = net.isIPv6('::1') && spawnSync('ip', ['-6', 'addr', 'show', 'dev', 'lo']).stdout?.toString().includes('::1');
  const cases = [
    { name: 'a listening server', port: () => ports.openPort, outcome: 'connected' },
    { name: 'a port bound then closed', port: () => ports.refusedPort, outcome: 'refused', detail: 'ECONNREFUSED' },
    { name: 'a listener whose SYNs are dropped', port: () => ports.holePort, outcome: 'timeout' },
  ] as const;

  it.each(cases)('$name: $outcome through both, the addon timing it', async ({ port, outcome, ...rest }) => {
    const target = { host: '127.0.0.1', port: port() };
    const before = openNativeTcpSockets();
    const [addon, reference] = await Promise.all([connectOnce(target, 1, 300, ctx()), connectOnce(target, 2, 300, viaNet())]);
    const strip = (r: TcpConnectResult | undefined) => ({ outcome: r?.outcome, detail: r?.detail, address: r?.address });
    expect(strip(addon)).toEqual({ outcome, detail: 'detail' in rest ? rest.detail : undefined, address: '127.0.0.1' });
    expect(strip(addon)).toEqual(strip(reference));
    expect(addon!.seconds).toBeGreaterThan(0);
    // Loopback answers in microseconds; a timeout is ours at 0.3 s, never the kernel's minutes.
    expect(addon!.seconds).toBeLessThan(outcome === 'timeout' ? 3 : 0.5);
    if (outcome === 'timeout') expect(addon!.seconds).toBeGreaterThanOrEqual(0.29);
    expect(openNativeTcpSockets()).toBe(before);
  });

  it.runIf(ipv6)('IPv6: connected and refused on ::1 as node:net says', async () => {
    const { server, port } = await listen('::1');
    try {
      for (const p of [port, ports.refusedPort]) {
        const target = { host: '::1', port: p };
        const [addon, reference] = await Promise.all([connectOnce(target, 1, 500, ctx()), connectOnce(target, 1, 500, viaNet())]);
        expect(addon?.outcome).toBe(reference?.outcome);
        expect(addon?.address).toBe('::1');
      }
    } finally {
      server.close();
    }
  });
});

describe('connector addon bookkeeping', () => {
  it('holds a socket while a check is in flight and closes it on abort', async () => {
    const before = openNativeTcpSockets();
    const controller = new AbortController();
    const pending = connectOnce({ host: '127.0.0.1', port: ports.holePort }, 1, 5000, { signal: controller.signal, clock: systemClock });
    expect(openNativeTcpSockets()).toBe(before + 1);
    expect(sharedConnector()!.inFlight).toBeGreaterThanOrEqual(1);
    controller.abort();
    // An aborted connect says nothing about the network: no result, and no socket left.
    await expect(pending).resolves.toBeUndefined();
    expect(openNativeTcpSockets()).toBe(before);
  });

  it('600 checks in flight at once (more than one batch of results) all answer, each once', async () => {
    const before = openNativeTcpSockets();
    const results = await Promise.all(
      Array.from({ length: 600 }, (_, i) => connectOnce({ host: '127.0.0.1', port: i % 2 ? ports.openPort : ports.refusedPort }, i, 3000, ctx())),
    );
    expect(results.filter((r) => r?.outcome === 'connected')).toHaveLength(300);
    expect(results.filter((r) => r?.outcome === 'refused')).toHaveLength(300);
    expect(results.map((r) => r?.seq)).toEqual(Array.from({ length: 600 }, (_, i) => i));
    expect(openNativeTcpSockets()).toBe(before);
    expect(sharedConnector()!.inFlight).toBe(0);
  });
});

// Needs root for a private network namespace (`unshare -n`) in which even loopback is down.
// Without root: skipped here, a failure in CI (CI=true).
const CHILD = fileURLToPath(new URL('./fixtures/unreachable-child.ts', import.meta.url));
const canUnshare = spawnSync('unshare', ['-n', 'true']).status === 0;
it.runIf(canUnshare || process.env.CI === 'true')('a connect that fails at once (no route): unreachable at once, as node:net says', () => {
  expect(canUnshare, 'unshare -n failed (needs root)').toBe(true);
  const child = spawnSync('unshare', ['-n', process.execPath, CHILD], { encoding: 'utf8', timeout: 15_000 });
  expect(child.stderr).toBe('');
  const { addon, viaNet: reference } = JSON.parse(child.stdout) as Record<string, TcpConnectResult>;
  expect(addon).toMatchObject({ outcome: 'unreachable', detail: 'ENETUNREACH', address: '127.0.0.1' });
  expect(addon!.seconds).toBeLessThan(1);
  expect({ ...addon, seconds: 0 }).toEqual({ ...reference, seconds: 0 });
});
