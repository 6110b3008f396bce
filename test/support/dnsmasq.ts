// The one helper for dnsmasq, Debian's DNS server, in tests and benches. It
// reads no config file, no /etc/hosts and no /etc/resolv.conf and has no
// upstream outside the test's own servers, so it never sends a packet beyond
// loopback or the lab. Two ways in:
// - startDnsmasq(): a server on 127.0.0.1, a free port, UDP and TCP, for
//   tests and benches on the host;
// - dnsmasqArgv(): the command line, for the lab to run inside a network
//   namespace (test/lab/harness/service-vip.ts), with its own records.
//
// On the host:
//
//   const dns = await startDnsmasq();          // default zone below
//   ... query 127.0.0.1:dns.port ...
//   await dns.stop();
//
// Default records (zone netprobe.test and cluster.local, both local-only, so
// unknown names there are NXDOMAIN and names elsewhere are REFUSED):
//   a.netprobe.test        A 192.0.2.1, AAAA 2001:db8::1
//   v4only.netprobe.test   A 192.0.2.2 (AAAA: NODATA)
//   alias.netprobe.test    CNAME a.netprobe.test
//   big.netprobe.test      TXT, 4 strings of 200 bytes (> 512: truncated over UDP)
//   kubernetes.default.svc.cluster.local  A 198.18.0.1
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { decode, encode } from 'dns-packet';

export const DNSMASQ = '/usr/sbin/dnsmasq';

export interface DnsRecord {
  /** Fully qualified name without the trailing dot. */
  name: string;
  a?: string;
  aaaa?: string;
}

/** The lab's zones answered authoritatively (unknown names there get NXDOMAIN, not a forward). */
export const LOCAL_ZONES = ['cluster.local', 'lab'] as const;

export interface DnsmasqArgvOptions {
  listen: string;
  port?: number;
  records: readonly DnsRecord[];
  /** Zones answered locally; default LOCAL_ZONES. */
  localZones?: readonly string[];
  /** Zones forwarded to another test server ("upstream"), e.g. { zone: 'lab', server: '198.18.0.6' }. */
  forwardZones?: readonly { zone: string; server: string }[];
  logQueries?: boolean;
  /** Keep dnsmasq's answer cache (default off: every lookup reaches the server path). */
  cache?: boolean;
  /** More arguments (records dnsmasqArgv has no field for: CNAME, TXT...). */
  extraArgs?: readonly string[];
}

/** dnsmasq's command line (argv[0] 'dnsmasq'): foreground, local records only, logs on stderr. */
export function dnsmasqArgv(options: DnsmasqArgvOptions): string[] {
  const argv = [
    'dnsmasq',
    '--keep-in-foreground',
    '--conf-file=/dev/null',
    '--no-hosts',
    '--no-resolv',
    '--no-poll',
    '--pid-file=',
    // As root, stay root: the default "nobody" switch is pointless in a test and needs /etc setup.
    ...(process.getuid?.() === 0 ? ['--user=root', '--group=root'] : []),
    '--log-facility=-',
    '--bind-interfaces',
    `--listen-address=${options.listen}`,
    `--port=${options.port ?? 53}`,
    ...(options.cache ? [] : ['--cache-size=0']),
  ];
  for (const zone of options.localZones ?? LOCAL_ZONES) argv.push(`--local=/${zone}/`);
  // Only test addresses: the forward target is another dnsmasq of the same test.
  for (const { zone, server } of options.forwardZones ?? []) argv.push(`--server=/${zone}/${server}`);
  for (const record of options.records) {
    const addresses = [record.a, record.aaaa].filter((a): a is string => a !== undefined);
    if (addresses.length === 0) throw new Error(`dns record ${record.name} has neither A nor AAAA`);
    argv.push(`--host-record=${record.name},${addresses.join(',')}`);
  }
  if (options.logQueries) argv.push('--log-queries');
  argv.push(...(options.extraArgs ?? []));
  return argv;
}
export const BIG_TXT_STRINGS = ['a', 'b', 'c', 'd'].map((c) => c.repeat(200));

export interface DnsmasqOptions {
  /** Extra dnsmasq arguments (e.g. more --host-record=...). */
  extraArgs?: string[];
  /** Replace the default records entirely. */
  noDefaultRecords?: boolean;
}

export interface Dnsmasq {
  host: '127.0.0.1';
  port: number;
  pid: number;
  /** Sends SIGTERM and waits for exit (SIGKILL after 3 s); idempotent. */
  stop(): Promise<void>;
}

/** The host server's default zones and records (see the top of the file). */
const DEFAULT_ZONES = ['netprobe.test', 'cluster.local'];
const DEFAULT_RECORDS: readonly DnsRecord[] = [
  { name: 'a.netprobe.test', a: '192.0.2.1', aaaa: '2001:db8::1' },
  { name: 'v4only.netprobe.test', a: '192.0.2.2' },
  { name: 'kubernetes.default.svc.cluster.local', a: '198.18.0.1' },
];
const DEFAULT_EXTRA = ['--cname=alias.netprobe.test,a.netprobe.test', `--txt-record=big.netprobe.test,${BIG_TXT_STRINGS.join(',')}`];

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export async function startDnsmasq(options: DnsmasqOptions = {}): Promise<Dnsmasq> {
  if (!existsSync(DNSMASQ)) throw new Error(`${DNSMASQ} not found: install the Debian package dnsmasq (the test command does)`);
  let lastError: Error | undefined;
  // A port free a moment ago can be taken by a parallel test file: retry.
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    try {
      return await launch(port, options);
    } catch (error) {
      lastError = error as Error;
    }
  }
  throw lastError ?? new Error('dnsmasq did not start');
}

async function launch(port: number, options: DnsmasqOptions): Promise<Dnsmasq> {
  const defaults = !options.noDefaultRecords;
  const argv = dnsmasqArgv({
    listen: '127.0.0.1',
    port,
    records: defaults ? DEFAULT_RECORDS : [],
    localZones: defaults ? DEFAULT_ZONES : [],
    cache: true,
    extraArgs: [...(defaults ? DEFAULT_EXTRA : []), ...(options.extraArgs ?? [])],
  });
  const args = argv.slice(1);
  const child = spawn(DNSMASQ, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    if (stderr.length < 10_000) stderr += chunk.toString();
  });
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      running.delete(child);
      resolve();
    });
  });
  const stop = async (): Promise<void> => {
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exit;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`dnsmasq exited at start: ${stderr.trim()}`);
    if (await answers(port)) return { host: '127.0.0.1', port, pid: child.pid!, stop };
  }
  await stop();
  throw new Error(`dnsmasq did not answer on 127.0.0.1:${port} within 5 s: ${stderr.trim()}`);
}

/** One readiness query (100 ms budget); true once dnsmasq answers anything. */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.close();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 100);
    socket.on('error', () => done(false));
    socket.on('message', (msg) => {
      try {
        done(decode(msg).id === 4242);
      } catch {
        done(false);
      }
    });
    socket.send(encode({ id: 4242, type: 'query', questions: [{ name: 'ready.netprobe.test', type: 'A' }] }), port, '127.0.0.1');
  });
}

/** A port free on 127.0.0.1 for both TCP and UDP at the time of the call. */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < 20; tries++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const socket = createSocket('udp4');
      socket.once('error', () => resolve(false));
      socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
  throw new Error('no port free for both TCP and UDP on 127.0.0.1 after 20 tries');
}
