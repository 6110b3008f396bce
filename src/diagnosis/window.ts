// The daemon's side of the evidence: the last runs of every (probe, target),
// kept in a small ring, turned into the engine's observations on demand. What
// a run contributes is read from the probe's plain result types only.
import type { DnsOptions, DnsResult, DnsTarget } from '../probes/dns/types.ts';
import type { IcmpResult } from '../probes/icmp/types.ts';
import type { TcpResult } from '../probes/tcp/types.ts';
import type { TargetInfo } from '../probes/types.ts';
import type { DnsObservation, IcmpObservation, Observations, TcpObservation } from './observations.ts';

/** One run, reduced to what the rules read. */
interface Run {
  atMs: number;
  /** Units in the run (1 lookup, `count` connects, 1 sweep) and how many failed, by reason. */
  units: number;
  failures: Record<string, number>;
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
  runs: Run[];
}

/** ICMP reasons that are the MTU rules' business, not a failure of the path to carry packets. */
const MTU_REASONS = new Set(['mtu_below_expected', 'blackhole', 'aborted']);

export interface WindowOptions {
  /** Runs kept per (probe, target). */
  runs: number;
  /** Runs older than this are dropped, so a probe that stopped reporting stops testifying. */
  maxAgeMs: number;
}

export const DEFAULT_WINDOW: WindowOptions = { runs: 10, maxAgeMs: 10 * 60_000 };

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
    const run = reduce(kind, result, success, reason, atMs);
    if (!run) return;
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
        runs: [],
      };
      this.#entries.set(key, entry);
    }
    entry.runs.push(run);
    if (entry.runs.length > this.#options.runs) entry.runs.shift();
  }

  observations(sourceNode: string, nowMs: number): Observations {
    const out: Observations = { nowMs, fleet: false, dns: [], tcp: [], icmp: [], nodes: [{ sourceNode, createdMs: null }] };
    for (const e of this.#entries.values()) {
      const runs = e.runs.filter((r) => nowMs - r.atMs <= this.#options.maxAgeMs);
      if (runs.length === 0) continue;
      const failures: Record<string, number> = {};
      let units = 0;
      let stalls = 0;
      let firstBadMs: number | null = null;
      for (const r of runs) {
        units += r.units;
        let bad = r.stalled;
        for (const k in r.failures) {
          failures[k] = (failures[k] ?? 0) + r.failures[k]!;
          bad = true;
        }
        if (r.stalled) stalls++;
        if (bad && firstBadMs === null) firstBadMs = r.atMs;
      }
      const last = runs.at(-1)!;
      if (last.blackhole || (last.ceilingBytes !== null && last.expectedBytes !== null && last.ceilingBytes < last.expectedBytes)) firstBadMs ??= firstMtuBad(runs);
      const base = { sourceNode, probe: e.probe, target: e.target.label, targetKind: e.target.kind, targetNode: e.target.node, runs: units, failures, firstBadMs };
      if (e.kind === 'dns') out.dns.push({ ...base, kind: 'dns', transport: e.transport, mode: e.mode, nameClass: e.nameClass, stalls } satisfies DnsObservation);
      else if (e.kind === 'tcp') out.tcp.push({ ...base, kind: 'tcp' } satisfies TcpObservation);
      else if (e.kind === 'icmp') {
        out.icmp.push({
          ...base,
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

const none: Run = { atMs: 0, units: 1, failures: {}, stalled: false, ceilingBytes: null, expectedBytes: null, blackhole: false, interfaceMtuBytes: null };

function reduce(kind: string, result: unknown, success: boolean, reason: string, atMs: number): Run | undefined {
  if (reason === 'aborted') return undefined; // cancelled runs (reload, shutdown) say nothing about the network
  if (kind === 'dns') {
    const r = result as Partial<DnsResult>;
    return { ...none, atMs, failures: success ? {} : { [reason]: 1 }, stalled: success && r.stalled === true };
  }
  if (kind === 'tcp') {
    const r = result as Partial<TcpResult>;
    if (typeof r.count !== 'number' || r.count === 0) return success ? { ...none, atMs } : { ...none, atMs, failures: { [reason]: 1 } };
    const failures: Record<string, number> = {};
    for (const k of ['refused', 'timeout', 'unreachable', 'error'] as const) if ((r[k] ?? 0) > 0) failures[k] = r[k]!;
    return { ...none, atMs, units: r.count, failures };
  }
  if (kind === 'icmp') {
    // interfaceMtu: the MTU of the interface on the route to the target (the ICMP probe's
    // netprobe_interface_mtu_bytes); read structurally so results without it still diagnose.
    const r = result as Partial<IcmpResult> & { interfaceMtu?: number | null };
    return {
      ...none,
      atMs,
      failures: success || MTU_REASONS.has(reason) ? {} : { [reason]: 1 },
      ceilingBytes: r.ceilingBytes ?? null,
      expectedBytes: r.expectedBytes ?? null,
      blackhole: r.blackhole === true,
      interfaceMtuBytes: typeof r.interfaceMtu === 'number' ? r.interfaceMtu : null,
    };
  }
  return { ...none, atMs, failures: success ? {} : { [reason]: 1 } };
}
