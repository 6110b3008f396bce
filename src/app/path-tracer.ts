// Trace on failure: when a peer's ICMP or TCP probe starts failing, or its
// path-MTU ceiling drops, the daemon traces the path to that target once
// (netprobe trace's engine: TTL-limited echo, then the MTU part when the
// ceiling is in question) and keeps the first bad hop:
//   - /api/results: `trace` next to the target's last result;
//   - netprobe_path_first_bad_hop{probe,target,target_node,reason} = the hop's TTL
//     (one series per target at most; reason from a fixed set, the hop's
//     address stays out of labels);
//   - latest(key) for the verdict engine's evidence.
// Bounded: one trace per target per `minIntervalMs`, `maxConcurrent` at a time,
// extra triggers while busy are dropped and counted, never queued without end.
import { isIP } from 'node:net';
import type { MetricSink } from '../metrics/catalog.ts';
import type { IcmpPinger } from '../native/icmp.ts';
import type { TraceMtuOutcome } from '../probes/icmp/trace-mtu.ts';
import type { TraceOutcome } from '../probes/icmp/trace.ts';
import type { IcmpResult } from '../probes/icmp/types.ts';
import type { TcpResult } from '../probes/tcp/types.ts';
import type { TargetInfo } from '../probes/types.ts';
import type { BadHop } from '../diagnosis/observations.ts';
import type { Logger } from '../util/logger.ts';

export type TraceTrigger = 'failing' | 'ceiling_drop';
/** Where the path goes bad: loss / unreachable / no_reply_beyond from the hops, mtu / blackhole from the MTU part. */
export const BAD_HOP_REASONS = ['loss', 'unreachable', 'no_reply_beyond', 'mtu', 'blackhole'] as const;
export type BadHopReason = (typeof BAD_HOP_REASONS)[number];

/** What /api/results shows as `trace` and the verdict engine reads (snake_case, stable field names). */
export interface PathTraceRecord {
  trigger: TraceTrigger;
  at: string;
  address: string;
  reached: boolean;
  /** TTL of the first bad hop; null when the path looked clean when traced. */
  first_bad_hop: number | null;
  first_bad_hop_address: string | null;
  reason: BadHopReason | null;
  hops: { hop: number; address: string | null; loss: number; rtt_p50_ms: number | null; mtu_reported: number | null }[];
  path_mtu: { ceiling_bytes: number | null; hop: number | null; blackhole: boolean } | null;
  duration_seconds: number;
  /** Set when no trace could be made (no ICMP socket...); the fields above are then empty. */
  error?: string;
}

export interface PathTracerOptions {
  sink: MetricSink;
  log: Logger;
  /** At most one trace per (probe, target) this often. Default 5 minutes. */
  minIntervalMs?: number;
  maxConcurrent?: number;
  now?: () => number;
  /** The ICMP engine for a family (default the process-wide one); tests pass fakes. */
  engine?: (family: 4 | 6) => IcmpPinger;
}

interface State {
  success: boolean;
  ceiling: number | null;
  lastTraceAt: number;
  labels: Record<string, string> | null;
  record?: PathTraceRecord;
}

const TRACE = { rounds: 3, maxHops: 16, intervalMs: 100, timeoutMs: 1000 };

export class PathTracer {
  readonly #o: Required<Omit<PathTracerOptions, 'engine'>> & Pick<PathTracerOptions, 'engine'>;
  readonly #state = new Map<string, State>();
  readonly #stop = new AbortController();
  readonly #running = new Set<Promise<void>>();

  constructor(options: PathTracerOptions) {
    this.#o = { minIntervalMs: 5 * 60_000, maxConcurrent: 2, now: Date.now, ...options };
  }

