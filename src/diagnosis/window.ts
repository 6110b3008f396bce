// The daemon's side of the evidence: the last runs of every (probe, target),
// kept in a small ring, turned into the engine's observations on demand. What
// a run contributes is read from the probe's plain result types only.
import type { DnsOptions, DnsResult, DnsTarget } from '../probes/dns/types.ts';
import type { IcmpResult } from '../probes/icmp/types.ts';
import type { TcpResult } from '../probes/tcp/types.ts';
import type { TargetInfo } from '../probes/types.ts';
import type { BadHop, DnsObservation, IcmpObservation, Observations, TcpObservation } from './observations.ts';

/** What the daemon adds to its window's rows: its vantage, and the first bad hop of a path's latest trace. */
export interface ObservationContext {
  vantage?: string;
  badHop?: (key: string) => BadHop | undefined;
}

/**
 * One run, reduced to what the rules read. Primitives only, and the objects
 * of a ring are reused run after run: a run lives ten intervals, long enough
 * to be promoted, so a fresh object per run would be old-space garbage at
 * every run of every target.
 */
interface Run {
  atMs: number;
  /** Units in the run (1 lookup, `count` connects, 1 sweep). */
  units: number;
  /** The run's failure reason for single-unit kinds; "" when it succeeded (or failures are per connect). */
  reason: string;
  /** TCP: connects by failed outcome. */
  refused: number;
  timeout: number;
  unreachable: number;
  error: number;
  stalled: boolean;
  ceilingBytes: number | null;
  expectedBytes: number | null;
  blackhole: boolean;
  interfaceMtuBytes: number | null;
}

interface Entry {
  probe: string;
  kind: string;
  target: TargetInfo;
  transport: string;
  mode: string;
  nameClass: string;
  /** Ring of runs: `next` is the slot written next, `size` how many hold a run. */
  ring: Run[];
  next: number;
  size: number;
}

const blankRun = (): Run => ({
  atMs: 0,
  units: 0,
  reason: '',
  refused: 0,
  timeout: 0,
  unreachable: 0,
  error: 0,
  stalled: false,
  ceilingBytes: null,
  expectedBytes: null,
  blackhole: false,
  interfaceMtuBytes: null,
});

/** ICMP reasons that are the MTU rules' business, not a failure of the path to carry packets. */
const MTU_REASONS = new Set(['mtu_below_expected', 'blackhole', 'aborted']);

export interface WindowOptions {
  /** Runs kept per (probe, target). */
  runs: number;
  /** Runs older than this are dropped, so a probe that stopped reporting stops testifying. */
  maxAgeMs: number;
}

// Six runs: a minute of history at the shipped 10 s DNS interval, and a fixed fault clears after five clean runs.
export const DEFAULT_WINDOW: WindowOptions = { runs: 6, maxAgeMs: 10 * 60_000 };

export class RunWindow {
  readonly #entries = new Map<string, Entry>();
  readonly #options: WindowOptions;

  constructor(options: WindowOptions = DEFAULT_WINDOW) {
    this.#options = options;
  }

