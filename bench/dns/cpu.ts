// DNS CPU bench: `npm run bench:dns -- [--targets 200] [--rounds 3] [--window 20]`.
//
// CPU per DNS probe of the processes a user runs, at a realistic paced rate,
// all against one local dnsmasq, in the same run:
//   - netprobe: the daemon (bin/netprobe run) with TARGETS dns targets (one
//     name each, single A over UDP) every 1 s, spread by its scheduler; probes
//     counted from its own netprobe_dns_lookups_total, scraped every 10 s as
//     Prometheus would;
//   - prometheus-blackbox-exporter: a dns module, TARGETS /probe requests a
//     second, evenly paced (what a Prometheus scraping TARGETS probe targets
//     every 1 s asks of it); one query name (0.23 takes it from the module
//     only), answered by dnsmasq exactly as the others are;
//   - the floor: a bare Node dgram socket per query, paced the same way, in its
//     own process (bench/dns/bare-paced.ts).
// CPU is utime+stime from /proc/PID/stat over a WINDOW-second window after a
// 5 s warm-up; each tool gets ROUNDS fresh processes, tools alternate per
// round. Prints min / median / max of ms per probe and ratios. Loopback only.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, startDnsmasq } from '../../test/support/dnsmasq.ts';
import { fmtRatio, fmtSpread, spread, startProcess, stopProcess } from '../footprint/measure.ts';
import { processCpuMs } from './references.ts';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : fallback;
};
const TARGETS = flag('--targets', 200);
const ROUNDS = Math.max(3, flag('--rounds', 3));
const WINDOW_MS = flag('--window', 20) * 1000;
const WARMUP_MS = 5000;
const ROOT = path.resolve(import.meta.dirname, '../..');
const NETPROBE = path.join(ROOT, 'bin/netprobe');
const NODE = path.join(ROOT, 'node_modules/.bin/node');
const BLACKBOX = '/usr/bin/prometheus-blackbox-exporter';
const ZONE = 'bench.test';
const names = Array.from({ length: TARGETS }, (_, i) => `n${i}.${ZONE}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Sample {
  cpuMs: number;
  probes: number;
}

/** CPU and probe count of a running process over the window, after the warm-up. */
async function window(pid: number, count: () => Promise<number>, during?: (elapsedMs: number) => Promise<void>): Promise<Sample> {
  await sleep(WARMUP_MS);
  const [cpu0, n0] = [processCpuMs(pid), await count()];
  const start = Date.now();
  for (let s = 1; Date.now() - start < WINDOW_MS; s++) {
    await sleep(Math.max(0, start + s * 1000 - Date.now()));
    await during?.(Date.now() - start);
  }
  const [cpu1, n1] = [processCpuMs(pid), await count()];
  return { cpuMs: cpu1 - cpu0, probes: n1 - n0 };
}

async function netprobe(dir: string, dnsPort: number): Promise<Sample> {
  const config = path.join(dir, 'netprobe.yaml');
  writeFileSync(
    config,
    [
      'sourceNode: bench',
      'listen: 127.0.0.1:0',
      'probes:',
      '  - name: bench',
      '    kind: dns',
      '    every: 1s',
      `    servers: ["127.0.0.1:${dnsPort}"]`,
      '    transport: udp',
      '    mode: single',
      '    qtypes: [A]',
      `    names: [${names.join(', ')}]`,
      '',
    ].join('\n'),
  );
  const np = await startProcess(NETPROBE, ['run', '--config', config, '--log-level', 'warn'], /metrics at (http:\/\/[\d.:]+)\/metrics/);
  try {
    const url = `${np.match[1]!}/metrics`;
    const count = async (): Promise<number> => {
      const text = await (await fetch(url)).text();
      let sum = 0;
      for (const m of text.matchAll(/^netprobe_dns_lookups_total\{[^}]*\} (\d+)$/gm)) sum += Number(m[1]);
      return sum;
    };
    // A scrape every 10 s, as Prometheus would (its cost is part of running netprobe).
    return await window(np.child.pid!, count, async (elapsed) => {
      if (elapsed % 10_000 < 1000) await count();
    });
  } finally {
    await stopProcess(np.child);
  }
}

async function blackbox(dir: string, dnsPort: number): Promise<Sample> {
  const config = path.join(dir, 'blackbox.yml');
  writeFileSync(
    config,
    ['modules:', '  dns:', '    prober: dns', '    timeout: 5s', '    dns:', `      query_name: ${names[0]}`, '      query_type: A', '      transport_protocol: udp', '      preferred_ip_protocol: ip4', '      ip_protocol_fallback: false', ''].join('\n'),
  );
  const port = await freePort();
  const bb = await startProcess(BLACKBOX, [`--config.file=${config}`, `--web.listen-address=127.0.0.1:${port}`], /Listening on|msg="Listening/);
  let answered = 0;
  let inFlight = 0;
  let stop = false;
  // Paced like bare-paced.ts: a fixed grid of due times, bounded in flight.
  const period = 1000 / TARGETS;
  const t0 = performance.now();
  let next = 0;
  const tick = (): void => {
    if (stop) return;
    const now = performance.now() - t0;
    while (next * period <= now) {
      next++;
      if (inFlight >= 100) continue;
      inFlight++;
      fetch(`http://127.0.0.1:${port}/probe?target=127.0.0.1:${dnsPort}&module=dns`)
        .then((r) => r.text())
        .then((body) => {
          if (/^probe_success 1$/m.test(body)) answered++;
        })
        .catch(() => {})
        .finally(() => inFlight--);
    }
    setTimeout(tick, Math.max(0, next * period - (performance.now() - t0)));
  };
  tick();
  try {
    return await window(bb.child.pid!, async () => answered);
  } finally {
    stop = true;
    await stopProcess(bb.child);
  }
}

