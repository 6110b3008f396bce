// DNS CPU bench: `npx node bench/dns/cpu.ts [N]`. One dnsmasq on 127.0.0.1;
// against it, in one run:
//   (a) netprobe runDns, N sequential lookups, single mode (A), metrics
//       recorded into a prom-client registry (plus variants for context);
//   (b) prometheus-blackbox-exporter, N /probe requests of a dns module;
//   (c) the floor: a bare dgram socket per query (open, send, receive, close);
//   (d) dnsperf's average latency for the same name, beside netprobe's.
// Prints a table. Loopback only; bounded (< 60 s).
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from 'dns-packet';
import { Registry } from 'prom-client';
import { PrometheusSink } from '../../src/exporters/prometheus.ts';
import { RECORDERS } from '../../src/metrics/record.ts';
import { recordRun } from '../../src/metrics/recorder.ts';
import { runDns } from '../../src/probes/dns/run.ts';
import type { DnsOptions, DnsTarget } from '../../src/probes/dns/types.ts';
import { systemClock } from '../../src/probes/types.ts';
import { summarize } from '../../src/util/stats.ts';
import { startDnsmasq } from '../../test/support/dnsmasq.ts';
import { runBlackbox, runDnsperf } from './references.ts';

const N = Number(process.argv[2] ?? 2000);
const NAME = 'a.netprobe.test';
const WARMUP = 200;
/** netprobe and floor rows: median of this many rounds of N (the machine is shared; one round is noisy). */
const ROUNDS = 3;

async function median<T extends { cpuMs: number }>(round: () => Promise<T>): Promise<T> {
  const runs: T[] = [];
  for (let i = 0; i < ROUNDS; i++) runs.push(await round());
  runs.sort((x, y) => x.cpuMs - y.cpuMs);
  return runs[Math.floor(ROUNDS / 2)]!;
}

