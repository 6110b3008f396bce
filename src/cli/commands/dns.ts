// `netprobe dns NAME --server IP[:PORT]`: the run-once path of the dns probe.
// Prints one line per lookup (and, with a search list, one per name tried, as
// `dig +search` shows its tries) and a summary; --json streams one object per
// lookup and a summary object, keeping only latencies in memory.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { Command, Option } from 'commander';
import { parseHostPort } from '../../config/common.ts';
import { DNS_BOUNDS, DNS_DEFAULTS, DNS_QTYPES } from '../../probes/dns/defaults.ts';
import { dnsKind } from '../../probes/dns/kind.ts';
import { runDns } from '../../probes/dns/run.ts';
import { parseResolvConf, type ResolvConf } from '../../probes/dns/resolvconf.ts';
import { dnsTargets, optionsFrom, serverLabel } from '../../probes/dns/targets.ts';
import { DNS_MODES, DNS_TRANSPORTS, type DnsOptions, type DnsResult, type DnsTarget } from '../../probes/dns/types.ts';
import { checkName } from '../../probes/dns/wire.ts';
import { systemClock } from '../../probes/types.ts';
import { parseDuration } from '../../util/durations.ts';
import { summarize } from '../../util/stats.ts';
import { UsageError, action } from '../errors.ts';
import { parseProbeConfig, wholeNumberText } from '../probe-config.ts';

/** Lookups of one `netprobe dns` run (a CLI-only flag: the daemon makes one per run). */
const MAX_COUNT = 10_000;

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
  search?: string;
  ndots?: string;
  resolvConf?: string;
}

/** Flags the user gave (not commander defaults): they win over --resolv-conf. */
type Explicit = (flag: keyof DnsFlags) => boolean;

export function dnsCommand(): Command {
  return new Command('dns')
    .description('resolve NAME against one DNS server as a pod resolver would (modes, timeout, attempts), COUNT times; exit 0 only if every lookup succeeded')
    .argument('<name>', 'name to look up, e.g. kubernetes.default.svc.cluster.local')
    .option('-s, --server <ip[:port]>', 'DNS server to query (required: the machine resolver is never used by default)')
    .addOption(new Option('--transport <transport>', `${DNS_TRANSPORTS.join(' | ')}`).default(DNS_DEFAULTS.transport))
    .addOption(new Option('--mode <mode>', `${DNS_MODES.join(' | ')} (what goes on the wire, see docs)`).default(DNS_DEFAULTS.mode))
    .option('--qtype <types>', `comma-separated query types (${DNS_QTYPES.join(',')})`, DNS_DEFAULTS.qtypes.join(','))
    .option('-c, --count <n>', `lookups to make (1-${MAX_COUNT})`, '1')
    .option('--interval <duration>', 'time between lookup starts (lookups never overlap)', '1s')
    .option('--timeout <duration>', 'per-attempt timeout (resolv.conf options timeout:)', `${DNS_DEFAULTS.timeoutMs / 1000}s`)
    .option('--attempts <n>', `attempts per query (resolv.conf options attempts:), ${DNS_BOUNDS.attempts.min}-${DNS_BOUNDS.attempts.max}`, String(DNS_DEFAULTS.attempts))
    .option('--no-tcp-fallback', 'take a truncated UDP answer as it is instead of retrying over TCP')
    .option('--search <domains>', 'comma-separated search list, tried as glibc does (ndots rule); overrides --resolv-conf')
    .option('--ndots <n>', 'dots a name needs to be tried as given first (resolv.conf options ndots:), 0-15; default 1')
    .option('--resolv-conf <file>', 'take nameserver (first one, unless --server), search, ndots, timeout, attempts, single-request[-reopen], use-vc from this file')
    .option('--json', 'stream one JSON object per lookup, then a summary object (latency_seconds over lookups that got an answer)')
    .action(
      action('dns', async (name: string, flags: DnsFlags, command: Command) => {
        const explicit: Explicit = (flag) => command.getOptionValueSource(flag) === 'cli';
        const { target, options, count, intervalMs } = parseDnsArgs(name, flags, explicit);
        const controller = new AbortController();
        // Ctrl-C ends the run early and still prints the summary so far.
        const onSigint = (): void => controller.abort();
        process.once('SIGINT', onSigint);
        const tally = new Tally();
        if (!flags.json) process.stdout.write(`${header(target, options)}\n\n`);
        try {
          for (let i = 0; i < count && !controller.signal.aborted; i++) {
            const started = performance.now();
            const result = await runDns(target, options, { signal: controller.signal, clock: systemClock });
            tally.add(result);
            // Written as it comes: memory stays flat whatever the count.
            const out = flags.json ? `${JSON.stringify({ type: 'lookup', seq: i + 1, ...result })}\n` : formatLookup(i + 1, result, options.search.length > 0);
            await write(out);
            if (i + 1 < count) await sleep(intervalMs - (performance.now() - started), controller.signal);
          }
        } finally {
          process.removeListener('SIGINT', onSigint);
        }
        const summary = tally.summary(target, options);
        await write(flags.json ? `${JSON.stringify({ type: 'summary', ...summary })}\n` : formatSummary(target, summary, controller.signal.aborted));
        return tally.exitCode();
      }),
    );
}