  /** Feeds one finished run; starts a trace in the background when it is a trigger. */
  observe(key: string, probe: string, kind: string, target: TargetInfo, success: boolean, result: unknown): void {
    if (kind !== 'icmp' && kind !== 'tcp') return;
    const address = traceAddress(kind, target, result);
    const ceiling = kind === 'icmp' ? ((result as IcmpResult).ceilingBytes ?? null) : null;
    const prev = this.#state.get(key);
    const state: State = prev ?? { success: true, ceiling: null, lastTraceAt: Number.NEGATIVE_INFINITY, labels: null };
    let trigger: TraceTrigger | null = null;
    if (!success && state.success) trigger = 'failing';
    else if (ceiling !== null && state.ceiling !== null && ceiling < state.ceiling) trigger = 'ceiling_drop';
    state.success = success;
    if (ceiling !== null) state.ceiling = ceiling;
    this.#state.set(key, state);
    if (!trigger || address === null) return;
    const now = this.#o.now();
    if (now - state.lastTraceAt < this.#o.minIntervalMs) return this.#count(probe, trigger, 'rate_limited');
    if (this.#running.size >= this.#o.maxConcurrent) return this.#count(probe, trigger, 'busy');
    state.lastTraceAt = now;
    const maxMtu = trigger === 'ceiling_drop' || kind === 'icmp' ? Math.max(prev?.ceiling ?? 0, 1500) : null;
    const job = this.#trace(state, probe, target, address, trigger, maxMtu).finally(() => this.#running.delete(job));
    this.#running.add(job);
  }

  /** The last trace of a (probe, target) key, if any. */
  latest(key: string): PathTraceRecord | undefined {
    return this.#state.get(key)?.record;
  }

  /** Drops targets no longer scheduled, with their series. */
  retain(keys: Set<string>): void {
    for (const [key, state] of this.#state) {
      if (keys.has(key)) continue;
      if (state.labels) void this.#o.sink.remove('pathFirstBadHop', state.labels);
      this.#state.delete(key);
    }
  }

  /** Aborts traces in flight and waits for them. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await Promise.allSettled([...this.#running]);
  }

  #count(probe: string, trigger: TraceTrigger, result: string): void {
    this.#o.sink.add('pathTraces', { probe, trigger, result }, 1);
  }

  async #trace(state: State, probe: string, target: TargetInfo, address: string, trigger: TraceTrigger, maxMtu: number | null): Promise<void> {
    const started = performance.now();
    const family = isIP(address) === 6 ? 6 : 4;
    const signal = this.#stop.signal;
    let record: PathTraceRecord;
    try {
      // Loaded on the first trace: a daemon that never traces never loads the ICMP engine.
      const [{ sharedIcmpEngine }, { traceRoute }, { traceMtu }] = await Promise.all([
        import('../probes/icmp/engine.ts'),
        import('../probes/icmp/trace.ts'),
        import('../probes/icmp/trace-mtu.ts'),
      ]);
      const engine = this.#o.engine ? this.#o.engine(family) : sharedIcmpEngine('auto', family);
      const size = family === 6 ? 84 : 64;
      const t = await traceRoute(engine, { address, family, protocol: 'icmp', sizeBytes: size, ...TRACE }, signal);
      const mtu = maxMtu !== null && t.reached && !signal.aborted
        ? await traceMtu(engine, { address, family, min: family === 6 ? 1280 : 68, max: maxMtu, timeoutMs: TRACE.timeoutMs }, t.hops, signal)
        : null;
      record = toRecord(trigger, address, t, mtu, (performance.now() - started) / 1000, this.#o.now());
    } catch (error) {
      record = { ...emptyRecord(trigger, address, this.#o.now()), error: (error as Error).message };
    }
    if (signal.aborted) return;
    state.record = record;
    const labels = { probe, target: target.label, target_node: target.node };
    if (state.labels) void this.#o.sink.remove('pathFirstBadHop', state.labels);
    state.labels = null;
    if (record.first_bad_hop !== null && record.reason !== null) {
      state.labels = { ...labels, reason: record.reason };
      this.#o.sink.set('pathFirstBadHop', state.labels, record.first_bad_hop);
    }
    this.#count(probe, trigger, record.error ? 'error' : 'done');
    this.#o.log.info('path traced', { probe, target: target.label, trigger, first_bad_hop: record.first_bad_hop, address: record.first_bad_hop_address, reason: record.reason });
  }
}

/** The verdict engine's view of a trace: its first bad hop, when it found one. */
export function badHopOf(record: PathTraceRecord | undefined): BadHop | undefined {
  if (!record || record.first_bad_hop === null || record.reason === null) return undefined;
  return { hop: record.first_bad_hop, address: record.first_bad_hop_address, reason: record.reason };
}

function traceAddress(kind: string, target: TargetInfo, result: unknown): string | null {
  const host = (target as TargetInfo & { host?: string }).host ?? '';
  if (isIP(host)) return host;
  if (kind === 'icmp' && isIP((result as IcmpResult).address ?? '')) return (result as IcmpResult).address;
  const connected = (result as TcpResult).connects?.find((c) => isIP(c.address));
  return connected?.address ?? null;
}

function emptyRecord(trigger: TraceTrigger, address: string, now: number): PathTraceRecord {
  return { trigger, at: new Date(now).toISOString(), address, reached: false, first_bad_hop: null, first_bad_hop_address: null, reason: null, hops: [], path_mtu: null, duration_seconds: 0 };
}

export function toRecord(trigger: TraceTrigger, address: string, t: TraceOutcome, mtu: TraceMtuOutcome | null, seconds: number, now: number): PathTraceRecord {
  let firstBad = t.firstBadHop;
  let reason: BadHopReason | null = t.badHopReason;
  // Hops that forward small packets fine but lower the ceiling: the MTU hop is the bad one.
  if (firstBad === null && mtu?.hop) {
    firstBad = mtu.hop;
    reason = mtu.blackhole ? 'blackhole' : 'mtu';
  }
  const hop = firstBad === null ? undefined : t.hops.find((h) => h.ttl === firstBad);
  return {
    trigger,
    at: new Date(now).toISOString(),
    address,
    reached: t.reached,
    first_bad_hop: firstBad,
    first_bad_hop_address: hop?.address ?? null,
    reason,
    hops: t.hops.map((h) => ({ hop: h.ttl, address: h.address, loss: h.loss, rtt_p50_ms: h.rttP50Ms, mtu_reported: h.mtu?.reported ?? null })),
    path_mtu: mtu ? { ceiling_bytes: mtu.ceiling, hop: mtu.hop, blackhole: mtu.blackhole } : null,
    duration_seconds: seconds,
  };
}
