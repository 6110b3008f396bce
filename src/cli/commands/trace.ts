// `netprobe trace HOST`: an mtr-style per-hop view. Rounds of TTL-limited ICMP
// echo (or UDP with --udp), per hop the address, loss and RTT p50/p90; then
// the path-MTU search names the hop that lowers the ceiling. A live table on a
// TTY (redrawn after each round), one line per round when piped, a summary,
// or one JSON object. Exit 0 when the destination answered, 1 when not.
import { isIP } from 'node:net';
import { Command } from 'commander';
import { MAX_PACKET, MIN_PACKET, MIN_PACKET6, openIcmpEngine, type IcmpEngine } from '../../probes/icmp/engine.ts';
import { traceMtu, type TraceMtuOutcome } from '../../probes/icmp/trace-mtu.ts';
import { traceRoute, type TraceHop, type TraceOutcome, type TraceParams } from '../../probes/icmp/trace.ts';
import { parseDuration } from '../../util/durations.ts';
import { EXIT_USAGE, UsageError, action } from '../errors.ts';

export interface TraceFlags {
  count: string;
  interval: string;
  timeout: string;
  maxHops: string;
  size?: string;
  udp?: boolean;
  mtu: boolean;
  mtuMax: string;
  socket: string;
  json?: boolean;
}

export function traceCommand(): Command {
  return new Command('trace')
    .description('mtr-style path view: per hop the address, loss and RTT p50/p90 over --count rounds, and which hop lowers the path MTU')
    .argument('<host>', 'IPv4 or IPv6 address')
    .option('-c, --count <n>', 'rounds (1-1000)', '10')
    .option('-i, --interval <duration>', 'time between rounds', '1s')
    .option('--timeout <duration>', 'per-request timeout; silence past it is loss', '1s')
    .option('-m, --max-hops <n>', 'largest TTL tried (1-64)', '30')
    .option('-s, --size <bytes>', 'IP packet size of the TTL-limited requests (default 64, IPv6 84)')
    .option('-u, --udp', 'UDP datagrams to port 33434 and up, as traceroute sends them (paths that filter echo)')
    .option('--no-mtu', 'skip the path-MTU search')
    .option('--mtu-max <bytes>', 'largest size the path-MTU search tries', '1500')
    .option('--socket <mode>', 'ICMP socket: auto (datagram if ping_group_range allows, else raw), raw or dgram', 'auto')
    .option('--json', 'print one JSON object (no table)')
    .action(
      action('trace', async (host: string, flags: TraceFlags) => {
        const params = parseTraceArgs(host, flags);
        const mtuMax = flags.mtu ? packetSize('--mtu-max', flags.mtuMax, params.family) : null;
        let engine: IcmpEngine;
        let mtuEngine: IcmpEngine | undefined;
        try {
          engine = openIcmpEngine({ mode: flags.socket as 'auto', family: params.family, protocol: params.protocol });
          // The MTU search runs on ICMP echo, as `netprobe mtu` does, after a UDP trace too.
          if (mtuMax !== null) mtuEngine = params.protocol === 'icmp' ? engine : openIcmpEngine({ mode: flags.socket as 'auto', family: params.family });
        } catch (error) {
          process.stderr.write(`netprobe trace: ${(error as Error).message}\n`);
          return EXIT_USAGE;
        }
        const controller = new AbortController();
        const onSigint = (): void => controller.abort();
        process.once('SIGINT', onSigint);
        const started = performance.now();
        const live = !flags.json && process.stdout.isTTY === true;
        let drawn = 0;
        if (!flags.json) {
          process.stdout.write(
            `netprobe trace ${params.address}: ${params.rounds} rounds, max ${params.maxHops} hops, ${params.sizeBytes} B ${params.protocol === 'udp' ? 'UDP' : `ICMP (${engine.mode} socket)`}\n`,
          );
        }
        params.onRound = (round, hops) => {
          if (flags.json) return;
          if (live) {
            const text = `${formatTable(hops)}  round ${round}/${params.rounds}\n`;
            if (drawn > 0) process.stdout.write(`\x1b[${drawn}A\x1b[J`);
            process.stdout.write(text);
            drawn = text.split('\n').length - 1;
          } else {
            process.stdout.write(`round ${round}/${params.rounds}: ${formatRoundLine(hops)}\n`);
          }
        };
        try {
          const trace = await traceRoute(engine, params, controller.signal);
          let mtu: TraceMtuOutcome | null = null;
          if (mtuEngine && mtuMax !== null && trace.reached && !controller.signal.aborted) {
            const min = params.family === 6 ? 1280 : 68;
            mtu = await traceMtu(mtuEngine, { address: params.address, family: params.family, min: Math.min(min, mtuMax), max: mtuMax, timeoutMs: params.timeoutMs }, trace.hops, controller.signal);
          }
          const elapsed = (performance.now() - started) / 1000;
          if (flags.json) {
            process.stdout.write(`${JSON.stringify(traceJson(params, trace, mtu, elapsed), null, 2)}\n`);
          } else {
            if (live && drawn > 0) process.stdout.write(`\x1b[${drawn}A\x1b[J`);
            process.stdout.write(formatTable(trace.hops) + formatSummary(params, trace, mtu, elapsed));
          }
          return trace.reached ? 0 : 1;
        } finally {
          process.removeListener('SIGINT', onSigint);
          engine.close();
          if (mtuEngine && mtuEngine !== engine) mtuEngine.close();
        }
      }),
    );
}

