// What resolvers put on the wire, seen from the DNS server's side: shared by
// bench/dns/wire-fidelity.ts and test/lab/dns-wire-order.test.ts.
//
// The path is the project's namespace lab (node namespace, nftables DNAT of the
// Service VIP, DNS namespace with dnsmasq on a pod IP) WITHOUT the delay relay,
// so the server answers in well under a millisecond and the spread between a
// lookup's two queries decides whether the second one meets an answered flow.
// tcpdump captures on the DNS namespace's end of the link (nanosecond stamps).
// glibc runs as `getent ahosts` with /etc/netns/<node ns>/resolv.conf, which
// `ip netns exec` bind-mounts over /etc/resolv.conf.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildServiceVipLab, netprobeArgv, type Lab, type LabProcess, type ServiceVipLab } from '../lab/harness/index.ts';

export const WIRE_NAME = 'kubernetes.default.svc.cluster.local';
/** Between lookups: far more than any gap, so queries group into lookups unambiguously. */
export const LOOKUP_SPACING_MS = 40;
const GROUP_WINDOW_US = 20_000;

export interface WireLab {
  vip: ServiceVipLab;
  /** Removes /etc/netns/<node ns>/ (the lab removes the rest). */
  cleanup(): void;
}

export async function buildWireLab(lab: Lab, timeoutSeconds = 1): Promise<WireLab> {
  const vip = await buildServiceVipLab(lab, { networkDelayMs: 0 });
  // glibc asks AAAA only with a global IPv6 address configured (AI_ADDRCONFIG).
  await lab.addAddress(vip.nodeNs, vip.links.nodeToDns.node, '2001:db8:1::1/64');
  const dir = `/etc/netns/${vip.nodeNs}`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/resolv.conf`, `nameserver ${vip.vip}\noptions timeout:${timeoutSeconds} attempts:2\n`);
  return { vip, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface WirePacket {
  /** Nanoseconds (capture clock). */
  ns: bigint;
  query: boolean;
  /** The client's port (source of a query, destination of an answer). */
  clientPort: number;
  id: number;
  qtype: string;
}

const LINE = /^(\d+)\.(\d{9}) IP (\S+)\.(\d+) > (\S+)\.(\d+): (\d+)\S* (.*)$/;

/** tcpdump -tt --time-stamp-precision=nano -n text -> DNS packets. */
export function parseTcpdump(text: string): WirePacket[] {
  const out: WirePacket[] = [];
  for (const line of text.split('\n')) {
    const m = LINE.exec(line.trim());
    if (!m) continue;
    const ns = BigInt(m[1]!) * 1_000_000_000n + BigInt(m[2]!);
    const srcPort = Number(m[4]);
    const dstPort = Number(m[6]);
    const query = dstPort === 53;
    const rest = m[8]!;
    const qtype = query ? (/^(\w+)\?/.exec(rest)?.[1] ?? '') : '';
    out.push({ ns, query, clientPort: query ? srcPort : dstPort, id: Number(m[7]), qtype });
  }
  return out;
}

/** tcpdump in the DNS namespace on its end of the node link while `fn` runs. */
export async function capture(lab: Lab, vip: ServiceVipLab, fn: () => Promise<void>): Promise<WirePacket[]> {
  const argv = ['tcpdump', '-i', vip.links.nodeToDns.dns, '-l', '-n', '-tt', '--time-stamp-precision=nano', '-s', '200', 'udp port 53'];
  const proc: LabProcess = lab.spawn(vip.dnsNs, argv);
  await proc.waitForOutput(/listening on/, 10_000);
  try {
    await fn();
    await sleep(300);
  } finally {
    await proc.stop();
  }
  return parseTcpdump(proc.stdout);
}

export interface WireLookup {
  /** Second query's arrival minus the first's, microseconds. */
  gapUs: number;
  /** The second query arrived before the first query's answer left. */
  secondBeforeAnswer: boolean;
  samePort: boolean;
  /** A query was sent again (same port and id): a resolver timeout. */
  resent: boolean;
}

/** Groups first transmissions into lookups (two queries, A and AAAA) and measures each. */
export function lookupsOf(packets: readonly WirePacket[]): WireLookup[] {
  const firstSeen = new Map<string, WirePacket>();
  const answers = new Map<string, bigint>();
  const resent = new Set<string>();
  for (const p of packets) {
    const key = `${p.clientPort}/${p.id}`;
    if (p.query) {
      if (firstSeen.has(key)) resent.add(key);
      else firstSeen.set(key, p);
    } else if (!answers.has(key)) answers.set(key, p.ns);
  }
  const queries = [...firstSeen.values()].sort((a, b) => (a.ns < b.ns ? -1 : 1));
  const lookups: WireLookup[] = [];
  for (let i = 0; i + 1 < queries.length; ) {
    const first = queries[i]!;
    const second = queries[i + 1]!;
    const gapUs = Number(second.ns - first.ns) / 1000;
    if (gapUs > GROUP_WINDOW_US || first.qtype === second.qtype) {
      i++; // a lone query (single mode, or a search-list leftover): not a pair
      continue;
    }
    const k1 = `${first.clientPort}/${first.id}`;
    const k2 = `${second.clientPort}/${second.id}`;
    const firstAnswer = answers.get(k1);
    lookups.push({
      gapUs,
      secondBeforeAnswer: firstAnswer === undefined || second.ns < firstAnswer,
      samePort: first.clientPort === second.clientPort,
      resent: resent.has(k1) || resent.has(k2),
    });
    i += 2;
  }
  return lookups;
}

export interface WireStats {
  lookups: number;
  gapP50Us: number;
  gapP90Us: number;
  gapMaxUs: number;
  /** Fraction of lookups whose second query arrived before the first one's answer left. */
  beforeAnswer: number;
  samePort: number;
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export function wireStats(lookups: readonly WireLookup[]): WireStats {
  const gaps = lookups.map((l) => l.gapUs).sort((a, b) => a - b);
  const n = lookups.length;
  return {
    lookups: n,
    gapP50Us: quantile(gaps, 0.5),
    gapP90Us: quantile(gaps, 0.9),
    gapMaxUs: gaps.at(-1) ?? Number.NaN,
    beforeAnswer: n === 0 ? Number.NaN : lookups.filter((l) => l.secondBeforeAnswer).length / n,
    samePort: n === 0 ? Number.NaN : lookups.filter((l) => l.samePort).length / n,
  };
}

/** `count` glibc lookups, one `getent ahosts` process each; returns each one's wall time in ms. */
export async function glibcLookups(lab: Lab, vip: ServiceVipLab, count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await lab.exec(vip.nodeNs, ['getent', 'ahosts', WIRE_NAME], { timeoutMs: 15_000, allowFailure: true });
    times.push(performance.now() - started);
    await sleep(LOOKUP_SPACING_MS);
  }
  return times;
}

export interface NetprobeRun {
  stalled: number;
  count: number;
  sender: string;
}

/** One `netprobe dns` process making `count` lookups in `mode`, as a user runs it. */
export async function netprobeLookups(
  lab: Lab,
  vip: ServiceVipLab,
  mode: string,
  count: number,
  timeoutSeconds = 1,
  env: NodeJS.ProcessEnv = {},
): Promise<NetprobeRun> {
  const args = ['dns', WIRE_NAME, '--server', vip.vip, '--mode', mode, '--count', String(count), '--interval', `${LOOKUP_SPACING_MS}ms`];
  args.push('--timeout', `${timeoutSeconds}s`, '--attempts', '2', '--json');
  // `env` sets variables inside the namespace (ip netns exec keeps no shell).
  const envArgs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  const argv = [...(envArgs.length > 0 ? ['env', ...envArgs] : []), ...netprobeArgv(args)];
  const result = await lab.exec(vip.nodeNs, argv, { timeoutMs: 120_000, allowFailure: true });
  const lines = result.stdout.trim().split('\n');
  const summary = JSON.parse(lines.at(-1) ?? '{}') as { stalled?: number; count?: number; sender?: string };
  if (summary.count === undefined) throw new Error(`netprobe ${args.join(' ')}: no summary (exit ${result.code})\n${result.stderr}`);
  return { stalled: summary.stalled ?? 0, count: summary.count, sender: summary.sender ?? '' };
}