  /** Keeps only the (probe, target) keys still scheduled. */
  retain(keys: ReadonlySet<string>): void {
    for (const key of this.#entries.keys()) if (!keys.has(key)) this.#entries.delete(key);
  }

  record(key: string, probe: string, kind: string, target: TargetInfo, options: unknown, result: unknown, success: boolean, reason: string, atMs: number): void {
    if (reason === 'aborted') return; // cancelled runs (reload, shutdown) say nothing about the network
    let entry = this.#entries.get(key);
    if (!entry) {
      const dns = kind === 'dns' ? (options as DnsOptions) : undefined;
      entry = {
        probe,
        kind,
        target,
        transport: dns?.transport ?? '',
        mode: dns?.transport === 'tcp' ? '' : (dns?.mode ?? ''),
        nameClass: kind === 'dns' ? (target as DnsTarget).nameClass : '',
        ring: [],
        next: 0,
        size: 0,
      };
      this.#entries.set(key, entry);
    }
    if (entry.ring.length < this.#options.runs) entry.ring.push(blankRun());
    const run = entry.ring[entry.next]!;
    entry.next = (entry.next + 1) % this.#options.runs;
    entry.size = Math.min(entry.size + 1, this.#options.runs);
    fill(run, kind, result, success, reason, atMs);
  }

  /** The entry's runs, oldest first, no older than maxAgeMs. */
  #runs(e: Entry, nowMs: number): Run[] {
    const out: Run[] = [];
    const n = e.ring.length;
    const first = e.size < n ? 0 : e.next;
    for (let i = 0; i < e.size; i++) {
      const r = e.ring[(first + i) % n]!;
      if (nowMs - r.atMs <= this.#options.maxAgeMs) out.push(r);
    }
    return out;
  }

  observations(sourceNode: string, nowMs: number, context: ObservationContext = {}): Observations {
    const out: Observations = { nowMs, fleet: false, dns: [], tcp: [], icmp: [], nodes: [{ sourceNode, createdMs: null }] };
    const vantage = context.vantage !== undefined && context.vantage !== 'pod' ? { vantage: context.vantage } : {};
    for (const [key, e] of this.#entries) {
      const runs = this.#runs(e, nowMs);
      if (runs.length === 0) continue;
      const failures: Record<string, number> = {};
      let units = 0;
      let stalls = 0;
      let firstBadMs: number | null = null;
      for (const r of runs) {
        units += r.units;
        let bad = r.stalled;
        if (r.reason !== '') {
          failures[r.reason] = (failures[r.reason] ?? 0) + 1;
          bad = true;
        }
        for (const k of TCP_FAILED) {
          if (r[k] === 0) continue;
          failures[k] = (failures[k] ?? 0) + r[k];
          bad = true;
        }
        if (r.stalled) stalls++;
        if (bad && firstBadMs === null) firstBadMs = r.atMs;
      }
      const last = runs.at(-1)!;
      if (last.blackhole || (last.ceilingBytes !== null && last.expectedBytes !== null && last.ceilingBytes < last.expectedBytes)) firstBadMs ??= firstMtuBad(runs);
      const base = { sourceNode, probe: e.probe, target: e.target.label, targetKind: e.target.kind, targetNode: e.target.node, runs: units, failures, firstBadMs, ...vantage };
      const hop = e.kind === 'dns' ? undefined : context.badHop?.(key);
      const path = hop ? { badHop: hop } : {};
      if (e.kind === 'dns') {
        out.dns.push({ ...base, kind: 'dns', transport: e.transport, mode: e.mode, nameClass: e.nameClass, stalls, lastFailed: last.reason !== '' } satisfies DnsObservation);
      }
      else if (e.kind === 'tcp') out.tcp.push({ ...base, ...path, kind: 'tcp' } satisfies TcpObservation);
      else if (e.kind === 'icmp') {
        out.icmp.push({
          ...base,
          ...path,
          kind: 'icmp',
          ceilingBytes: last.ceilingBytes,
          expectedBytes: last.expectedBytes,
          blackhole: last.blackhole,
          interfaceMtuBytes: last.interfaceMtuBytes,
        } satisfies IcmpObservation);
      }
    }
    return out;
  }
}

/** The first run of the current MTU episode: the latest streak of sweeps that saw the same fault. */
function firstMtuBad(runs: readonly Run[]): number {
  let t = runs.at(-1)!.atMs;
  for (let i = runs.length - 1; i >= 0; i--) {
    const r = runs[i]!;
    if (!(r.blackhole || (r.ceilingBytes !== null && r.expectedBytes !== null && r.ceilingBytes < r.expectedBytes))) break;
    t = r.atMs;
  }
  return t;
}

const TCP_FAILED = ['refused', 'timeout', 'unreachable', 'error'] as const;

/** Writes one run into a reused slot. */
function fill(run: Run, kind: string, result: unknown, success: boolean, reason: string, atMs: number): void {
  run.atMs = atMs;
  run.units = 1;
  run.reason = success ? '' : reason;
  run.refused = run.timeout = run.unreachable = run.error = 0;
  run.stalled = false;
  run.ceilingBytes = run.expectedBytes = run.interfaceMtuBytes = null;
  run.blackhole = false;
  if (kind === 'dns') {
    run.stalled = success && (result as Partial<DnsResult>).stalled === true;
  } else if (kind === 'tcp') {
    const r = result as Partial<TcpResult>;
    if (typeof r.count === 'number' && r.count > 0) {
      run.units = r.count;
      run.reason = '';
      for (const k of TCP_FAILED) run[k] = r[k] ?? 0;
    }
  } else if (kind === 'icmp') {
    // interfaceMtu: the MTU of the interface on the route to the target (the ICMP probe's
    // netprobe_interface_mtu_bytes); read structurally so results without it still diagnose.
    const r = result as Partial<IcmpResult> & { interfaceMtu?: number | null };
    if (MTU_REASONS.has(reason)) run.reason = '';
    run.ceilingBytes = r.ceilingBytes ?? null;
    run.expectedBytes = r.expectedBytes ?? null;
    run.blackhole = r.blackhole === true;
    run.interfaceMtuBytes = typeof r.interfaceMtu === 'number' ? r.interfaceMtu : null;
  }
}