function packetSize(flag: string, text: string, family: 4 | 6): number {
  const min = family === 6 ? MIN_PACKET6 : MIN_PACKET;
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || n < min || n > MAX_PACKET) throw new UsageError(`${flag}: expected an IP packet size from ${min} to ${MAX_PACKET} bytes, got "${text}"`);
  return n;
}

function wholeNumber(flag: string, text: string, lo: number, hi: number): number {
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || n < lo || n > hi) throw new UsageError(`${flag}: expected a whole number from ${lo} to ${hi}, got "${text}"`);
  return n;
}

function duration(flag: string, text: string, allowZero: boolean): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms < 0 || (!allowZero && ms === 0)) throw new UsageError(`${flag}: expected a duration such as "1s" or "200ms", got "${text}"`);
  return ms;
}

/** Validates the argument and flags; every problem names the flag and the value given. */
export function parseTraceArgs(host: string, flags: TraceFlags): TraceParams {
  const address = host.trim();
  const version = isIP(address);
  if (version === 0) throw new UsageError(`HOST: expected an IPv4 or IPv6 address, got "${host}"`);
  const family = version === 6 ? 6 : 4;
  if (!['auto', 'raw', 'dgram'].includes(flags.socket)) throw new UsageError(`--socket: expected auto, raw or dgram, got "${flags.socket}"`);
  return {
    address,
    family,
    protocol: flags.udp ? 'udp' : 'icmp',
    rounds: wholeNumber('--count', flags.count, 1, 1000),
    maxHops: wholeNumber('--max-hops', flags.maxHops, 1, 64),
    intervalMs: duration('--interval', flags.interval, true),
    timeoutMs: duration('--timeout', flags.timeout, false),
    sizeBytes: flags.size === undefined ? (family === 6 ? 84 : 64) : packetSize('--size', flags.size, family),
  };
}

const ms = (v: number | null): string => (v === null ? '-' : v < 10 ? v.toFixed(3) : v.toFixed(1));

function mtuCell(h: TraceHop): string {
  if (!h.mtu) return '';
  return h.mtu.reported !== null ? `mtu ${h.mtu.reported} (reported)` : `ceiling ${h.mtu.ceiling}, silent (black hole)`;
}

