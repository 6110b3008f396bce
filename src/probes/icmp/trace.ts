// Per-hop path view in the manner of mtr: rounds of TTL-limited requests
// (ICMP echo, or UDP to port 33434+ as traceroute sends them), per hop the
// responding address, loss and RTT quantiles, and the first bad hop. The
// path-MTU part (which hop lowers the ceiling) is in trace-mtu.ts.
//
// Each round sends every TTL at once, then waits `interval`; rounds overlap
// their timeouts, so N rounds take about (N - 1) * interval + timeout. After
// a round in which the destination answered, later rounds stop at its TTL.
import type { EchoOutcome, IcmpPinger } from '../../native/icmp.ts';
import { summarize } from '../../util/stats.ts';

export type TraceProtocol = 'icmp' | 'udp';

export interface TraceParams {
  /** Destination address (IPv4 or IPv6 literal). */
  address: string;
  family: 4 | 6;
  protocol: TraceProtocol;
  rounds: number;
  maxHops: number;
  intervalMs: number;
  timeoutMs: number;
  /** IP packet size of the TTL-limited requests. */
  sizeBytes: number;
  /** After each round (the CLI redraws its table). */
  onRound?: (round: number, hops: TraceHop[]) => void;
}

export interface TraceHop {
  ttl: number;
  /** Address that answered most often; null when nothing answered at this TTL. */
  address: string | null;
  /** Every address that answered at this TTL (more than one: ECMP or a route change). */
  addresses: string[];
  sent: number;
  received: number;
  /** 0..1 */
  loss: number;
  /** RTT quantiles of the answers, milliseconds; null when none. */
  rttP50Ms: number | null;
  rttP90Ms: number | null;
  rttBestMs: number | null;
  rttWorstMs: number | null;
  /** This TTL reached the destination (echo reply, or its port unreachable for UDP). */
  destination: boolean;
  /** Other ICMP errors seen here (host/network unreachable, admin prohibited), as "type/code". */
  errors: string[];
  /** Set by the MTU part: the hop that lowers the path MTU. */
  mtu?: HopMtu;
}

export interface HopMtu {
  /** The MTU this hop reported in "fragmentation needed" / Packet Too Big; null when it said nothing (black hole). */
  reported: number | null;
  /** The path ceiling measured end to end. */
  ceiling: number;
  blackhole: boolean;
}

export interface TraceOutcome {
  hops: TraceHop[];
  reached: boolean;
  /** TTL of the destination; null when not reached. */
  destinationTtl: number | null;
  /** First hop where loss starts and persists to the end of the path (or where answers stop); null when clean. */
  firstBadHop: number | null;
  badHopReason: 'loss' | 'unreachable' | 'no_reply_beyond' | null;
  roundsDone: number;
}

interface Sample {
  addr: string | null;
  rttMs: number | null;
  destination: boolean;
  error?: string;
}

