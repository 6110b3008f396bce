// `netprobe tcp HOST:PORT`: the run-once path of the tcp probe, printing like
// paping (one line per connect, then statistics) or one JSON object.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { TCP_BOUNDS, TCP_DEFAULTS } from '../../probes/tcp/defaults.ts';
import { tcpKind } from '../../probes/tcp/kind.ts';
import { runTcp } from '../../probes/tcp/run.ts';
import type { TcpConnectResult, TcpOptions, TcpResult, TcpTarget } from '../../probes/tcp/types.ts';
import { systemClock } from '../../probes/types.ts';
import { parseDuration } from '../../util/durations.ts';
import { summarize } from '../../util/stats.ts';
import { UsageError, action } from '../errors.ts';
import { type FlagFor, parseProbeConfig, wholeNumberText } from '../probe-config.ts';

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
    .option('-c, --count <n>', `connects to make (${TCP_BOUNDS.count.min}-${TCP_BOUNDS.count.max})`, String(TCP_DEFAULTS.count))
    .option('--interval <duration>', 'time between connect starts, e.g. 1s, 200ms, 0s', TCP_DEFAULTS.interval)
    .option('--timeout <duration>', 'give up on one connect after this long', TCP_DEFAULTS.timeout)
    .option('--tls-ca <file>', 'after each connect, a TLS handshake verified against this CA bundle (PEM)')
    .option('--tls-name <name>', 'name the certificate must be valid for (default: HOST, as an IP SAN or DNS name)')
    .option('--json', 'print one JSON object instead of paping-style lines')
    .action(
      action('tcp', async (text: string, flags: TcpFlags, command: Command) => {
        const { target, options } = parseTcpArgs(text, flags, (flag) => command.getOptionValueSource(flag) === 'cli');
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
          return tcpExitCode(result);
        } finally {
          process.removeListener('SIGINT', onSigint);
        }
      }),
    );
}

/** The flags that set config keys, for messages naming the flag. */
function flagsFor(flags: TcpFlags): Record<string, FlagFor> {
  const { min, max } = TCP_BOUNDS.count;
  return {
    targets: { flag: 'HOST:PORT' },
    count: { flag: '--count', expected: `a whole number from ${min} to ${max}`, text: flags.count },
    interval: { flag: '--interval' },
    timeout: { flag: '--timeout' },
    'tls.ca': { flag: '--tls-ca' },
    'tls.serverName': { flag: '--tls-name' },
  };
}

/**
 * Validates the argument and flags, then builds the probe as the daemon does
 * (a `kind: tcp` config through the kind's schema, targets and options); every
 * problem names the flag and the value given. `explicit` says which flags the
 * user gave: only those enter the config, the rest are the schema's defaults.
 */
export function parseTcpArgs(text: string, flags: TcpFlags, explicit: (flag: keyof TcpFlags) => boolean = () => true): { target: TcpTarget; options: TcpOptions } {
  // Syntax first, with the CLI's wording; bounds are the schema's.
  if (parseDuration(flags.interval) === undefined) throw new UsageError(`--interval: expected a duration such as "1s" or "200ms", got "${flags.interval}"`);
  const timeoutMs = parseDuration(flags.timeout);
  if (timeoutMs === undefined || timeoutMs <= 0) {
    throw new UsageError(`--timeout: expected a duration greater than zero such as "2s" or "500ms", got "${flags.timeout}"`);
  }
  if (flags.tlsName !== undefined && flags.tlsCa === undefined) throw new UsageError('--tls-name: needs --tls-ca');
  const input: Record<string, unknown> = { name: 'cli', kind: 'tcp', targets: [text], targetKind: 'cli' };
  if (explicit('count')) input.count = wholeNumberText(flags.count);
  if (explicit('interval')) input.interval = flags.interval;
  if (explicit('timeout')) input.timeout = flags.timeout;
  if (flags.tlsCa !== undefined) input.tls = { ca: flags.tlsCa, ...(flags.tlsName === undefined ? {} : { serverName: flags.tlsName }) };
  const config = parseProbeConfig(tcpKind.schema, input, flagsFor(flags));
  const env = { readFile: (path: string) => readFileSync(path, 'utf8') };
  let options: TcpOptions;
  try {
    options = tcpKind.options(config, env);
  } catch (error) {
    // The daemon's setup error ("probe "cli": tls.ca: cannot read ..."), said of the flag.
    throw new UsageError((error as Error).message.replace(/^probe "cli": tls\.ca: /, '--tls-ca: '));
  }
  return { target: tcpKind.targets(config, env)[0]!, options };
}

/** Exit status of a run: the kind's verdict, as the daemon's netprobe_probe_success. */
export function tcpExitCode(result: TcpResult): number {
  return tcpKind.verdict(result).success ? 0 : 1;
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
