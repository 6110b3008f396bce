// The run-once commands and the daemon agree: the same flags and config keys
// give the same target and options (the defaults included, and the defaults
// `--help` shows), and the same result the same success (exit code vs the
// kind's verdict, which the daemon records as netprobe_probe_success).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { dnsCommand, parseDnsArgs, Tally } from '../../src/cli/commands/dns.ts';
import { MTU_CLI_DEFAULTS, mtuCommand, mtuExitCode, parseMtuArgs } from '../../src/cli/commands/mtu.ts';
import { parseTcpArgs, tcpCommand, tcpExitCode } from '../../src/cli/commands/tcp.ts';
import type { DnsOutcome, DnsResult } from '../../src/probes/dns/types.ts';
import { ICMP_REASONS, type IcmpResult } from '../../src/probes/icmp/types.ts';
import { KINDS, type TargetEnv } from '../../src/probes/registry.ts';
import { summarizeRun } from '../../src/probes/tcp/run.ts';
import type { TcpConnectResult } from '../../src/probes/tcp/types.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'netprobe-run-once-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const env: TargetEnv = { readFile: () => 'nameserver 127.0.0.1\n' };

/** The daemon's view of one probe config: parsed by the kind's schema, expanded by the kind. */
function daemon(kind: keyof typeof KINDS, config: Record<string, unknown>, targetEnv: TargetEnv = env) {
  const def = KINDS[kind];
  const parsed = def.schema.parse({ name: 'cli', kind, targetKind: 'cli', ...config });
  return { target: def.targets(parsed, targetEnv)[0], options: def.options(parsed, targetEnv) };
}

/** The flag values a command gets when the user gives none: what --help shows as defaults. */
// biome-ignore lint/suspicious/noExplicitAny: flag objects of three commands
function helpDefaults(command: Command): any {
  return Object.fromEntries(command.options.filter((o) => o.defaultValue !== undefined).map((o) => [o.attributeName(), o.defaultValue]));
}

const none = () => false;
const all = () => true;

describe('netprobe tcp and a kind: tcp probe', () => {
  const defaults = helpDefaults(tcpCommand());

  it('no flags: the schema defaults; the --help defaults are those same values', () => {
    const cli = parseTcpArgs('127.0.0.1:8080', defaults, none);
    expect(cli).toEqual(daemon('tcp', { targets: ['127.0.0.1:8080'] }));
    expect(parseTcpArgs('127.0.0.1:8080', defaults, all)).toEqual(cli);
  });

  it('flags and keys of the same values give the same probe', () => {
    const cli = parseTcpArgs('[::1]:443', { ...defaults, count: '5', interval: '250ms', timeout: '1500ms' }, all);
    expect(cli).toEqual(daemon('tcp', { targets: ['[::1]:443'], count: 5, interval: '250ms', timeout: '1500ms' }));
    expect(cli.options).toEqual({ count: 5, intervalMs: 250, timeoutMs: 1500 });
  });

  it('the bounds are the schema\'s too', () => {
    expect(() => parseTcpArgs('127.0.0.1:1', { ...defaults, timeout: '61s' }, all)).toThrow('--timeout: must be from 10ms to 60s, got "61s"');
    expect(() => parseTcpArgs('127.0.0.1:1', { ...defaults, count: '1001' }, all)).toThrow('--count: expected a whole number from 1 to 1000, got "1001"');
  });

  const connect = (seq: number, outcome: TcpConnectResult['outcome']): TcpConnectResult => ({ seq, outcome, seconds: 0.001, address: '127.0.0.1' });
  it.each([
    ['all connected', [connect(1, 'connected'), connect(2, 'connected')], false],
    ['one refused', [connect(1, 'connected'), connect(2, 'refused')], false],
    ['all timed out', [connect(1, 'timeout')], false],
    ['aborted before a connect', [], true],
  ] as const)('verdict, %s: exit 0 exactly when the daemon counts a success', (_name, connects, aborted) => {
    const result = summarizeRun([...connects], aborted, 0.01);
    expect(tcpExitCode(result)).toBe(KINDS.tcp.verdict(result).success ? 0 : 1);
  });
});

