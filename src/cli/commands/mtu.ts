// `netprobe mtu HOST`: the run-once path of the icmp probe's MTU search (or
// its size walk with --sizes), with progress lines while it narrows and a
// summary: ceiling, who sent "fragmentation needed" with which MTU, black hole.
//
// It builds its probe as the daemon does (a `kind: icmp` config -> the kind's
// targets and options; the kind's verdict for the exit code) with the kind's
// defaults and bounds, but checks the flags itself rather than through the zod
// schema: with classic zod that was a third of this command's start-up
// (bench/footprint), the schemas and YAML are still more code to load, and
// `netprobe mtu` is what an operator runs by hand on a broken node.
// test/cli/run-once.test.ts checks that the schema accepts what it builds as is.
import { isIPv6 } from 'node:net';
import { Command } from 'commander';
import { TIMEOUT_BOUNDS } from '../../config/bounds.ts';
import type { IcmpProbeConfig } from '../../probes/icmp/config.ts';
import { ICMP_BOUNDS, ICMP_DEFAULTS, ICMP_SOCKETS } from '../../probes/icmp/defaults.ts';
import { closeSharedIcmpEngines, MAX_PACKET, MIN_PACKET, MIN_PACKET6, sharedIcmpEngine } from '../../probes/icmp/engine.ts';
import { runIcmp } from '../../probes/icmp/run.ts';
import type { SearchProgress } from '../../probes/icmp/search.ts';
import { icmpOptions, icmpTargets } from '../../probes/icmp/targets.ts';
import type { IcmpOptions, IcmpResult, IcmpTarget } from '../../probes/icmp/types.ts';
import { icmpVerdict } from '../../probes/icmp/verdict.ts';
import { systemClock } from '../../probes/types.ts';
import { formatDuration, parseDuration } from '../../util/durations.ts';
import { summarize } from '../../util/stats.ts';
import { EXIT_USAGE, UsageError, action } from '../errors.ts';

export interface MtuFlags {
  min: string;
  max: string;
  sizes?: string;
  count: string;
  timeout: string;
  expected?: string;
  attempts: string;
  parallel: string;
  socket: string;
  json?: boolean;
}

/**
 * Where a hand run differs from the daemon's defaults, on purpose: the search
 * goes up to jumbo frames (a daemon probe checks the common 1500 path every
 * interval), and a size walk sends 2 requests back to back (a daemon probe 3,
 * 200ms apart) so that it ends in about one timeout.
 */
export const MTU_CLI_DEFAULTS = { max: 9000, count: 2, intervalMs: 0 } as const;

export function mtuCommand(): Command {
  return new Command('mtu')
    .description(
      'find the largest IP packet that reaches HOST with Don\'t Fragment set (path MTU ceiling): binary search between --min and --max, or walk --sizes',
    )
    .argument('<host>', 'IPv4 or IPv6 address, or a name (resolved to IPv4)')
    .option('--min <bytes>', 'smallest IP packet size to search (headers included)', String(ICMP_DEFAULTS.search.min))
    .option('--max <bytes>', 'largest IP packet size to search', String(MTU_CLI_DEFAULTS.max))
    .option('--sizes <list>', 'walk these sizes instead of searching, e.g. 1400,1450,1500')
    .option('-c, --count <n>', `requests per size with --sizes (${ICMP_BOUNDS.count.min}-${ICMP_BOUNDS.count.max})`, String(MTU_CLI_DEFAULTS.count))
    .option('--timeout <duration>', 'per-request timeout; silence past it counts as lost', `${ICMP_DEFAULTS.timeoutMs / 1000}s`)
    .option('--expected <bytes>', 'the MTU this path should carry (exit 1 when the ceiling is below it)')
    .option(
      '--attempts <n>',
      `requests per candidate size in the search, sent together (${ICMP_BOUNDS.attempts.min}-${ICMP_BOUNDS.attempts.max})`,
      String(ICMP_DEFAULTS.search.attempts),
    )
    .option('--parallel <n>', `candidate sizes in flight at once (${ICMP_BOUNDS.parallel.min}-${ICMP_BOUNDS.parallel.max})`, String(ICMP_DEFAULTS.search.parallel))
    .option('--socket <mode>', 'auto (datagram socket if ping_group_range allows, else raw), raw or dgram', ICMP_DEFAULTS.socket)
    .option('--json', 'print one JSON object (progress goes to stderr)')
    .action(
      action('mtu', async (host: string, flags: MtuFlags) => {
        const { target, options } = parseMtuArgs(host, flags);
        const progressOut = flags.json ? process.stderr : process.stdout;
        try {
          options.engine = sharedIcmpEngine(options.socket, isIPv6(target.host) ? 6 : 4);
        } catch (error) {
          process.stderr.write(`netprobe mtu: ${(error as Error).message}\n`);
          return EXIT_USAGE;
        }
        const controller = new AbortController();
        const onSigint = (): void => controller.abort();
        process.once('SIGINT', onSigint);
        const what = options.search ? `searching ${options.search.min}..${options.search.max} bytes` : `sizes ${options.sizes.join(', ')}`;
        progressOut.write(`netprobe mtu ${target.host}: ${what}, DF set, ${options.engine.mode} ICMP socket\n`);
        try {
          const result = await runIcmp(target, options, { signal: controller.signal, clock: systemClock }, {
            onProgress: (p) => progressOut.write(`${formatProgress(p)}\n`),
          });
          process.stdout.write(flags.json ? `${JSON.stringify(mtuJson(target, result), null, 2)}\n` : formatMtuSummary(result));
          return mtuExitCode(result);
        } finally {
          process.removeListener('SIGINT', onSigint);
          closeSharedIcmpEngines();
        }
      }),
    );
}

