// `netprobe mtu HOST`: the run-once path of the icmp probe's MTU search (or
// its size walk with --sizes), with progress lines while it narrows and a
// summary: ceiling, who sent "fragmentation needed" with which MTU, black hole.
import { isIPv6 } from 'node:net';
import { Command } from 'commander';
import { MAX_PACKET, MIN_PACKET, MIN_PACKET6 } from '../../native/icmp.ts';
import { icmpTarget } from '../../probes/icmp/targets.ts';
import { closeSharedIcmpEngines, sharedIcmpEngine } from '../../probes/icmp/engine.ts';
import { runIcmp } from '../../probes/icmp/run.ts';
import type { SearchProgress } from '../../probes/icmp/search.ts';
import type { IcmpOptions, IcmpResult, IcmpTarget } from '../../probes/icmp/types.ts';
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

export function mtuCommand(): Command {
  return new Command('mtu')
    .description(
      'find the largest IP packet that reaches HOST with Don\'t Fragment set (path MTU ceiling): binary search between --min and --max, or walk --sizes',
    )
    .argument('<host>', 'IPv4 or IPv6 address, or a name (resolved to IPv4)')
    .option('--min <bytes>', 'smallest IP packet size to search (headers included)', '68')
    .option('--max <bytes>', 'largest IP packet size to search', '9000')
    .option('--sizes <list>', 'walk these sizes instead of searching, e.g. 1400,1450,1500')
    .option('-c, --count <n>', 'requests per size with --sizes (1-100)', '2')
    .option('--timeout <duration>', 'per-request timeout; silence past it counts as lost', '1s')
    .option('--expected <bytes>', 'the MTU this path should carry (exit 1 when the ceiling is below it)')
    .option('--attempts <n>', 'requests per candidate size in the search, sent together (1-5)', '2')
    .option('--parallel <n>', 'candidate sizes in flight at once (1-64)', '8')
    .option('--socket <mode>', 'auto (datagram socket if ping_group_range allows, else raw), raw or dgram', 'auto')
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
          return result.reason === 'ok' ? 0 : 1;
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

/** Validates the argument and flags; every problem names the flag and the value given. */
export function parseMtuArgs(host: string, flags: MtuFlags): { target: IcmpTarget; options: IcmpOptions } {
  if (!/^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$/.test(host.trim()) && !isIPv6(host.trim())) throw new UsageError(`HOST: expected an IPv4 or IPv6 address or a host name, got "${host}"`);
  const min = packetSize('--min', flags.min);
  const max = packetSize('--max', flags.max);
  if (min > max) throw new UsageError(`--min: ${min} is above --max ${max}`);
  if (isIPv6(host.trim()) && min < MIN_PACKET6) throw new UsageError(`--min: IPv6 packets are at least ${MIN_PACKET6} bytes (IPv6 + ICMPv6 headers), got ${min}`);
  const timeoutMs = parseDuration(flags.timeout);
  if (timeoutMs === undefined || timeoutMs <= 0) throw new UsageError(`--timeout: expected a duration greater than zero such as "1s" or "300ms", got "${flags.timeout}"`);
  const count = wholeNumber('--count', flags.count, 1, 100);
  const attempts = wholeNumber('--attempts', flags.attempts, 1, 5);
  const parallel = wholeNumber('--parallel', flags.parallel, 1, 64);
  if (!['auto', 'raw', 'dgram'].includes(flags.socket)) throw new UsageError(`--socket: expected auto, raw or dgram, got "${flags.socket}"`);
  const expectedMtu = flags.expected === undefined ? null : packetSize('--expected', flags.expected);
  let sizes: number[] = [];
  if (flags.sizes !== undefined) {
    const parts = flags.sizes.split(',').map((s) => s.trim());
    if (parts.length === 0 || parts.some((s) => s === '')) throw new UsageError(`--sizes: expected a comma-separated list such as 1400,1500, got "${flags.sizes}"`);
    sizes = [...new Set(parts.map((s) => packetSize('--sizes', s)))].sort((a, b) => a - b);
    if (isIPv6(host.trim()) && sizes[0]! < MIN_PACKET6) throw new UsageError(`--sizes: IPv6 packets are at least ${MIN_PACKET6} bytes, got ${sizes[0]}`);
  }
  const options: IcmpOptions = {
    sizes,
    count: sizes.length > 0 ? count : 1,
    intervalMs: 0,
    timeoutMs,
    search: sizes.length > 0 ? null : { min, max, parallel, attempts },
    expectedMtu,
    socket: flags.socket as IcmpOptions['socket'],
  };
  return { target: icmpTarget(host.trim(), 'cli'), options };
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
