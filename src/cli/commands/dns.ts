// `netprobe dns NAME --server IP[:PORT]`: the run-once path of the dns probe.
// Prints one line per lookup and a summary (or one JSON object), so an
// operator can watch for the 5-second stall and compare resolver modes.
import { isIP } from 'node:net';
import { Command, Option } from 'commander';
import { parseHostPort } from '../../config/common.ts';
import { classify } from '../../probes/dns/config.ts';
import { runDns } from '../../probes/dns/run.ts';
import { serverLabel } from '../../probes/dns/targets.ts';
import { DNS_MODES, DNS_TRANSPORTS, type DnsMode, type DnsOptions, type DnsResult, type DnsTarget, type DnsTransport } from '../../probes/dns/types.ts';
import { checkName } from '../../probes/dns/wire.ts';
import { systemClock } from '../../probes/types.ts';
import { parseDuration } from '../../util/durations.ts';
import { summarize } from '../../util/stats.ts';
import { UsageError, action } from '../errors.ts';

const MAX_COUNT = 10_000;
const QTYPES = ['A', 'AAAA', 'SRV', 'TXT', 'MX', 'NS', 'SOA', 'CNAME', 'PTR'];

interface DnsFlags {
  server?: string;
  transport: string;
  mode: string;
  qtype: string;
  count: string;
  interval: string;
  timeout: string;
  attempts: string;
  tcpFallback: boolean;
  json?: boolean;
}

export function dnsCommand(): Command {
  return new Command('dns')
    .description('resolve NAME against one DNS server as a pod resolver would (modes, timeout, attempts), COUNT times; exit 0 only if every lookup succeeded')
    .argument('<name>', 'name to look up, e.g. kubernetes.default.svc.cluster.local')
    .option('-s, --server <ip[:port]>', 'DNS server to query (required: the machine resolver is never used by default)')
    .addOption(new Option('--transport <transport>', `${DNS_TRANSPORTS.join(' | ')}`).default('udp'))
    .addOption(new Option('--mode <mode>', `${DNS_MODES.join(' | ')} (what goes on the wire, see docs)`).default('parallel'))
    .option('--qtype <types>', `comma-separated query types (${QTYPES.join(',')})`, 'A,AAAA')
    .option('-c, --count <n>', `lookups to make (1-${MAX_COUNT})`, '1')
    .option('--interval <duration>', 'time between lookup starts (lookups never overlap)', '1s')
    .option('--timeout <duration>', 'per-attempt timeout (resolv.conf options timeout:)', '5s')
    .option('--attempts <n>', 'attempts per query (resolv.conf options attempts:), 1-10', '2')
    .option('--no-tcp-fallback', 'take a truncated UDP answer as it is instead of retrying over TCP')
    .option('--json', 'print one JSON object (latency_seconds over lookups that got an answer)')
    .action(
      action('dns', async (name: string, flags: DnsFlags) => {
        const { target, options, count, intervalMs } = parseDnsArgs(name, flags);
        const controller = new AbortController();
        // Ctrl-C ends the run early and still prints the summary so far.
        const onSigint = (): void => controller.abort();
        process.once('SIGINT', onSigint);
        const lookups: DnsResult[] = [];
        if (!flags.json) process.stdout.write(`${header(target, options)}\n\n`);
        try {
          for (let i = 0; i < count && !controller.signal.aborted; i++) {
            const started = performance.now();
            const result = await runDns(target, options, { signal: controller.signal, clock: systemClock });
            lookups.push(result);
            if (!flags.json) process.stdout.write(`${formatLookup(i + 1, result)}\n`);
            if (i + 1 < count) await sleep(intervalMs - (performance.now() - started), controller.signal);
          }
        } finally {
          process.removeListener('SIGINT', onSigint);
        }
        const summary = summarizeLookups(target, options, lookups);
        process.stdout.write(flags.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(target, summary, controller.signal.aborted));
        return lookups.length > 0 && summary.succeeded === lookups.length ? 0 : 1;
      }),
    );
}

/** Validates the argument and flags; every problem names the flag and the value given. */
export function parseDnsArgs(name: string, flags: DnsFlags): { target: DnsTarget; options: DnsOptions; count: number; intervalMs: number } {
  try {
    checkName(name);
  } catch (error) {
    throw new UsageError(`NAME: ${(error as Error).message}`);
  }
  if (flags.server === undefined) throw new UsageError('--server: required: the IP[:PORT] of the DNS server to query');
  const server = parseHostPort(flags.server.trim(), 53);
  if (!server || isIP(server.host) === 0) throw new UsageError(`--server: expected IP[:PORT] (an address, not a hostname), got "${flags.server}"`);
  if (!(DNS_TRANSPORTS as readonly string[]).includes(flags.transport)) {
    throw new UsageError(`--transport: expected one of ${DNS_TRANSPORTS.join(', ')}, got "${flags.transport}"`);
  }
  if (!(DNS_MODES as readonly string[]).includes(flags.mode)) throw new UsageError(`--mode: expected one of ${DNS_MODES.join(', ')}, got "${flags.mode}"`);
  const qtypes = flags.qtype.split(',').map((q) => q.trim().toUpperCase());
  if (qtypes.some((q) => !QTYPES.includes(q))) throw new UsageError(`--qtype: expected a comma-separated list of ${QTYPES.join(', ')}, got "${flags.qtype}"`);
  const count = wholeNumber('--count', flags.count, 1, MAX_COUNT);
  const attempts = wholeNumber('--attempts', flags.attempts, 1, 10);
  const intervalMs = parseDuration(flags.interval);
  if (intervalMs === undefined) throw new UsageError(`--interval: expected a duration such as "1s" or "200ms", got "${flags.interval}"`);
  const timeoutMs = parseDuration(flags.timeout);
  if (timeoutMs === undefined || timeoutMs <= 0) throw new UsageError(`--timeout: expected a duration such as "5s", got "${flags.timeout}"`);
  const label = serverLabel(server);
  const transport = flags.transport as DnsTransport;
  return {
    target: { id: `${transport}://${label}/${name}`, label, kind: 'cli', node: '', server, name, nameClass: classify(name) },
    options: { transport, mode: flags.mode as DnsMode, qtypes, timeoutMs, attempts, tcpFallback: flags.tcpFallback, search: [], ndots: 1 },
    count,
    intervalMs,
  };
}