/** stdout.write that waits when the pipe is full, so a slow reader cannot make us buffer. */
function write(text: string): Promise<void> {
  if (process.stdout.write(text)) return Promise.resolve();
  return new Promise((resolve) => process.stdout.once('drain', resolve));
}

/**
 * Validates the argument and flags, then builds the probe as the daemon does:
 * a `kind: dns` config through the kind's schema, its target and options
 * (config over resolv.conf over the defaults, as optionsFrom does for the
 * daemon). Only flags the user gave enter the config; --resolv-conf's options
 * apply to the --server too, and --search/--ndots, --count and --interval are
 * the CLI's own. Every problem names the flag and the value given.
 */
export function parseDnsArgs(
  name: string,
  flags: DnsFlags,
  explicit: Explicit = () => true,
): { target: DnsTarget; options: DnsOptions; count: number; intervalMs: number } {
  try {
    checkName(name);
  } catch (error) {
    throw new UsageError(`NAME: ${(error as Error).message}`);
  }
  const conf = flags.resolvConf === undefined ? undefined : readResolvConf(flags.resolvConf);
  let server = conf?.servers[0];
  if (flags.server !== undefined) {
    const parsed = parseHostPort(flags.server.trim(), 53);
    if (!parsed || isIP(parsed.host) === 0) throw new UsageError(`--server: expected IP[:PORT] (an address, not a hostname), got "${flags.server}"`);
    server = parsed;
  }
  if (server === undefined) {
    throw new UsageError(
      conf ? `--resolv-conf: ${flags.resolvConf} has no usable nameserver line; give --server` : '--server: required: the IP[:PORT] of the DNS server to query',
    );
  }
  // A flag's value counts (and is checked) when the user gave it, or when no
  // file could set it instead; only given flags enter the config below.
  const given = (flag: keyof DnsFlags): boolean => explicit(flag) || conf === undefined;
  // Syntax first, with the CLI's wording; bounds are the schema's.
  if (given('transport') && !(DNS_TRANSPORTS as readonly string[]).includes(flags.transport)) {
    throw new UsageError(`--transport: expected one of ${DNS_TRANSPORTS.join(', ')}, got "${flags.transport}"`);
  }
  if (given('mode') && !(DNS_MODES as readonly string[]).includes(flags.mode)) throw new UsageError(`--mode: expected one of ${DNS_MODES.join(', ')}, got "${flags.mode}"`);
  const qtypes = flags.qtype.split(',').map((q) => q.trim().toUpperCase());
  if (qtypes.some((q) => !(DNS_QTYPES as readonly string[]).includes(q))) {
    throw new UsageError(`--qtype: expected a comma-separated list of ${DNS_QTYPES.join(', ')}, got "${flags.qtype}"`);
  }
  const count = wholeNumber('--count', flags.count, 1, MAX_COUNT);
  const intervalMs = parseDuration(flags.interval);
  if (intervalMs === undefined) throw new UsageError(`--interval: expected a duration such as "1s" or "200ms", got "${flags.interval}"`);
  if (given('timeout')) {
    const timeoutMs = parseDuration(flags.timeout);
    if (timeoutMs === undefined || timeoutMs <= 0) throw new UsageError(`--timeout: expected a duration such as "5s", got "${flags.timeout}"`);
  }
  const search = flags.search !== undefined ? parseSearch(flags.search) : undefined;
  const ndots = flags.ndots !== undefined ? wholeNumber('--ndots', flags.ndots, 0, 15) : undefined;

  const input: Record<string, unknown> = { name: 'cli', kind: 'dns', servers: [serverLabel(server)], names: [name], targetKind: 'cli', search: conf !== undefined };
  if (explicit('qtype')) input.qtypes = qtypes;
  if (explicit('tcpFallback')) input.tcpFallback = flags.tcpFallback;
  if (explicit('transport')) input.transport = flags.transport;
  if (explicit('mode')) input.mode = flags.mode;
  if (explicit('timeout')) input.timeout = flags.timeout;
  if (explicit('attempts')) input.attempts = wholeNumberText(flags.attempts);
  const { min, max } = DNS_BOUNDS.attempts;
  const config = parseProbeConfig(dnsKind.schema, input, {
    servers: { flag: flags.server === undefined ? '--resolv-conf' : '--server' },
    qtypes: { flag: '--qtype' },
    transport: { flag: '--transport' },
    mode: { flag: '--mode' },
    timeout: { flag: '--timeout' },
    attempts: { flag: '--attempts', expected: `a whole number from ${min} to ${max}`, text: flags.attempts },
  });
  const options = optionsFrom(config, conf, conf !== undefined);
  options.timeoutMs = Math.round(options.timeoutMs);
  if (search !== undefined) options.search = search;
  if (ndots !== undefined) options.ndots = ndots;
  const [target] = dnsTargets(config, { readFile: (file) => readFileSync(file, 'utf8') }, options.transport);
  return { target: target!, options, count, intervalMs };
}