async function bare(dnsPort: number): Promise<Sample> {
  const child = await startProcess(NODE, [path.join(ROOT, 'bench/dns/bare-paced.ts'), String(dnsPort), String(TARGETS), names[0]!], /answered \d+/);
  let latest = 0;
  child.child.stdout!.on('data', (chunk: Buffer) => {
    const all = [...chunk.toString().matchAll(/answered (\d+)/g)];
    if (all.length) latest = Number(all.at(-1)![1]);
  });
  try {
    // Its count is printed once a second: read it just after a print.
    return await window(child.child.pid!, async () => {
      const before = latest;
      for (let i = 0; i < 12 && latest === before; i++) await sleep(100);
      return latest;
    });
  } finally {
    await stopProcess(child.child);
  }
}

const started = performance.now();
const dir = mkdtempSync(path.join(tmpdir(), 'netprobe-bench-dns-'));
const dns = await startDnsmasq({ extraArgs: [`--address=/${ZONE}/192.0.2.9`] });
const samples: Record<'netprobe' | 'blackbox' | 'bare', Sample[]> = { netprobe: [], blackbox: [], bare: [] };
try {
  for (let r = 0; r < ROUNDS; r++) {
    samples.netprobe.push(await netprobe(dir, dns.port));
    samples.blackbox.push(await blackbox(dir, dns.port));
    samples.bare.push(await bare(dns.port));
  }
} finally {
  await dns.stop();
  rmSync(dir, { recursive: true, force: true });
}

const perProbe = (s: Sample[]) => spread(s.map((x) => x.cpuMs / Math.max(1, x.probes)));
const rate = (s: Sample[]) => spread(s.map((x) => x.probes / (WINDOW_MS / 1000)));
const np = perProbe(samples.netprobe);
const bb = perProbe(samples.blackbox);
const floor = perProbe(samples.bare);
const row = (what: string, s: Sample[], v: typeof np, vs: string) =>
  `${what.padEnd(46)} ${fmtSpread(rate(s), 0).padStart(18)} ${fmtSpread(v, 3).padStart(24)}  ${vs}`;
const lines = [
  `DNS CPU bench: ${TARGETS} targets at 1/s, single A over UDP to dnsmasq on 127.0.0.1; ${ROUNDS} rounds, ${WINDOW_MS / 1000} s window after ${WARMUP_MS / 1000} s warm-up; CPU = utime+stime of each process (node ${process.version})`,
  '',
  `${'process'.padEnd(46)} ${'probes/s'.padStart(18)} ${'CPU ms per probe'.padStart(24)}  ratio of medians (best..worst)`,
  `${''.padEnd(46)} ${'min / median / max'.padStart(18)} ${'min / median / max'.padStart(24)}`,
  row('netprobe daemon (bin/netprobe run)', samples.netprobe, np, `${fmtRatio(np, floor)} of the bare socket`),
  row('blackbox_exporter (paced /probe)', samples.blackbox, bb, `${fmtRatio(bb, np)} of netprobe`),
  row('bare dgram socket per query, paced (floor)', samples.bare, floor, ''),
  '',
  `target: netprobe <= the paced bare socket: ${np.median <= floor.median ? 'met' : 'NOT met'} (${np.median.toFixed(3)} vs ${floor.median.toFixed(3)} ms)`,
  `total ${((performance.now() - started) / 1000).toFixed(1)} s`,
];
process.stdout.write(`${lines.join('\n')}\n`);
