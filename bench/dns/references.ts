// The reference tools the DNS bench runs beside netprobe, against the same
// dnsmasq: prometheus-blackbox-exporter (Debian) and dnsperf. Loopback only.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../test/support/dnsmasq.ts';

export const BLACKBOX = '/usr/bin/prometheus-blackbox-exporter';
export const DNSPERF = '/usr/bin/dnsperf';

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** utime + stime of a process, in milliseconds (from /proc/PID/stat; 10 ms resolution at CLK_TCK 100). */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the ")" that closes the command name; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

export interface BlackboxRun {
  probes: number;
  cpuMsPerProbe: number;
  /** Mean probe_duration_seconds that blackbox reports, seconds. */
  meanReportedSeconds: number;
  failures: number;
}

/** Starts blackbox_exporter with one dns module aimed at the dnsmasq name, drives `n` sequential probes. */
export async function runBlackbox(dir: string, dnsPort: number, name: string, n: number): Promise<BlackboxRun> {
  const config = join(dir, 'blackbox.yml');
  writeFileSync(
    config,
    [
      'modules:',
      '  dns:',
      '    prober: dns',
      '    timeout: 5s',
      '    dns:',
      `      query_name: ${name}`,
      '      query_type: A',
      '      transport_protocol: udp',
      '      preferred_ip_protocol: ip4',
      '      ip_protocol_fallback: false',
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const child: ChildProcess = spawn(BLACKBOX, [`--config.file=${config}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=error'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    if (stderr.length < 4000) stderr += c.toString();
  });
  try {
    const url = `http://127.0.0.1:${port}/probe?target=127.0.0.1:${dnsPort}&module=dns`;
    const deadline = Date.now() + 5000;
    for (;;) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/-/healthy`)).ok) break;
      } catch {}
      if (Date.now() > deadline) throw new Error(`blackbox_exporter did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    // Warm-up, then the measured run.
    for (let i = 0; i < 50; i++) await (await fetch(url)).text();
    const cpuBefore = processCpuMs(child.pid!);
    let reported = 0;
    let failures = 0;
    for (let i = 0; i < n; i++) {
      const body = await (await fetch(url)).text();
      const duration = /^probe_duration_seconds ([\d.e+-]+)$/m.exec(body);
      if (!/^probe_success 1$/m.test(body)) failures++;
      reported += duration ? Number(duration[1]) : 0;
    }
    const cpu = processCpuMs(child.pid!) - cpuBefore;
    return { probes: n, cpuMsPerProbe: cpu / n, meanReportedSeconds: reported / n, failures };
  } finally {
    child.kill('SIGTERM');
  }
}

export interface DnsperfRun {
  queries: number;
  averageLatencySeconds: number;
  qps: number;
  raw: string;
}

/**
 * dnsperf, one client, paced at 2000 queries/s so queries rarely overlap and
 * its latency compares with sequential lookups (-q 1 makes dnsperf idle ~10 ms
 * between queries, which skews its figures), bounded by `seconds`.
 */
export function runDnsperf(dir: string, dnsPort: number, name: string, seconds: number): DnsperfRun {
  const data = join(dir, 'dnsperf.txt');
  writeFileSync(data, `${name} A\n`);
  const raw = execFileSync(DNSPERF, ['-s', '127.0.0.1', '-p', String(dnsPort), '-d', data, '-l', String(seconds), '-c', '1', '-q', '10', '-Q', '2000'], {
    encoding: 'utf8',
    timeout: (seconds + 10) * 1000,
  });
  const num = (re: RegExp): number => Number(re.exec(raw)?.[1] ?? Number.NaN);
  return {
    queries: num(/Queries completed:\s+(\d+)/),
    averageLatencySeconds: num(/Average Latency \(s\):\s+([\d.]+)/),
    qps: num(/Queries per second:\s+([\d.]+)/),
    raw,
  };
}