describe('netprobe dns and a kind: dns probe', () => {
  const defaults = { ...helpDefaults(dnsCommand()), server: '127.0.0.1:5353' } as Parameters<typeof parseDnsArgs>[1];
  const strip = (p: ReturnType<typeof parseDnsArgs>) => ({ target: p.target, options: p.options });

  it('no flags: the daemon defaults; the --help defaults are those same values', () => {
    const cli = strip(parseDnsArgs('kubernetes.default.svc.cluster.local', defaults, none));
    expect(cli).toEqual(daemon('dns', { servers: ['127.0.0.1:5353'], names: ['kubernetes.default.svc.cluster.local'] }));
    expect(strip(parseDnsArgs('kubernetes.default.svc.cluster.local', defaults, all))).toEqual(cli);
  });

  it('flags and keys of the same values give the same probe', () => {
    const flags = { ...defaults, transport: 'tcp', mode: 'sequential', qtype: 'aaaa,A', timeout: '300ms', attempts: '3', tcpFallback: false };
    expect(strip(parseDnsArgs('a.example', flags, all))).toEqual(
      daemon('dns', { servers: ['127.0.0.1:5353'], names: ['a.example'], transport: 'tcp', mode: 'sequential', qtypes: ['AAAA', 'A'], timeout: '300ms', attempts: 3, tcpFallback: false }),
    );
  });

  it('--resolv-conf FILE reads the file as a "resolv.conf" server with search: true does', () => {
    const file = path.join(dir, 'resolv.conf');
    const text = 'nameserver 127.0.0.1\nsearch svc.cluster.local cluster.local\noptions ndots:5 timeout:1 attempts:1 single-request use-vc\n';
    writeFileSync(file, text);
    const { server: _none, ...noServer } = defaults;
    const cli = parseDnsArgs('kubernetes.default', { ...noServer, resolvConf: file }, none);
    const fromFile = daemon('dns', { servers: ['resolv.conf'], resolvConf: file, search: true, names: ['kubernetes.default'] }, { readFile: () => text });
    expect(cli.options).toEqual(fromFile.options);
    expect(cli.options).toMatchObject({ transport: 'tcp', mode: 'sequential', timeoutMs: 1000, attempts: 1, ndots: 5 });
    // The CLI asks the file's first nameserver as the daemon asks each of them (its target_kind is "cli").
    expect({ ...cli.target, kind: 'resolv_conf' }).toEqual(fromFile.target);
  });

  const lookup = (outcome: DnsOutcome): DnsResult => ({
    outcome,
    durationSeconds: 0.01,
    stalled: false,
    attemptTimeouts: 0,
    mismatched: {},
    tcpFallbacks: 0,
    sender: 'dgram',
    queriedName: 'a.example',
    queries: [],
    candidates: [],
  });
  it.each([
    [['success', 'success']],
    [['success', 'nxdomain']],
    [['timeout']],
    [['wrong_answer', 'success']],
  ] as DnsOutcome[][][])('verdict, lookups %j: exit 0 exactly when the daemon counts every one a success', (outcomes) => {
    const tally = new Tally();
    for (const o of outcomes) tally.add(lookup(o));
    expect(tally.exitCode()).toBe(outcomes.every((o) => KINDS.dns.verdict(lookup(o)).success) ? 0 : 1);
  });
});

describe('netprobe mtu and a kind: icmp probe (no zod in the command)', () => {
  const defaults = helpDefaults(mtuCommand());

  /** The config the command built, written as YAML would give it, parses to itself. */
  function reparsed(config: ReturnType<typeof parseMtuArgs>['config']) {
    const targets = config.targets.map((t) => (t.node === '' ? t.host : t));
    return KINDS.icmp.schema.parse({ ...config, targets, interval: `${config.interval}ms`, timeout: `${config.timeout}ms` });
  }

  it('the search with no flags: the schema defaults but for the declared hand-run ones', () => {
    const cli = parseMtuArgs('198.18.0.2', defaults);
    expect(reparsed(cli.config)).toEqual(cli.config);
    const { target, options } = daemon('icmp', { targets: ['198.18.0.2'], sizes: [], search: { max: MTU_CLI_DEFAULTS.max }, interval: '0s', count: 1 });
    expect(cli.target).toEqual(target);
    expect(cli.options).toEqual(options);
  });

  it('a size walk: the same config keys give the same probe', () => {
    const cli = parseMtuArgs('2001:db8::2', { ...defaults, sizes: '1500,1280', count: '4', timeout: '300ms', expected: '1400', socket: 'dgram' });
    expect(reparsed(cli.config)).toEqual(cli.config);
    const daemonSide = daemon('icmp', { targets: ['2001:db8::2'], sizes: [1280, 1500], count: 4, interval: `${MTU_CLI_DEFAULTS.intervalMs}ms`, timeout: '300ms', expectedMtu: 1400, socket: 'dgram' });
    expect(cli.options).toEqual(daemonSide.options);
    expect(cli.target).toEqual(daemonSide.target);
  });

  it('defaults that differ from the daemon\'s are only the declared ones', () => {
    const schemaDefaults = KINDS.icmp.schema.parse({ name: 'x', kind: 'icmp', targets: ['198.18.0.2'], search: {} });
    const cli = parseMtuArgs('198.18.0.2', defaults).config;
    expect(cli.search).toEqual({ ...schemaDefaults.search, max: MTU_CLI_DEFAULTS.max });
    expect(cli.timeout).toBe(schemaDefaults.timeout);
    expect(cli.socket).toBe(schemaDefaults.socket);
    expect(Number(defaults.count)).toBe(MTU_CLI_DEFAULTS.count);
    expect(MTU_CLI_DEFAULTS.count).not.toBe(schemaDefaults.count);
  });

  it.each(ICMP_REASONS)('verdict, reason %s: exit 0 exactly when the daemon counts a success', (reason) => {
    const result = { reason } as IcmpResult;
    expect(mtuExitCode(result)).toBe(KINDS.icmp.verdict(result).success ? 0 : 1);
  });
});