function wholeNumber(flag: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < min || n > max) throw new UsageError(`${flag}: expected a whole number from ${min} to ${max}, got "${text}"`);
  return n;
}

function header(target: DnsTarget, o: DnsOptions): string {
  const qtypes = o.mode === 'single' ? o.qtypes.slice(0, 1) : o.qtypes;
  return `DNS ${target.name} via ${target.label}: ${o.transport}, mode ${o.mode}, ${qtypes.join('+')}, timeout ${o.timeoutMs / 1000}s x ${o.attempts} attempts`;
}

function ms(seconds: number): string {
  return `${(seconds * 1000).toFixed(2)}ms`;
}

/** "seq=2 success time=5003.10ms STALLED attempt_timeouts=1 A=192.0.2.1 AAAA(2 attempts)=2001:db8::1". */
export function formatLookup(seq: number, r: DnsResult): string {
  const parts = [`seq=${seq}`, r.outcome, `time=${ms(r.durationSeconds)}`];
  if (r.stalled) parts.push('STALLED');
  if (r.attemptTimeouts > 0) parts.push(`attempt_timeouts=${r.attemptTimeouts}`);
  if (r.tcpFallbacks > 0) parts.push(`tcp_fallbacks=${r.tcpFallbacks}`);
  const mismatched = Object.entries(r.mismatched).map(([k, v]) => `${k}:${v}`);
  if (mismatched.length > 0) parts.push(`mismatched=${mismatched.join(',')}`);
  for (const q of r.queries) {
    const tries = q.attempts > 1 ? `(${q.attempts} attempts)` : '';
    const value = q.outcome === 'success' ? (q.answers.length > 0 ? q.answers.join(',') : 'NODATA') : q.rcode || q.outcome.toUpperCase();
    parts.push(`${q.qtype}${tries}=${value}`);
  }
  if (r.error) parts.push(`(${r.error})`);
  return parts.join(' ');
}

function summarizeLookups(target: DnsTarget, o: DnsOptions, lookups: DnsResult[]) {
  const outcomes: Record<string, number> = {};
  const mismatched: Record<string, number> = {};
  let attemptTimeouts = 0;
  let tcpFallbacks = 0;
  for (const r of lookups) {
    outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
    attemptTimeouts += r.attemptTimeouts;
    tcpFallbacks += r.tcpFallbacks;
    for (const [k, v] of Object.entries(r.mismatched)) mismatched[k] = (mismatched[k] ?? 0) + v;
  }
  // Time to an answer; a timeout's duration is when we gave up, not a latency.
  const latency = summarize(lookups.filter((r) => r.outcome !== 'timeout' && r.outcome !== 'network_error').map((r) => r.durationSeconds));
  const succeeded = outcomes.success ?? 0;
  return {
    name: target.name,
    server: target.label,
    transport: o.transport,
    mode: o.mode,
    qtypes: o.mode === 'single' ? o.qtypes.slice(0, 1) : o.qtypes,
    timeout_seconds: o.timeoutMs / 1000,
    attempts: o.attempts,
    count: lookups.length,
    succeeded,
    failed: lookups.length - succeeded,
    stalled: lookups.filter((r) => r.stalled).length,
    outcomes,
    attempt_timeouts: attemptTimeouts,
    mismatched,
    tcp_fallbacks: tcpFallbacks,
    latency_seconds: latency
      ? { min: latency.min, avg: latency.avg, stddev: latency.stddev, p50: latency.p50, p90: latency.p90, p99: latency.p99, max: latency.max }
      : null,
    lookups,
  };
}

type Summary = ReturnType<typeof summarizeLookups>;

function formatSummary(target: DnsTarget, s: Summary, interrupted: boolean): string {
  const failures = Object.entries(s.outcomes)
    .filter(([k]) => k !== 'success')
    .map(([k, v]) => `${k} ${v}`);
  const lines = [
    '',
    `--- ${target.name} via ${target.label} statistics ---`,
    `${s.count} lookups, ${s.succeeded} succeeded, ${s.failed} failed${failures.length > 0 ? ` (${failures.join(', ')})` : ''}, ${s.stalled} stalled`,
    `${s.attempt_timeouts} attempt timeouts, ${s.tcp_fallbacks} tcp fallbacks, mismatched responses: ${Object.keys(s.mismatched).length > 0 ? JSON.stringify(s.mismatched) : 'none'}`,
  ];
  const l = s.latency_seconds;
  if (l) lines.push(`latency min/avg/max/stddev = ${ms(l.min)}/${ms(l.avg)}/${ms(l.max)}/${ms(l.stddev)}`);
  if (interrupted) lines.push('(interrupted)');
  return `${lines.join('\n')}\n`;
}

function sleep(milliseconds: number, signal: AbortSignal): Promise<void> {
  if (milliseconds <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, milliseconds);
    signal.addEventListener('abort', done, { once: true });
  });
}