interface Row {
  what: string;
  cpuMs: number;
  latencyMs?: number;
  note?: string;
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function netprobe(port: number, options: DnsOptions, withMetrics: boolean): Promise<{ cpuMs: number; latencyMs: number; failures: number }> {
  const target: DnsTarget = { id: `udp://127.0.0.1:${port}/${NAME}`, label: `127.0.0.1:${port}`, kind: 'static', node: '', server: { host: '127.0.0.1', port }, name: NAME, nameClass: 'other' };
  const sink = new PrometheusSink(new Registry(), 'bench');
  const ctx = { signal: new AbortController().signal, clock: systemClock };
  const recorder = RECORDERS.dns;
  const one = async (): Promise<number> => {
    const result = await runDns(target, options, ctx);
    if (withMetrics) {
      const success = result.outcome === 'success';
      recordRun(sink, recorder, { probe: 'bench', target, options, result, success, reason: result.outcome });
    }
    return result.outcome === 'success' ? result.durationSeconds : Number.NaN;
  };
  for (let i = 0; i < WARMUP; i++) await one();
  const durations: number[] = [];
  const before = cpuMs();
  for (let i = 0; i < N; i++) durations.push(await one());
  const cpu = cpuMs() - before;
  const ok = durations.filter((d) => !Number.isNaN(d));
  if (withMetrics) await sink.registry.metrics(); // the series really exist
  return { cpuMs: cpu / N, latencyMs: (summarize(ok)?.avg ?? Number.NaN) * 1000, failures: N - ok.length };
}

/** The floor: what any Node UDP query costs (socket, send, receive, close), no validation. */
async function bareSocket(port: number): Promise<{ cpuMs: number; latencyMs: number }> {
  const query = encode({ id: 1, type: 'query', flags: 0x0100, questions: [{ name: NAME, type: 'A' }] });
  const one = (): Promise<number> =>
    new Promise((resolve) => {
      const start = performance.now();
      const socket = createSocket('udp4');
      socket.on('message', () => {
        socket.close();
        resolve(performance.now() - start);
      });
      socket.send(query, port, '127.0.0.1');
    });
  for (let i = 0; i < WARMUP; i++) await one();
  let total = 0;
  const before = cpuMs();
  for (let i = 0; i < N; i++) total += await one();
  return { cpuMs: (cpuMs() - before) / N, latencyMs: total / N };
}

const started = performance.now();
const dir = mkdtempSync(join(tmpdir(), 'netprobe-bench-dns-'));
const dns = await startDnsmasq();
const rows: Row[] = [];
try {
  const base: DnsOptions = { transport: 'udp', mode: 'single', qtypes: ['A'], timeoutMs: 5000, attempts: 2, tcpFallback: true, search: [], ndots: 1 };
  const a = await median(() => netprobe(dns.port, base, true));
  rows.push({ what: 'netprobe runDns single A + metrics', cpuMs: a.cpuMs, latencyMs: a.latencyMs, note: a.failures ? `${a.failures} failed` : '' });
  const a0 = await median(() => netprobe(dns.port, base, false));
  rows.push({ what: 'netprobe runDns single A, no metrics', cpuMs: a0.cpuMs, latencyMs: a0.latencyMs });
  const a2 = await median(() => netprobe(dns.port, { ...base, mode: 'parallel', qtypes: ['A', 'AAAA'] }, true));
  rows.push({ what: 'netprobe runDns parallel A+AAAA + metrics', cpuMs: a2.cpuMs, latencyMs: a2.latencyMs, note: '2 queries per lookup' });
  const c = await median(() => bareSocket(dns.port));
  rows.push({ what: 'bare dgram socket query (floor)', cpuMs: c.cpuMs, latencyMs: c.latencyMs });
  const b = await runBlackbox(dir, dns.port, NAME, N);
  rows.push({ what: 'blackbox_exporter dns probe (its CPU)', cpuMs: b.cpuMsPerProbe, latencyMs: b.meanReportedSeconds * 1000, note: `probe_duration_seconds; ${b.failures} failed` });
  const d = runDnsperf(dir, dns.port, NAME, 3);
  rows.push({ what: 'dnsperf (-c 1 -q 10 -Q 2000, 3 s)', cpuMs: Number.NaN, latencyMs: d.averageLatencySeconds * 1000, note: `${d.queries} queries, ${d.qps.toFixed(0)} qps` });
} finally {
  await dns.stop();
  rmSync(dir, { recursive: true, force: true });
}

const ref = rows[0]!;
const fmt = (v: number, digits = 4): string => (Number.isNaN(v) ? '-' : v.toFixed(digits));
const lines = [
  `DNS CPU bench: N=${N} sequential probes per row (netprobe and floor: median of ${ROUNDS} rounds) against dnsmasq on 127.0.0.1 (node ${process.version})`,
  '',
  `${'what'.padEnd(44)} ${'CPU ms/probe'.padStart(12)} ${'x netprobe'.padStart(10)} ${'latency ms'.padStart(10)}  note`,
  ...rows.map(
    (r) =>
      `${r.what.padEnd(44)} ${fmt(r.cpuMs).padStart(12)} ${(Number.isNaN(r.cpuMs) ? '-' : (r.cpuMs / ref.cpuMs).toFixed(2)).padStart(10)} ${fmt(r.latencyMs ?? Number.NaN, 3).padStart(10)}  ${r.note ?? ''}`,
  ),
  '',
  `target: < 0.15 ms CPU per lookup with metrics: ${ref.cpuMs < 0.15 ? 'met' : 'NOT met'} (${fmt(ref.cpuMs)} ms)`,
  `blackbox / netprobe CPU: ${(rows[4]!.cpuMs / ref.cpuMs).toFixed(1)}x; netprobe / floor: ${(ref.cpuMs / rows[3]!.cpuMs).toFixed(2)}x`,
  `latency reported: netprobe ${fmt(ref.latencyMs!, 3)} ms vs dnsperf ${fmt(rows[5]!.latencyMs!, 3)} ms`,
  `total ${((performance.now() - started) / 1000).toFixed(1)} s`,
];
process.stdout.write(`${lines.join('\n')}\n`);
