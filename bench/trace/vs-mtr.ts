// `netprobe trace` vs Debian's mtr-tiny on the same three-hop namespace path
// (client -> r1 -> r2 -> far, test/lab/harness/hops.ts), both as processes the
// way a user runs them, the same rounds, interval and packet size (64 B IP):
//
//   netprobe trace FAR -c N -i I --no-mtu --json      (the MTU search is extra work mtr does not do)
//   mtr --report -n -c N -i I FAR                      (hop list, time to the full report)
//   mtr --raw -n -c N -i I FAR                         (each RTT, for mtr's per-hop p50)
//
// Per round: hop lists compared, per-hop RTT p50 difference (netprobe - mtr,
// microseconds) and wall time to the full report. Prints min/median/max over
// the rounds. Needs root (namespaces; mtr below a 1 s interval).
//
//   node bench/trace/vs-mtr.ts [--rounds 5] [--count 10] [--interval 0.1]
import { buildHopLab, Lab, netprobeArgv } from '../../test/lab/harness/index.ts';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};
const ROUNDS = Number(flag('--rounds', '5'));
const COUNT = Number(flag('--count', '10'));
const INTERVAL_S = Number(flag('--interval', '0.1'));

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
// The same nearest-rank p50 netprobe prints (src/util/stats.ts), so both sides are read alike.
const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.max(0, Math.ceil(0.5 * xs.length) - 1)]!;
const mmm = (xs: number[], digits = 0) => `${Math.min(...xs).toFixed(digits)} / ${median(xs).toFixed(digits)} / ${Math.max(...xs).toFixed(digits)}`;

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, seconds: (performance.now() - started) / 1000 };
}

/** `mtr --report -n` lines "  1.|-- 198.18.10.2  0.0%  10  0.1 ..." -> addresses per hop. */
function parseReport(text: string): string[] {
  const hops: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\.\|--\s+(\S+)/.exec(line);
    if (m) hops[Number(m[1]) - 1] = m[2]!;
  }
  return hops;
}

/** `mtr --raw`: "h HOP ADDR" and "p HOP USEC SEQ" lines -> per-hop RTTs in microseconds. */
function parseRaw(text: string): { hops: string[]; rtts: number[][] } {
  const hops: string[] = [];
  const rtts: number[][] = [];
  for (const line of text.split('\n')) {
    const [kind, hop, value] = line.trim().split(/\s+/);
    if (hop === undefined || value === undefined) continue;
    const i = Number(hop);
    if (kind === 'h') hops[i] = value;
    if (kind === 'p') (rtts[i] ??= []).push(Number(value));
  }
  // A probe beyond the destination (mtr's first round runs past it) answers from the destination too.
  const end = hops.findIndex((a, i) => i > 0 && a === hops[i - 1]);
  return end > 0 ? { hops: hops.slice(0, end), rtts: rtts.slice(0, end) } : { hops, rtts };
}

const lab = await Lab.create(new URL(import.meta.url).pathname);
try {
  const h = await buildHopLab(lab);
  const common = ['-n', '-c', String(COUNT), '-i', String(INTERVAL_S)];
  const identical: boolean[] = [];
  const diffs: number[][] = [[], [], []];
  const npSeconds: number[] = [];
  const npInside: number[] = [];
  const mtrSeconds: number[] = [];
  const npP50: number[][] = [[], [], []];
  const mtrP50: number[][] = [[], [], []];
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate who goes first so neither always runs on a warmer cache.
    const order = round % 2 === 0 ? ['np', 'mtr'] : ['mtr', 'np'];
    let np!: { value: { hops: Array<{ address: string | null; rtt_p50_ms: number | null }>; elapsed_seconds: number }; seconds: number };
    let report!: { value: string; seconds: number };
    for (const who of order) {
      if (who === 'np') {
        np = await timed(async () => {
          const r = await lab.exec(h.clientNs, netprobeArgv(['trace', h.farIp, '-c', String(COUNT), '-i', `${INTERVAL_S * 1000}ms`, '--no-mtu', '--json']), { timeoutMs: 60_000 });
          return JSON.parse(r.stdout);
        });
      } else {
        report = await timed(async () => (await lab.exec(h.clientNs, ['mtr', '--report', ...common, h.farIp], { timeoutMs: 60_000 })).stdout);
      }
    }
    const raw = parseRaw((await lab.exec(h.clientNs, ['mtr', '--raw', ...common, h.farIp], { timeoutMs: 60_000 })).stdout);
    const npHops = np.value.hops.map((x) => x.address ?? '???');
    const mtrHops = parseReport(report.value);
    identical.push(JSON.stringify(npHops) === JSON.stringify(mtrHops) && JSON.stringify(raw.hops) === JSON.stringify(mtrHops));
    npSeconds.push(np.seconds);
    npInside.push(np.value.elapsed_seconds);
    mtrSeconds.push(report.seconds);
    for (let i = 0; i < 3; i++) {
      const ours = (np.value.hops[i]?.rtt_p50_ms ?? NaN) * 1000;
      const theirs = p50(raw.rtts[i] ?? [NaN]);
      npP50[i]!.push(ours);
      mtrP50[i]!.push(theirs);
      diffs[i]!.push(ours - theirs);
    }
    if (round === 0) {
      console.log(`netprobe hops: ${npHops.join(' ')}`);
      console.log(`mtr hops:      ${mtrHops.join(' ')}`);
    }
  }
  console.log(`\nnetprobe trace vs mtr ${COUNT} rounds at ${INTERVAL_S}s, 64 B, three-hop namespace path; ${ROUNDS} runs each (min / median / max)\n`);
  console.log(`hop lists identical: ${identical.filter(Boolean).length}/${ROUNDS} runs`);
  for (let i = 0; i < 3; i++) {
    console.log(`hop ${i + 1} (${h.hops[i]}): p50 netprobe ${mmm(npP50[i]!)} us, mtr ${mmm(mtrP50[i]!)} us, netprobe - mtr ${mmm(diffs[i]!)} us`);
  }
  const ratio = npSeconds.map((s, i) => s / mtrSeconds[i]!);
  console.log(`netprobe's own elapsed (after Node start-up): ${mmm(npInside, 3)} s`);
  console.log(`time to full report: netprobe ${mmm(npSeconds, 3)} s, mtr --report ${mmm(mtrSeconds, 3)} s, ratio netprobe/mtr ${mmm(ratio, 2)}`);
  const worst = Math.max(...diffs.flat());
  console.log(`largest per-hop p50 excess over mtr: ${worst.toFixed(0)} us (target: <= +30 us) -> ${worst <= 30 ? 'met' : 'NOT met'}`);
} finally {
  await lab.destroy();
}