// Time exceeded: v4 type 11, v6 type 3. Port unreachable: v4 3/3, v6 1/4.
function classify(outcome: EchoOutcome, params: TraceParams): Sample {
  const v6 = params.family === 6;
  switch (outcome.kind) {
    case 'reply':
      return { addr: params.address, rttMs: outcome.rttMs, destination: true };
    case 'frag_needed':
      // The size fits the path (the MTU part checks it); count it as an answer from that hop.
      return { addr: outcome.hop, rttMs: outcome.rttMs ?? null, destination: false };
    case 'unreachable': {
      const timeExceeded = v6 ? outcome.icmpType === 3 : outcome.icmpType === 11;
      if (timeExceeded) return { addr: outcome.hop, rttMs: outcome.rttMs ?? null, destination: false };
      const portUnreach = v6 ? outcome.icmpType === 1 && outcome.icmpCode === 4 : outcome.icmpType === 3 && outcome.icmpCode === 3;
      if (portUnreach && params.protocol === 'udp' && outcome.hop === params.address) {
        return { addr: outcome.hop, rttMs: outcome.rttMs ?? null, destination: true };
      }
      return { addr: outcome.hop, rttMs: outcome.rttMs ?? null, destination: false, error: `${outcome.icmpType}/${outcome.icmpCode}` };
    }
    default:
      return { addr: null, rttMs: null, destination: false };
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

function summarizeHop(ttl: number, samples: Sample[], sent: number): TraceHop {
  const answered = samples.filter((s) => s.addr !== null);
  const counts = new Map<string, number>();
  for (const s of answered) counts.set(s.addr!, (counts.get(s.addr!) ?? 0) + 1);
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const rtts = answered.filter((s) => s.rttMs !== null).map((s) => s.rttMs!);
  const stats = summarize(rtts);
  const errors = [...new Set(answered.filter((s) => s.error).map((s) => s.error!))];
  return {
    ttl,
    address: ranked[0]?.[0] ?? null,
    addresses: ranked.map(([a]) => a),
    sent,
    received: answered.length,
    loss: sent === 0 ? 0 : 1 - answered.length / sent,
    rttP50Ms: stats?.p50 ?? null,
    rttP90Ms: stats?.p90 ?? null,
    rttBestMs: stats?.min ?? null,
    rttWorstMs: stats?.max ?? null,
    destination: answered.some((s) => s.destination),
    errors,
  };
}

/**
 * The first bad hop, read as an engineer reads mtr: loss at one hop that does
 * not carry on to the hops after it is that router rate-limiting its ICMP, not
 * the path; loss that starts at hop k and persists to the destination is real
 * and starts at k. An unreached destination is bad where answers stop.
 */
export function firstBadHop(hops: TraceHop[], reached: boolean): Pick<TraceOutcome, 'firstBadHop' | 'badHopReason'> {
  const unreachable = hops.find((h) => h.errors.length > 0 && !h.destination);
  if (!reached) {
    if (unreachable) return { firstBadHop: unreachable.ttl, badHopReason: 'unreachable' };
    let last = 0;
    for (const h of hops) if (h.received > 0) last = h.ttl;
    return { firstBadHop: last + 1, badHopReason: 'no_reply_beyond' };
  }
  let start: number | null = null;
  for (const h of hops) {
    if (h.loss > 0) start ??= h.ttl;
    else start = null;
  }
  return start === null ? { firstBadHop: null, badHopReason: null } : { firstBadHop: start, badHopReason: 'loss' };
}

export async function traceRoute(pinger: IcmpPinger, params: TraceParams, signal: AbortSignal): Promise<TraceOutcome> {
  const samples: Sample[][] = Array.from({ length: params.maxHops }, () => []);
  const sent = new Array<number>(params.maxHops).fill(0);
  let destTtl: number | null = null;
  // An unreachable (!H, !N, !X in traceroute) ends the path like the destination does.
  let stopTtl: number | null = null;
  let roundsDone = 0;
  const view = (): TraceHop[] => {
    const upto = destTtl ?? stopTtl ?? lastAnswered();
    return Array.from({ length: Math.max(upto, 1) }, (_, i) => summarizeHop(i + 1, samples[i]!, sent[i]!));
  };
  const lastAnswered = (): number => {
    let last = 0;
    samples.forEach((list, i) => {
      if (list.some((s) => s.addr !== null)) last = i + 1;
    });
    return Math.min(params.maxHops, last + 1);
  };

  const rounds: Promise<void>[] = [];
  for (let round = 0; round < params.rounds && !signal.aborted; round++) {
    if (round > 0) await sleep(params.intervalMs, signal);
    if (signal.aborted) break;
    const limit = destTtl ?? stopTtl ?? params.maxHops;
    const probes: Promise<void>[] = [];
    for (let ttl = 1; ttl <= limit; ttl++) {
      sent[ttl - 1]!++;
      probes.push(
        pinger.echo(params.address, params.sizeBytes, params.timeoutMs, signal, { ttl }).then((outcome) => {
          if (outcome.kind === 'aborted') {
            sent[ttl - 1]!--;
            return;
          }
          const sample = classify(outcome, params);
          samples[ttl - 1]!.push(sample);
          if (sample.destination && (destTtl === null || ttl < destTtl)) destTtl = ttl;
          if (sample.error !== undefined && (stopTtl === null || ttl < stopTtl)) stopTtl = ttl;
        }),
      );
    }
    rounds.push(
      Promise.all(probes).then(() => {
        roundsDone++;
        params.onRound?.(roundsDone, view());
      }),
    );
  }
  await Promise.all(rounds);
  const hops = view();
  const reached = destTtl !== null;
  return { hops, reached, destinationTtl: destTtl, ...firstBadHop(hops, reached), roundsDone };
}
