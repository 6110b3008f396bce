// The UDP sender: the addon's sendmmsg socket where it is built (CI builds it),
// the dgram fallback otherwise, labelled in every result. And what the addon
// adds: ICMP port unreachable on the unconnected socket = `port_unreachable`
// at once, where the fallback can only wait for the timeout.
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { nativeDnsUnavailable } from '../../src/native/dns-udp.ts';
import { dnsKind } from '../../src/probes/dns/kind.ts';
import { lookup, options, target } from './helpers.ts';
import { runDns } from '../../src/probes/dns/run.ts';
import { systemClock } from '../../src/probes/types.ts';
import { answerTo, TestServer } from './test-server.ts';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/** A UDP port with nothing behind it: bound once, then closed. */
async function closedPort(type: 'udp4' | 'udp6' = 'udp4'): Promise<number> {
  const s = createSocket(type);
  await new Promise<void>((resolve) => s.bind(0, type === 'udp4' ? '127.0.0.1' : '::1', resolve));
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, 'dns', ...args], { timeout: 20_000, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('UDP sender', () => {
  it('the addon is built and used: sender "sendmmsg" in the result', async () => {
    expect(nativeDnsUnavailable()).toBeUndefined();
    server = await TestServer.start((query, _raw, from, s) => s.reply(from, answerTo(query)));
    const r = await lookup(server.port, 'a.netprobe.test');
    expect(r.outcome).toBe('success');
    expect(r.sender).toBe('sendmmsg');
    expect(server.seen.map((q) => q.qtype)).toEqual(['A', 'AAAA']);
    expect(server.seen[0]!.port).toBe(server.seen[1]!.port);
  });

  it('the daemon logs the sender at start-up (the kind\'s prepare hook)', () => {
    expect(dnsKind.prepare!([])).toEqual([{ msg: 'dns udp sender', sender: 'sendmmsg' }]);
  });

  it.each(['parallel', 'sequential', 'reopen', 'single'] as const)('closed UDP port, %s: port_unreachable well before the 5 s timeout', async (mode) => {
    const port = await closedPort();
    const r = await lookup(port, 'a.netprobe.test', { mode, timeoutMs: 5000 });
    expect(r.outcome).toBe('port_unreachable');
    expect(r.queries.every((q) => q.outcome === 'port_unreachable' && q.attempts === 1)).toBe(true);
    expect(r.error).toMatch(/port unreachable/);
    expect(r.stalled).toBe(false);
    expect(r.attemptTimeouts).toBe(0);
    // Generous for a loaded machine; the timeout path would take 5 s.
    expect(r.durationSeconds).toBeLessThan(2.5);
  });

  it('closed UDP port over IPv6 (::1): port_unreachable too', async () => {
    const port = await closedPort('udp6');
    const r = await runDns(target(port, 'a.netprobe.test', '::1'), options({ timeoutMs: 5000 }), {
      signal: new AbortController().signal,
      clock: systemClock,
    });
    expect(r.outcome).toBe('port_unreachable');
    expect(r.durationSeconds).toBeLessThan(2.5);
  });

  it('wrong_source is still counted on the addon socket', async () => {
    // A second socket answers first from another port; the real server answers after.
    const intruder = createSocket('udp4');
    await new Promise<void>((resolve) => intruder.bind(0, '127.0.0.1', resolve));
    server = await TestServer.start((query, raw, from, s) => {
      const spoof = Buffer.from(raw);
      spoof.writeUInt16BE(spoof.readUInt16BE(2) | 0x8000, 2);
      intruder.send(spoof, from.port, from.address);
      setTimeout(() => s.reply(from, answerTo(query)), 20);
    });
    const r = await lookup(server.port, 'a.netprobe.test');
    intruder.close();
    expect(r.outcome).toBe('success');
    expect(r.mismatched.wrong_source).toBe(2);
  });

  it('NETPROBE_DNS_SENDER=dgram: the JS fallback, labelled, and a closed port is a timeout', async () => {
    server = await TestServer.start((query, _raw, from, s) => s.reply(from, answerTo(query)));
    const ok = await cli(['a.netprobe.test', '-s', `127.0.0.1:${server.port}`, '--json'], { NETPROBE_DNS_SENDER: 'dgram' });
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout.trim().split('\n')[0]!).sender).toBe('dgram');
    const port = await closedPort();
    const closed = await cli(['a.netprobe.test', '-s', `127.0.0.1:${port}`, '--timeout', '300ms', '--attempts', '1', '--json'], {
      NETPROBE_DNS_SENDER: 'dgram',
    });
    expect(closed.code).toBe(1);
    expect(JSON.parse(closed.stdout.trim().split('\n')[0]!).outcome).toBe('timeout');
  });
});