function packetSize(flag: string, text: string): number {
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || n < MIN_PACKET || n > MAX_PACKET) {
    throw new UsageError(`${flag}: expected an IP packet size from ${MIN_PACKET} to ${MAX_PACKET} bytes, got "${text}"`);
  }
  return n;
}

function wholeNumber(flag: string, text: string, lo: number, hi: number): number {
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || n < lo || n > hi) throw new UsageError(`${flag}: expected a whole number from ${lo} to ${hi}, got "${text}"`);
  return n;
}

/**
 * Validates the argument and flags against the icmp kind's bounds, then builds
 * the probe config the daemon would parse from the same values, and its target
 * and options through the kind's own functions. Every problem names the flag
 * and the value given.
 */
export function parseMtuArgs(host: string, flags: MtuFlags): { target: IcmpTarget; options: IcmpOptions; config: IcmpProbeConfig } {
  if (!/^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$/.test(host.trim()) && !isIPv6(host.trim())) throw new UsageError(`HOST: expected an IPv4 or IPv6 address or a host name, got "${host}"`);
  const min = packetSize('--min', flags.min);
  const max = packetSize('--max', flags.max);
  if (min > max) throw new UsageError(`--min: ${min} is above --max ${max}`);
  if (isIPv6(host.trim()) && min < MIN_PACKET6) throw new UsageError(`--min: IPv6 packets are at least ${MIN_PACKET6} bytes (IPv6 + ICMPv6 headers), got ${min}`);
  const timeoutMs = parseDuration(flags.timeout);
  if (timeoutMs === undefined || timeoutMs <= 0) throw new UsageError(`--timeout: expected a duration greater than zero such as "1s" or "300ms", got "${flags.timeout}"`);
  if (timeoutMs < TIMEOUT_BOUNDS.min || timeoutMs > TIMEOUT_BOUNDS.max) {
    throw new UsageError(`--timeout: expected a duration from ${TIMEOUT_BOUNDS.min}ms to ${TIMEOUT_BOUNDS.max / 1000}s, got "${flags.timeout}"`);
  }
  const count = wholeNumber('--count', flags.count, ICMP_BOUNDS.count.min, ICMP_BOUNDS.count.max);
  const attempts = wholeNumber('--attempts', flags.attempts, ICMP_BOUNDS.attempts.min, ICMP_BOUNDS.attempts.max);
  const parallel = wholeNumber('--parallel', flags.parallel, ICMP_BOUNDS.parallel.min, ICMP_BOUNDS.parallel.max);
  if (!(ICMP_SOCKETS as readonly string[]).includes(flags.socket)) throw new UsageError(`--socket: expected auto, raw or dgram, got "${flags.socket}"`);
  const expectedMtu = flags.expected === undefined ? undefined : packetSize('--expected', flags.expected);
  let sizes: number[] = [];
  if (flags.sizes !== undefined) {
    const parts = flags.sizes.split(',').map((s) => s.trim());
    if (parts.length === 0 || parts.some((s) => s === '')) throw new UsageError(`--sizes: expected a comma-separated list such as 1400,1500, got "${flags.sizes}"`);
    sizes = [...new Set(parts.map((s) => packetSize('--sizes', s)))].sort((a, b) => a - b);
    if (isIPv6(host.trim()) && sizes[0]! < MIN_PACKET6) throw new UsageError(`--sizes: IPv6 packets are at least ${MIN_PACKET6} bytes, got ${sizes[0]}`);
  }
  const config: IcmpProbeConfig = {
    name: 'cli',
    kind: 'icmp',
    spread: true,
    targets: [{ host: host.trim(), node: '' }],
    sizes,
    ...(sizes.length > 0 ? {} : { search: { min, max, parallel, attempts } }),
    ...(expectedMtu === undefined ? {} : { expectedMtu }),
    count: sizes.length > 0 ? count : 1,
    interval: MTU_CLI_DEFAULTS.intervalMs,
    timeout: timeoutMs,
    socket: flags.socket as IcmpProbeConfig['socket'],
    targetKind: 'cli',
  };
  return { target: icmpTargets(config)[0]!, options: icmpOptions(config), config };
}