function readResolvConf(file: string): ResolvConf {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--resolv-conf: cannot read "${file}": ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return parseResolvConf(text);
}

function parseSearch(text: string): string[] {
  const domains = text.split(',').map((d) => d.trim()).filter((d) => d !== '');
  for (const d of domains) {
    try {
      checkName(d);
    } catch (error) {
      throw new UsageError(`--search: "${d}": ${(error as Error).message}`);
    }
  }
  return domains;
}

function wholeNumber(flag: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < min || n > max) throw new UsageError(`${flag}: expected a whole number from ${min} to ${max}, got "${text}"`);
  return n;
}

function header(target: DnsTarget, o: DnsOptions): string {
  const qtypes = o.mode === 'single' ? o.qtypes.slice(0, 1) : o.qtypes;
  const search = o.search.length > 0 ? `, search ${o.search.join(',')} ndots ${o.ndots}` : '';
  return `DNS ${target.name} via ${target.label}: ${o.transport}, mode ${o.mode}, ${qtypes.join('+')}, timeout ${o.timeoutMs / 1000}s x ${o.attempts} attempts${search}`;
}

function ms(seconds: number): string {
  return `${(seconds * 1000).toFixed(2)}ms`;
}

/**
 * "seq=2 success time=5003.10ms STALLED attempt_timeouts=1 A=192.0.2.1 AAAA(2 attempts)=2001:db8::1".
 * With a search list, first one "seq=2 try 1/4 NAME nxdomain time=... A=NXDOMAIN ..." line per name asked.
 */
