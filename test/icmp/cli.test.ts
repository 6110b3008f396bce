// `netprobe mtu` as a user runs it: flag validation (exit 2 naming the flag)
// and a loopback search (root: raw socket) with --json.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.ts');
const isRoot = process.getuid?.() === 0;
if (!isRoot && process.env.CI === 'true') throw new Error('netprobe mtu CLI tests need root (raw ICMP socket) and must run in CI');

function netprobe(...args: string[]) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('netprobe mtu: bad flags', () => {
  it.each([
    [['--min', '20'], /--min: expected an IP packet size from 28 to 65535 bytes, got "20"/],
    [['--max', '70000'], /--max: expected an IP packet size/],
    [['--min', '2000', '--max', '1000'], /--min: 2000 is above --max 1000/],
    [['--sizes', '1400,,1500'], /--sizes: expected a comma-separated list/],
    [['--sizes', '1400,big'], /--sizes: expected an IP packet size .* got "big"/],
    [['--timeout', '5'], /--timeout: expected a duration/],
    [['--attempts', '0'], /--attempts: expected a whole number from 1 to 5/],
    [['--parallel', '100'], /--parallel: expected a whole number from 1 to 64/],
    [['--socket', 'tcp'], /--socket: expected auto, raw or dgram/],
    [['--expected', 'x'], /--expected: expected an IP packet size/],
  ])('%j -> exit 2 naming the flag', (flags, message) => {
    const r = netprobe('mtu', '127.0.0.1', ...flags);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('an unknown option is a usage error too', () => {
    const r = netprobe('mtu', '127.0.0.1', '--bogus');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--bogus'/);
  });

  it('a host that is not a host name is a usage error', () => {
    const r = netprobe('mtu', 'not a host');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/HOST: expected an IPv4 or IPv6 address or a host name/);
  });
});

describe.skipIf(!isRoot)('netprobe mtu on loopback', () => {
  it('--json: ceiling, black hole, frag-needed, probes sent; progress on stderr', () => {
    const r = netprobe('mtu', '127.0.0.1', '--min', '100', '--max', '3000', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ ceiling_bytes: 3000, blackhole: false, frag_needed: [], socket: 'raw', result: 'ok' });
    expect(out.probes_sent).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/searching 100\.\.3000 bytes/);
    expect(r.stderr).toMatch(/3000 B {2}answered/);
  });

  it('--sizes walks the sizes and prints a summary', () => {
    const r = netprobe('mtu', '127.0.0.1', '--sizes', '84,1500', '-c', '3');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/path MTU ceiling to 127\.0\.0\.1: 1500 bytes/);
    expect(r.stdout).toMatch(/black hole: no/);
    expect(r.stdout).toMatch(/probes sent: 6,/);
  });
});
