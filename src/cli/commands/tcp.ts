// `netprobe tcp HOST:PORT`: the run-once path of the tcp probe, printing like
// paping (one line per connect, then statistics) or one JSON object.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { parseHostPort } from '../../config/common.ts';
import { tcpTarget } from '../../probes/tcp/targets.ts';
import { runTcp } from '../../probes/tcp/run.ts';
import type { TcpConnectResult, TcpOptions, TcpResult, TcpTarget } from '../../probes/tcp/types.ts';
import { systemClock } from '../../probes/types.ts';
import { parseDuration } from '../../util/durations.ts';
import { summarize } from '../../util/stats.ts';
import { UsageError, action } from '../errors.ts';

const MAX_COUNT = 1000;

interface TcpFlags {
  count: string;
  interval: string;
  timeout: string;
  tlsCa?: string;
  tlsName?: string;
  json?: boolean;
}

export function tcpCommand(): Command {
  return new Command('tcp')
    .description('paping-style TCP connect checks: COUNT connects to HOST:PORT, each timed to established and closed')
    .argument('<target>', 'HOST:PORT, or [IPv6]:PORT')
    .option('-c, --count <n>', `connects to make (1-${MAX_COUNT})`, '3')
    .option('--interval <duration>', 'time between connect starts, e.g. 1s, 200ms, 0s', '1s')
    .option('--timeout <duration>', 'give up on one connect after this long', '2s')
    .option('--tls-ca <file>', 'after each connect, a TLS handshake verified against this CA bundle (PEM)')
    .option('--tls-name <name>', 'name the certificate must be valid for (default: HOST, as an IP SAN or DNS name)')
    .option('--json', 'print one JSON object instead of paping-style lines')
    .action(
      action('tcp', async (text: string, flags: TcpFlags) => {
        const { target, options } = parseTcpArgs(text, flags);
        const controller = new AbortController();
        // Ctrl-C ends the run early and still prints the statistics so far.
        const onSigint = (): void => controller.abort();
        process.once('SIGINT', onSigint);
        if (!flags.json) process.stdout.write(`\nConnecting to ${target.host} on TCP ${target.port}:\n\n`);
        try {
          const result = await runTcp(target, options, {
            signal: controller.signal,
            clock: systemClock,
            onConnect: flags.json ? undefined : (c) => process.stdout.write(`${formatConnect(target, c)}\n`),
          });
          process.stdout.write(flags.json ? `${JSON.stringify(tcpJson(target, result), null, 2)}\n` : formatSummary(result));
          return result.count > 0 && result.connected === result.count ? 0 : 1;
        } finally {
          process.removeListener('SIGINT', onSigint);
        }
      }),
    );
}

/** Validates the argument and flags; every problem names the flag and the value given. */
export function parseTcpArgs(text: string, flags: TcpFlags): { target: TcpTarget; options: TcpOptions } {
  const address = parseHostPort(text.trim(), 0);
  if (!address) throw new UsageError(`HOST:PORT: expected HOST:PORT with a port from 1 to 65535, got "${text}"`);
  const count = Number(flags.count);
  if (!/^\d+$/.test(flags.count.trim()) || count < 1 || count > MAX_COUNT) {
    throw new UsageError(`--count: expected a whole number from 1 to ${MAX_COUNT}, got "${flags.count}"`);
  }
  const intervalMs = parseDuration(flags.interval);
  if (intervalMs === undefined) throw new UsageError(`--interval: expected a duration such as "1s" or "200ms", got "${flags.interval}"`);
  const timeoutMs = parseDuration(flags.timeout);
  if (timeoutMs === undefined || timeoutMs <= 0) {
    throw new UsageError(`--timeout: expected a duration greater than zero such as "2s" or "500ms", got "${flags.timeout}"`);
  }
  const options: TcpOptions = { count, intervalMs, timeoutMs };
  if (flags.tlsName !== undefined && flags.tlsCa === undefined) throw new UsageError('--tls-name: needs --tls-ca');
  if (flags.tlsCa !== undefined) {
    let ca: string;
    try {
      ca = readFileSync(flags.tlsCa, 'utf8');
    } catch (error) {
      throw new UsageError(`--tls-ca: cannot read "${flags.tlsCa}": ${(error as Error).message}`);
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`--tls-ca: "${flags.tlsCa}" holds no PEM certificate`);
    options.tls = { caFile: flags.tlsCa, ca, serverName: flags.tlsName ?? null };
  }
  return { target: tcpTarget(address.host, address.port, 'cli'), options };
}