/** Exit status of a run: the kind's verdict, as the daemon's netprobe_probe_success. */
export function mtuExitCode(result: IcmpResult): number {
  return icmpVerdict(result).success ? 0 : 1;
}

const VERDICT: Record<SearchProgress['verdict'], string> = {
  reply: 'answered',
  frag_needed: 'frag-needed',
  local_too_big: 'too big locally',
  unreachable: 'unreachable',
  send_error: 'send error',
  timeout: 'no answer',
  aborted: 'cancelled',
};

/** "  1500 B  frag-needed from 198.18.1.2 (mtu 1400)   ceiling in [1344, 1401)" */
export function formatProgress(p: SearchProgress): string {
  let detail = VERDICT[p.verdict];
  if (p.verdict === 'frag_needed') detail += ` from ${p.hop ?? '?'} (mtu ${p.mtu ?? '?'})`;
  if (p.verdict === 'local_too_big' && p.mtu !== undefined) detail += ` (local mtu ${p.mtu})`;
  const lo = p.answered ?? '?';
  const hi = p.failing ?? '?';
  return `  ${String(p.size).padStart(5)} B  ${detail.padEnd(36)} ceiling in [${lo}, ${hi})`;
}

export function formatMtuSummary(r: IcmpResult): string {
  const lines: string[] = [];
  if (r.ceilingBytes === null) {
    lines.push(`no size was answered by ${r.address}${r.error ? `: ${r.error}` : ''}`);
  } else {
    const exact = r.firstFailingBytes === r.ceilingBytes + 1 ? ' (exact)' : r.firstFailingBytes === null ? ' (largest size tried)' : '';
    lines.push(`path MTU ceiling to ${r.address}: ${r.ceilingBytes} bytes${exact}`);
  }
  for (const f of r.fragNeeded) lines.push(`  frag-needed: ${f.hop || '?'} reports mtu ${f.mtu || 'unknown'}`);
  if (r.localMtu !== null) lines.push(`  local interface mtu: ${r.localMtu}`);
  if (r.interfaceMtu !== null) {
    const above = r.ceilingBytes !== null && r.interfaceMtu > r.ceilingBytes ? ' (ABOVE the path ceiling: large packets from this host will not pass)' : '';
    lines.push(`  route leaves by ${r.interfaceName}, mtu ${r.interfaceMtu}${above}`);
  }
  lines.push(`  black hole: ${r.blackhole ? `yes (sizes from ${r.firstFailingBytes} bytes vanish without frag-needed)` : 'no'}`);
  if (r.expectedBytes !== null) lines.push(`  expected: ${r.expectedBytes}${r.ceilingBytes !== null && r.ceilingBytes < r.expectedBytes ? ' (ceiling is BELOW it)' : ''}`);
  lines.push(`  probes sent: ${r.probesSent}, elapsed ${formatDuration(r.durationSeconds * 1000)}, ${r.socket ?? '?'} socket, result ${r.reason}`);
  return `${lines.join('\n')}\n`;
}

/** The --json shape: snake_case, sizes in bytes, times in seconds. */
export function mtuJson(target: IcmpTarget, r: IcmpResult) {
  return {
    target: target.label,
    address: r.address,
    socket: r.socket,
    ceiling_bytes: r.ceilingBytes,
    first_failing_bytes: r.firstFailingBytes,
    expected_bytes: r.expectedBytes,
    blackhole: r.blackhole,
    frag_needed: r.fragNeeded.map((f) => ({ hop: f.hop, mtu: f.mtu })),
    local_mtu: r.localMtu,
    interface: r.interfaceName,
    interface_mtu_bytes: r.interfaceMtu,
    probes_sent: r.probesSent,
    searched: r.searched,
    elapsed_seconds: r.durationSeconds,
    result: r.reason,
    ...(r.error ? { error: r.error } : {}),
    sizes: [...r.sizes, ...r.searchSizes].sort((a, b) => a.size - b.size).map((s) => ({
      size: s.size,
      sent: s.sent,
      replies: s.replies,
      timeouts: s.timeouts,
      frag_needed: s.fragNeeded,
      local_too_big: s.localTooBig,
      errors: s.errors,
      rtt_seconds_p50: summarize(s.rttSeconds)?.p50 ?? null,
    })),
  };
}
