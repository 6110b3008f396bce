// `netprobe tcp` end to end: the real entry point in a child process against
// real loopback sockets.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, useLoopbackEndpoints } from './loopback.ts';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

function netprobe(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const ports = useLoopbackEndpoints({ beforeAll, afterAll });

describe('netprobe tcp', () => {
  it('prints each connect like paping and a summary, exit 0 when all connected', async () => {
    const { code, stdout } = await netprobe('tcp', `127.0.0.1:${ports.openPort}`, '-c', '3', '--interval', '50ms');
    expect(code).toBe(0);
    const lines = stdout.split('\n').filter((l) => l.startsWith('Connected to'));
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line).toMatch(new RegExp(`^Connected to 127\\.0\\.0\\.1: time=\\d+\\.\\d{2}ms protocol=TCP port=${ports.openPort}$`));
    expect(stdout).toContain('Attempted = 3, Connected = 3, Failed = 0 (0.00%)');
    expect(stdout).toMatch(/Minimum = \d+\.\d{2}ms, Maximum = \d+\.\d{2}ms, Average = \d+\.\d{2}ms/);
  });

  it('reports refused connects with loss and exit 1', async () => {
    const { code, stdout } = await netprobe('tcp', `127.0.0.1:${ports.refusedPort}`, '-c', '2', '--interval', '0s');
    expect(code).toBe(1);
    expect(stdout.match(/^Connection refused by 127\.0\.0\.1: time=/gm)).toHaveLength(2);
    expect(stdout).toContain('Attempted = 2, Connected = 0, Failed = 2 (100.00%)');
    expect(stdout).toContain('Refused = 2, Timed out = 0, Unreachable = 0, Errors = 0');
  });

  it('--json gives counts, loss ratio and connect-time quantiles', async () => {
    const { code, stdout } = await netprobe('tcp', `127.0.0.1:${ports.openPort}`, '-c', '4', '--interval', '0s', '--json');
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out).toMatchObject({ target: `127.0.0.1:${ports.openPort}`, count: 4, connected: 4, refused: 0, timeout: 0, loss_ratio: 0 });
    const { min, p50, max } = out.connect_seconds;
    expect(min).toBeGreaterThan(0);
    expect(min).toBeLessThanOrEqual(p50);
    expect(p50).toBeLessThanOrEqual(max);
    expect(max).toBeLessThan(1); // loopback, but on a loaded machine; a timeout would be 2 s
    expect(out.connects.map((c: { result: string }) => c.result)).toEqual(['connected', 'connected', 'connected', 'connected']);
  });

  it('--json counts timeouts (SYN dropped) with null connect times, exit 1', async () => {
    const { code, stdout } = await netprobe('tcp', `127.0.0.1:${ports.holePort}`, '-c', '2', '--interval', '0s', '--timeout', '200ms', '--json');
    expect(code).toBe(1);
    const out = JSON.parse(stdout);
    expect(out).toMatchObject({ count: 2, connected: 0, timeout: 2, loss_ratio: 1, connect_seconds: { min: null, p50: null, max: null } });
    // About the 200 ms timeout; the clock starts after the connect call, the timer before it.
    for (const c of out.connects) expect(c.seconds).toBeGreaterThanOrEqual(0.15);
  });

  it('takes a bracketed IPv6 target and reports the address it connected to', async () => {
    const { server: v6, port } = await listen('::1');
    try {
      const { code, stdout } = await netprobe('tcp', `[::1]:${port}`, '-c', '1', '--json');
      expect(code).toBe(0);
      expect(JSON.parse(stdout)).toMatchObject({ target: `[::1]:${port}`, host: '::1', port, connected: 1, connects: [{ address: '::1' }] });
    } finally {
      v6.close();
    }
  });

  it.each([
    [['-c', 'abc'], '--count: expected a whole number from 1 to 1000, got "abc"'],
    [['-c', '0'], '--count: expected a whole number from 1 to 1000, got "0"'],
    [['--interval', 'soon'], '--interval: expected a duration such as "1s" or "200ms", got "soon"'],
    [['--timeout', '0s'], '--timeout: expected a duration greater than zero such as "2s" or "500ms", got "0s"'],
    [['--timeout', '5'], '--timeout: expected a duration greater than zero such as "2s" or "500ms", got "5"'],
  ])('exits 2 on bad flags %j naming the flag and value', async (flags, message) => {
    const { code, stderr, stdout } = await netprobe('tcp', `127.0.0.1:${ports.openPort}`, ...flags);
    expect(code).toBe(2);
    expect(stderr).toContain(`netprobe tcp: ${message}`);
    expect(stdout).toBe('');
  });

  it('exits 2 on a target without a port, and on an unknown flag', async () => {
    const noPort = await netprobe('tcp', '127.0.0.1');
    expect(noPort.code).toBe(2);
    expect(noPort.stderr).toContain('netprobe tcp: HOST:PORT: expected HOST:PORT with a port from 1 to 65535, got "127.0.0.1"');
    const unknown = await netprobe('tcp', `127.0.0.1:${ports.openPort}`, '--bogus');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--bogus'");
  });
});