const VERB: Record<TcpConnectResult['outcome'], string> = {
  connected: 'Connected to',
  refused: 'Connection refused by',
  timeout: 'Connection timed out to',
  unreachable: 'Unreachable',
  error: 'Connection error to',
  tls_untrusted: 'TLS certificate not trusted from',
  tls_error: 'TLS handshake failed with',
};

function ms(seconds: number): string {
  return `${(seconds * 1000).toFixed(2)}ms`;
}

/** "Connected to 127.0.0.1: time=0.31ms protocol=TCP port=8080", as paping prints it. */
export function formatConnect(target: TcpTarget, c: TcpConnectResult): string {
  const errno = c.detail && c.outcome !== 'refused' && c.outcome !== 'timeout' ? ` (${c.detail})` : '';
  const handshake = c.tlsSeconds !== undefined ? ` tls=${ms(c.tlsSeconds)}` : '';
  return `${VERB[c.outcome]} ${c.address || target.host}: time=${ms(c.seconds)}${handshake} protocol=TCP port=${target.port}${errno}`;
}

export function formatSummary(result: TcpResult): string {
  const failed = result.count - result.connected;
  const lines = [
    '',
    'Connection statistics:',
    `\tAttempted = ${result.count}, Connected = ${result.connected}, Failed = ${failed} (${(result.lossRatio * 100).toFixed(2)}%)`,
  ];
  if (failed > 0) {
    const tlsCounts = result.tls_untrusted + result.tls_error > 0 ? `, TLS untrusted = ${result.tls_untrusted}, TLS failed = ${result.tls_error}` : '';
    lines.push(`\tRefused = ${result.refused}, Timed out = ${result.timeout}, Unreachable = ${result.unreachable}, Errors = ${result.error}${tlsCounts}`);
  }
  const times = summarize(result.connectSeconds);
  if (times) {
    lines.push('Approximate connection times:', `\tMinimum = ${ms(times.min)}, Maximum = ${ms(times.max)}, Average = ${ms(times.avg)}`);
  }
  if (result.aborted) lines.push('(interrupted)');
  return `${lines.join('\n')}\n`;
}

/** The --json shape: snake_case, counts by result, connect times in seconds (null when none connected). */
export function tcpJson(target: TcpTarget, result: TcpResult) {
  const times = summarize(result.connectSeconds);
  return {
    target: target.label,
    host: target.host,
    port: target.port,
    count: result.count,
    connected: result.connected,
    refused: result.refused,
    timeout: result.timeout,
    unreachable: result.unreachable,
    error: result.error,
    tls_untrusted: result.tls_untrusted,
    tls_error: result.tls_error,
    loss_ratio: result.lossRatio,
    aborted: result.aborted,
    connect_seconds: {
      min: times?.min ?? null,
      p50: times?.p50 ?? null,
      avg: times?.avg ?? null,
      max: times?.max ?? null,
    },
    duration_seconds: result.durationSeconds,
    connects: result.connects.map((c) => ({
      seq: c.seq,
      result: c.outcome,
      seconds: c.seconds,
      address: c.address,
      ...(c.detail ? { errno: c.detail } : {}),
      ...(c.tlsSeconds !== undefined ? { tls_seconds: c.tlsSeconds } : {}),
    })),
  };
}
