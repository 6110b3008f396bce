// Wire fidelity: does netprobe's `parallel` mode put A and AAAA on the wire as
// glibc does? Same run, same namespace path (node ns -> nftables DNAT of the
// Service VIP -> DNS ns with dnsmasq on a pod IP, no delay relay), capture on
// the server side (tcpdump in the DNS namespace). Per tool:
//   - A->AAAA gap at the server: p50, p90, max (µs);
//   - "before answer": fraction of lookups whose second query arrived before
//     the first query's answer left (what the conntrack race needs);
//   - stall fraction with the F1 rule (second query on an unanswered flow is
//     dropped) and no delay relay: lookups that needed a resolver timeout.
// Tools: glibc (`getent ahosts`, resolv.conf in /etc/netns/<ns>/), netprobe
// parallel (addon: sendmmsg), netprobe parallel with the dgram fallback
// (NETPROBE_DNS_SENDER=dgram: two send() calls), netprobe reopen. netprobe runs
// as the CLI process a user runs. Idle, then with `stress-ng --cpu 2` loading
// both cores. Rounds (default 3) give min/median/max.
//
//   sudo npx node bench/dns/wire-fidelity.ts [LOOKUPS=40] [ROUNDS=3] [F1_LOOKUPS=20]
//
// Needs root, tcpdump, dnsmasq, nft, getent, stress-ng. Traffic stays inside
// the lab's namespaces (198.18.0.0/15).
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { injectConntrackRace, Lab, removeConntrackRace } from '../../test/lab/harness/index.ts';
import { buildWireLab, capture, glibcLookups, lookupsOf, netprobeLookups, wireStats, type WireLab, type WireStats } from '../../test/dns/wire-capture.ts';

const LOOKUPS = Number(process.argv[2] ?? 40);
const ROUNDS = Number(process.argv[3] ?? 3);
const F1_LOOKUPS = Number(process.argv[4] ?? 20);
for (const [name, v, max] of [['LOOKUPS', LOOKUPS, 1000], ['ROUNDS', ROUNDS, 20], ['F1_LOOKUPS', F1_LOOKUPS, 200]] as const) {
  if (!Number.isInteger(v) || v < 1 || v > max) throw new Error(`${name} must be 1..${max}`);
}
const TIMEOUT_S = 1;

type Tool = 'glibc' | 'parallel' | 'parallel (dgram)' | 'reopen';
const TOOLS: readonly Tool[] = ['glibc', 'parallel', 'parallel (dgram)', 'reopen'];

interface Sample extends WireStats {
  stall: number;
}

async function runTool(lab: Lab, w: WireLab, tool: Tool, count: number): Promise<{ stalled: number }> {
  if (tool === 'glibc') {
    const times = await glibcLookups(lab, w.vip, count);
    // A glibc lookup that needed its 1 s resend takes >= 1 s; an answered one milliseconds.
    return { stalled: times.filter((ms) => ms >= TIMEOUT_S * 900).length };
  }
  const mode = tool === 'reopen' ? 'reopen' : 'parallel';
  const env = tool === 'parallel (dgram)' ? { NETPROBE_DNS_SENDER: 'dgram' } : {};
  const run = await netprobeLookups(lab, w.vip, mode, count, TIMEOUT_S, env);
  const expected = tool === 'parallel (dgram)' ? 'dgram' : 'sendmmsg';
  if (run.sender !== expected) throw new Error(`${tool}: sender ${run.sender}, expected ${expected}`);
  return { stalled: run.stalled };
}

async function round(lab: Lab, w: WireLab): Promise<Map<Tool, Sample>> {
  const out = new Map<Tool, Sample>();
  for (const tool of TOOLS) {
    const packets = await capture(lab, w.vip, async () => {
      await runTool(lab, w, tool, LOOKUPS);
    });
    const stats = wireStats(lookupsOf(packets));
    await injectConntrackRace(w.vip);
    let stalled = 0;
    try {
      stalled = (await runTool(lab, w, tool, F1_LOOKUPS)).stalled;
    } finally {
      await removeConntrackRace(w.vip);
    }
    out.set(tool, { ...stats, stall: stalled / F1_LOOKUPS });
  }
  return out;
}

function mmm(values: number[], digits = 0): string {
  const s = [...values].sort((a, b) => a - b);
  const f = (v: number) => (Number.isNaN(v) ? 'n/a' : v.toFixed(digits));
  return `${f(s[0]!)}/${f(s[Math.floor(s.length / 2)]!)}/${f(s.at(-1)!)}`;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function report(load: string, rounds: Map<Tool, Sample>[]): void {
  console.log(`\n== ${load}: ${LOOKUPS} lookups per tool per round (F1: ${F1_LOOKUPS}), ${rounds.length} rounds, min/median/max over rounds ==`);
  console.log('| tool | gap p50 µs | gap p90 µs | gap max µs | AAAA before A answer | stall under F1, no relay |');
  console.log('|---|---|---|---|---|---|');
  for (const tool of TOOLS) {
    const s = rounds.map((r) => r.get(tool)!);
    console.log(
      `| ${tool} | ${mmm(s.map((x) => x.gapP50Us))} | ${mmm(s.map((x) => x.gapP90Us))} | ${mmm(s.map((x) => x.gapMaxUs))} | ${mmm(s.map((x) => x.beforeAnswer), 2)} | ${mmm(s.map((x) => x.stall), 2)} |`,
    );
  }
  const glibc = rounds.map((r) => r.get('glibc')!);
  for (const tool of TOOLS.slice(1)) {
    const s = rounds.map((r) => r.get(tool)!);
    const ratio = (f: (x: Sample) => number) => (median(s.map(f)) / median(glibc.map(f))).toFixed(2);
    console.log(`${tool} / glibc (medians): gap p50 x${ratio((x) => x.gapP50Us)}, gap p90 x${ratio((x) => x.gapP90Us)}, before-answer x${ratio((x) => x.beforeAnswer)}`);
  }
}

const lab = await Lab.create(import.meta.url);
let stress: ReturnType<typeof spawn> | undefined;
let w: WireLab | undefined;
try {
  w = await buildWireLab(lab, TIMEOUT_S);
  for (const load of ['idle', 'stress-ng --cpu 2'] as const) {
    if (load !== 'idle') {
      // Bounded: stress-ng stops itself after 15 minutes even if we die.
      stress = spawn('stress-ng', ['--cpu', '2', '--timeout', '900s', '--quiet'], { stdio: 'ignore' });
      await sleep(2000);
    }
    const rounds: Map<Tool, Sample>[] = [];
    for (let i = 0; i < ROUNDS; i++) rounds.push(await round(lab, w));
    report(load, rounds);
  }
} finally {
  if (stress && stress.exitCode === null) {
    stress.kill('SIGTERM');
    await new Promise((resolve) => stress!.once('exit', resolve));
  }
  w?.cleanup();
  await lab.destroy();
}