export function formatLookup(seq: number, r: DnsResult, showTries = false): string {
  const lines: string[] = [];
  if (showTries) {
    r.candidates.forEach((c, i) => {
      const qs = c.queries.map((q) => `${q.qtype}=${q.outcome === 'success' ? 'NOERROR' : q.rcode || q.outcome.toUpperCase()}`);
      lines.push(`seq=${seq} try ${i + 1}/${r.candidates.length} ${c.name} ${c.outcome} time=${ms(c.durationSeconds)} ${qs.join(' ')}`);
    });
  }
  const parts = [`seq=${seq}`, r.outcome, `time=${ms(r.durationSeconds)}`];
  if (r.stalled) parts.push('STALLED');
  if (showTries) parts.push(`name=${r.queriedName}`, `queries=${r.candidates.reduce((n, c) => n + c.queries.length, 0)}`);
  if (r.attemptTimeouts > 0) parts.push(`attempt_timeouts=${r.attemptTimeouts}`);
  if (r.tcpFallbacks > 0) parts.push(`tcp_fallbacks=${r.tcpFallbacks}`);
  const mismatched = Object.entries(r.mismatched).map(([k, v]) => `${k}:${v}`);
  if (mismatched.length > 0) parts.push(`mismatched=${mismatched.join(',')}`);
  for (const q of r.queries) {
    const tries = q.attempts > 1 ? `(${q.attempts} attempts)` : '';
    const value = q.outcome === 'success' ? (q.answers.length > 0 ? q.answers.join(',') : 'NODATA') : q.rcode && q.outcome !== 'wrong_answer' ? q.rcode : q.outcome.toUpperCase();
    parts.push(`${q.qtype}${tries}=${value}`);
  }
  if (r.error) parts.push(`(${r.error})`);
  lines.push(parts.join(' '));
  return `${lines.join('\n')}\n`;
}

/** Running totals over the lookups of one run; keeps only one number per lookup (its latency). */
export class Tally {
  readonly outcomes: Record<string, number> = {};
  readonly mismatched: Record<string, number> = {};
  attemptTimeouts = 0;
  tcpFallbacks = 0;
  stalled = 0;
  count = 0;
  /** Lookups the kind's verdict calls a success (as the daemon's netprobe_probe_success). */
  succeeded = 0;
  queries = 0;
  sender = '';
  readonly #latencies: number[] = [];

  add(r: DnsResult): void {
    this.count++;
    if (dnsKind.verdict(r).success) this.succeeded++;
    this.outcomes[r.outcome] = (this.outcomes[r.outcome] ?? 0) + 1;
    this.attemptTimeouts += r.attemptTimeouts;
    this.tcpFallbacks += r.tcpFallbacks;
    if (r.stalled) this.stalled++;
    this.sender = r.sender;
    for (const c of r.candidates) this.queries += c.queries.length;
    for (const [k, v] of Object.entries(r.mismatched)) this.mismatched[k] = (this.mismatched[k] ?? 0) + v;
    // Time to an answer; a timeout's duration is when we gave up, not a latency.
    if (r.outcome !== 'timeout' && r.outcome !== 'network_error' && r.outcome !== 'port_unreachable') this.#latencies.push(r.durationSeconds);
  }

  /** 0 only when there were lookups and the kind's verdict called every one a success. */
  exitCode(): number {
    return this.count > 0 && this.succeeded === this.count ? 0 : 1;
  }

  summary(target: DnsTarget, o: DnsOptions) {
    const latency = summarize(this.#latencies);
    const succeeded = this.succeeded;
    return {
      name: target.name,
      server: target.label,
      transport: o.transport,
      mode: o.mode,
      sender: this.sender,
      qtypes: o.mode === 'single' ? o.qtypes.slice(0, 1) : o.qtypes,
      timeout_seconds: o.timeoutMs / 1000,
      attempts: o.attempts,
      search: o.search,
      ndots: o.ndots,
      count: this.count,
      succeeded,
      failed: this.count - succeeded,
      stalled: this.stalled,
      outcomes: this.outcomes,
      attempt_timeouts: this.attemptTimeouts,
      mismatched: this.mismatched,
      tcp_fallbacks: this.tcpFallbacks,
      /** Queries sent per lookup (search-list amplification; retries not counted). */
      queries_per_lookup: this.count > 0 ? this.queries / this.count : 0,
      latency_seconds: latency
        ? { min: latency.min, avg: latency.avg, stddev: latency.stddev, p50: latency.p50, p90: latency.p90, p99: latency.p99, max: latency.max }
        : null,
    };
  }
}

type Summary = ReturnType<Tally['summary']>;

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
  if (s.search.length > 0) lines.push(`${s.queries_per_lookup.toFixed(2)} queries per lookup (search list ${s.search.join(',')}, ndots ${s.ndots})`);
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