/** The mtr --report table: one row per TTL. */
export function formatTable(hops: TraceHop[]): string {
  const rows = [`${'HOP'.padStart(3)}  ${'ADDRESS'.padEnd(39)} ${'LOSS%'.padStart(6)} ${'SENT'.padStart(5)} ${'RECV'.padStart(5)} ${'P50ms'.padStart(8)} ${'P90ms'.padStart(8)} ${'BEST'.padStart(8)} ${'WORST'.padStart(8)}  MTU`];
  for (const h of hops) {
    const addr = h.address === null ? '???' : h.addresses.length > 1 ? `${h.address} (+${h.addresses.length - 1})` : h.address;
    rows.push(
      `${String(h.ttl).padStart(3)}. ${addr.padEnd(39)} ${(h.loss * 100).toFixed(1).padStart(5)}% ${String(h.sent).padStart(5)} ${String(h.received).padStart(5)} ` +
        `${ms(h.rttP50Ms).padStart(8)} ${ms(h.rttP90Ms).padStart(8)} ${ms(h.rttBestMs).padStart(8)} ${ms(h.rttWorstMs).padStart(8)}  ${mtuCell(h)}`.trimEnd(),
    );
  }
  return `${rows.join('\n')}\n`;
}

function formatRoundLine(hops: TraceHop[]): string {
  return hops.map((h) => `${h.ttl} ${h.address ?? '???'} ${(h.loss * 100).toFixed(0)}%`).join(', ');
}

export function formatSummary(p: TraceParams, t: TraceOutcome, mtu: TraceMtuOutcome | null, elapsed: number): string {
  const lines: string[] = [];
  lines.push(t.reached ? `destination ${p.address} reached at hop ${t.destinationTtl}` : `destination ${p.address} NOT reached within ${p.maxHops} hops`);
  if (t.firstBadHop !== null) {
    const at = t.hops.find((h) => h.ttl === t.firstBadHop);
    const why = t.badHopReason === 'loss' ? 'loss starts here and persists to the end' : t.badHopReason === 'unreachable' ? `unreachable (${at?.errors.join(', ')})` : 'no answers from here on';
    lines.push(`first bad hop: ${t.firstBadHop} (${at?.address ?? '???'}): ${why}`);
  }
  if (mtu) {
    if (mtu.ceiling === null) lines.push('path MTU: not even the smallest size was answered');
    else if (mtu.firstFailing === null) lines.push(`path MTU: at least ${mtu.ceiling} bytes (largest size tried)`);
    else {
      const hop = mtu.hop === null ? 'hop unknown' : mtu.hop === 0 ? 'at this host\'s interface' : `lowered at hop ${mtu.hop} (${t.hops.find((h) => h.ttl === mtu.hop)?.address ?? '???'})`;
      const how = mtu.blackhole ? ', black hole: no frag-needed / Packet Too Big came back' : mtu.fragNeeded.length > 0 ? `, ${mtu.fragNeeded.map((f) => `${f.hop} reports mtu ${f.mtu}`).join('; ')}` : '';
      lines.push(`path MTU: ${mtu.ceiling} bytes, ${hop}${how}`);
    }
  }
  lines.push(`elapsed ${elapsed.toFixed(2)} s, ${t.roundsDone} rounds`);
  return `${lines.join('\n')}\n`;
}

/** The --json shape: snake_case, times in milliseconds as mtr reports them. */
export function traceJson(p: TraceParams, t: TraceOutcome, mtu: TraceMtuOutcome | null, elapsed: number) {
  return {
    target: p.address,
    family: p.family,
    protocol: p.protocol,
    size_bytes: p.sizeBytes,
    rounds: t.roundsDone,
    reached: t.reached,
    destination_hop: t.destinationTtl,
    first_bad_hop: t.firstBadHop,
    bad_hop_reason: t.badHopReason,
    hops: t.hops.map((h) => ({
      hop: h.ttl,
      address: h.address,
      addresses: h.addresses,
      sent: h.sent,
      received: h.received,
      loss: h.loss,
      rtt_p50_ms: h.rttP50Ms,
      rtt_p90_ms: h.rttP90Ms,
      rtt_best_ms: h.rttBestMs,
      rtt_worst_ms: h.rttWorstMs,
      destination: h.destination,
      errors: h.errors,
      mtu: h.mtu ? { reported: h.mtu.reported, ceiling: h.mtu.ceiling, blackhole: h.mtu.blackhole } : null,
    })),
    path_mtu: mtu
      ? { ceiling_bytes: mtu.ceiling, first_failing_bytes: mtu.firstFailing, blackhole: mtu.blackhole, hop: mtu.hop, frag_needed: mtu.fragNeeded, local_mtu: mtu.localMtu }
      : null,
    elapsed_seconds: elapsed,
  };
}
