// `netprobe dns` end to end: the real entry point in a child process against
// dnsmasq and the scriptable test server, all on loopback.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Dnsmasq, startDnsmasq } from '../support/dnsmasq.ts';
import { answerTo, TestServer } from './test-server.ts';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

function netprobe(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, 'dns', ...args], { timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** --json output: one object per lookup, then the summary. */
function jsonLines(stdout: string): { lookups: Record<string, any>[]; summary: Record<string, any> } {
  const objects = stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
  const summary = objects.pop()!;
  expect(summary.type).toBe('summary');
  expect(objects.every((o) => o.type === 'lookup')).toBe(true);
  return { lookups: objects, summary };
}

let dns: Dnsmasq;
let dropper: TestServer;
beforeAll(async () => {
  dns = await startDnsmasq();
  // Drops every first AAAA query of a socket: each parallel lookup stalls once.
  const seenPorts = new Set<number>();
  dropper = await TestServer.start((query, _raw, from, s) => {
    if (query.questions![0]!.type === 'AAAA' && !seenPorts.has(from.port)) {
      seenPorts.add(from.port);
      return;
    }
    s.reply(from, answerTo(query));
  });
});
afterAll(async () => {
  await dns?.stop();
  await dropper?.close();
});

describe('netprobe dns', () => {
  it('prints each lookup and a summary; exit 0 when all succeeded', async () => {
    const { code, stdout, stderr } = await netprobe('a.netprobe.test', '--server', `127.0.0.1:${dns.port}`, '-c', '3', '--interval', '10ms');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.split('\n').filter((l) => l.startsWith('seq='));
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line).toMatch(/^seq=\d success time=[\d.]+ms A=192\.0\.2\.1 AAAA=2001:db8::1$/);
    expect(stdout).toContain('3 lookups, 3 succeeded, 0 failed, 0 stalled');
    expect(stdout).toMatch(/latency min\/avg\/max\/stddev = [\d.]+ms\/[\d.]+ms\/[\d.]+ms\/[\d.]+ms/);
  });

  it('--json: one object per lookup streamed, then counts, outcomes, latency quantiles', async () => {
    const { code, stdout } = await netprobe('nope.netprobe.test', '-s', `127.0.0.1:${dns.port}`, '-c', '2', '--interval', '0s', '--mode', 'sequential', '--json');
    expect(code).toBe(1);
    const { lookups, summary: j } = jsonLines(stdout);
    expect(j).toMatchObject({ count: 2, succeeded: 0, failed: 2, stalled: 0, outcomes: { nxdomain: 2 }, mode: 'sequential', server: `127.0.0.1:${dns.port}` });
    expect(Object.keys(j.latency_seconds).sort()).toEqual(['avg', 'max', 'min', 'p50', 'p90', 'p99', 'stddev']);
    expect(j.latency_seconds.min).toBeGreaterThan(0);
    expect(j.latency_seconds.max).toBeGreaterThanOrEqual(j.latency_seconds.p99);
    expect(j.lookups).toBeUndefined();
    expect(lookups.map((l) => l.seq)).toEqual([1, 2]);
    expect(lookups[0]!.queries.map((q: { rcode: string }) => q.rcode)).toEqual(['NXDOMAIN', 'NXDOMAIN']);
  });

  it('shows stalls: parallel against a server that drops the first AAAA', async () => {
    const { code, stdout } = await netprobe('a.netprobe.test', '-s', `127.0.0.1:${dropper.port}`, '-c', '2', '--interval', '0s', '--timeout', '200ms', '--json');
    expect(code).toBe(0);
    const j = jsonLines(stdout).summary;
    expect(j).toMatchObject({ count: 2, succeeded: 2, stalled: 2, attempt_timeouts: 2 });
    expect(j.latency_seconds.min).toBeGreaterThanOrEqual(0.18); // one 200 ms timeout, 10 % for timer rounding
  });

  it('text output marks a stall', async () => {
    const { stdout } = await netprobe('a.netprobe.test', '-s', `127.0.0.1:${dropper.port}`, '--timeout', '100ms');
    expect(stdout).toMatch(/^seq=1 success time=[\d.]+ms STALLED attempt_timeouts=1 A=192\.0\.2\.7 AAAA\(2 attempts\)=2001:db8::7$/m);
    expect(stdout).toContain('1 stalled');
  });

  it('tcp and single mode', async () => {
    const { code, stdout } = await netprobe('a.netprobe.test', '-s', `127.0.0.1:${dns.port}`, '--transport', 'tcp', '--mode', 'single', '--qtype', 'aaaa');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^seq=1 success time=[\d.]+ms AAAA=2001:db8::1$/m);
  });

  it('an IPv6 server as [::1]:PORT', async () => {
    const v6 = await TestServer.start(undefined, '::1');
    try {
      const { code, stdout } = await netprobe('a.netprobe.test', '-s', `[::1]:${v6.port}`, '--json');
      expect(code).toBe(0);
      expect(jsonLines(stdout).summary).toMatchObject({ server: `[::1]:${v6.port}`, succeeded: 1 });
    } finally {
      await v6.close();
    }
  });

  it('--search/--ndots: every name of the expansion with its outcome and time, like dig +search', async () => {
    const search = 'default.svc.cluster.local,svc.cluster.local,cluster.local';
    const { code, stdout } = await netprobe('a.netprobe.test', '-s', `127.0.0.1:${dns.port}`, '--search', search, '--ndots', '5');
    expect(code).toBe(0);
    const tries = stdout.split('\n').filter((l) => / try \d\/\d /.test(l));
    expect(tries.map((l) => l.split(' ').slice(1, 5).join(' '))).toEqual([
      'try 1/4 a.netprobe.test.default.svc.cluster.local nxdomain',
      'try 2/4 a.netprobe.test.svc.cluster.local nxdomain',
      'try 3/4 a.netprobe.test.cluster.local nxdomain',
      'try 4/4 a.netprobe.test success',
    ]);
    for (const l of tries.slice(0, 3)) expect(l).toMatch(/time=[\d.]+ms A=NXDOMAIN AAAA=NXDOMAIN$/);
    expect(stdout).toMatch(/^seq=1 success time=[\d.]+ms name=a\.netprobe\.test queries=8 A=192\.0\.2\.1 AAAA=2001:db8::1$/m);
    expect(stdout).toContain('8.00 queries per lookup');
    // ndots 1: the dotted name is asked as given first and answered at once.
    const direct = await netprobe('a.netprobe.test', '-s', `127.0.0.1:${dns.port}`, '--search', search, '--json');
    const { lookups, summary } = jsonLines(direct.stdout);
    expect(lookups[0]!.candidates.map((c: { name: string }) => c.name)).toEqual(['a.netprobe.test']);
    expect(summary.queries_per_lookup).toBe(2);
  });

  it('--resolv-conf: search, ndots and options from the file (daemon parser); flags win', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'np-rc-'));
    const file = path.join(dir, 'resolv.conf');
    writeFileSync(file, 'nameserver 127.0.0.1\nsearch svc.cluster.local cluster.local\noptions ndots:5 timeout:1 attempts:1 single-request\n');
    try {
      const { code, stdout } = await netprobe('kubernetes.default', '-s', `127.0.0.1:${dns.port}`, '--resolv-conf', file);
      expect(code).toBe(0);
      expect(stdout).toContain('udp, mode sequential, A+AAAA, timeout 1s x 1 attempts, search svc.cluster.local,cluster.local ndots 5');
      expect(stdout).toMatch(/try 1\/1 kubernetes\.default\.svc\.cluster\.local success/);
      const flags = await netprobe('kubernetes.default', '-s', `127.0.0.1:${dns.port}`, '--resolv-conf', file, '--mode', 'parallel', '--ndots', '1', '--json');
      const { summary } = jsonLines(flags.stdout);
      expect(summary).toMatchObject({ mode: 'parallel', ndots: 1, timeout_seconds: 1, attempts: 1, search: ['svc.cluster.local', 'cluster.local'] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [['a.netprobe.test', '-s', '127.0.0.1', '--ndots', '16'], 'netprobe dns: --ndots: expected a whole number from 0 to 15, got "16"'],
    [['a.netprobe.test', '-s', '127.0.0.1', '--search', 'ok.test,bad..dom'], 'netprobe dns: --search: "bad..dom": invalid DNS name "bad..dom": every label must be 1-63 bytes'],
    [['a.netprobe.test', '--resolv-conf', '/nonexistent/resolv.conf'], 'netprobe dns: --resolv-conf: cannot read "/nonexistent/resolv.conf": ENOENT'],
    [['a.netprobe.test'], 'netprobe dns: --server: required: the IP[:PORT] of the DNS server to query'],
    [['a.netprobe.test', '-s', 'dns.example'], 'netprobe dns: --server: expected IP[:PORT] (an address, not a hostname), got "dns.example"'],
    [['a.netprobe.test', '-s', '127.0.0.1', '--timeout', 'abc'], 'netprobe dns: --timeout: expected a duration such as "5s", got "abc"'],
    [['a.netprobe.test', '-s', '127.0.0.1', '--interval', '5'], 'netprobe dns: --interval: expected a duration such as "1s" or "200ms", got "5"'],
    [['a.netprobe.test', '-s', '127.0.0.1', '--count', '0'], 'netprobe dns: --count: expected a whole number from 1 to 10000, got "0"'],
    [['a.netprobe.test', '-s', '127.0.0.1', '--attempts', 'two'], 'netprobe dns: --attempts: expected a whole number from 1 to 10, got "two"'],
    [['a.netprobe.test', '-s', '127.0.0.1', '--mode', 'burst'], 'netprobe dns: --mode: expected one of single, parallel, sequential, reopen, got "burst"'],
    [['a.netprobe.test', '-s', '127.0.0.1', '--transport', 'quic'], 'netprobe dns: --transport: expected one of udp, tcp, got "quic"'],
    [['a.netprobe.test', '-s', '127.0.0.1', '--qtype', 'A,ANY'], 'netprobe dns: --qtype: expected a comma-separated list of A, AAAA, SRV, TXT, MX, NS, SOA, CNAME, PTR, got "A,ANY"'],
    [['bad..name', '-s', '127.0.0.1'], 'netprobe dns: NAME: invalid DNS name "bad..name": every label must be 1-63 bytes'],
  ])('bad usage %j: exit 2 and names the flag', async (args, message) => {
    const { code, stdout, stderr } = await netprobe(...args);
    expect(code).toBe(2);
    expect(stderr.trim()).toBe(message);
    expect(stdout).toBe('');
  });

  it('an unknown flag is a usage error too (exit 2)', async () => {
    const { code, stderr } = await netprobe('a.netprobe.test', '-s', '127.0.0.1', '--bogus');
    expect(code).toBe(2);
    expect(stderr).toContain("unknown option '--bogus'");
  });
});
