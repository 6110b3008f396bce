// What the daemon schedules, by probe: each target's key and series identity,
// each probe's keys. A config load replaces it all; a discovery change
// replaces a few probes and says which jobs to start, replace or stop and
// whose series go, so the scheduler and the sinks see only those.
import { DEFAULT_EVERY_MS, type ProbeConfig, tooManyTargets } from '../config/schema.ts';
import { RECORDERS, seriesIdentity } from '../metrics/recorder.ts';
import { KINDS, type TargetEnv } from '../probes/registry.ts';
import type { TargetInfo } from '../probes/types.ts';
import type { Job } from '../scheduler/scheduler.ts';

export interface Scheduled {
  probe: string;
  kind: string;
  target: TargetInfo;
  /** The labels its series carry beyond the key: when they change, the old series go. */
  identity: string;
}

/** A probe expanded: its options and one (key, target, job) per target. */
export interface Expanded {
  probe: ProbeConfig;
  options: unknown;
  jobs: { key: string; scheduled: Scheduled; job: Job }[];
}

/** Expands a probe into its targets, each with its job (`run` makes one run of one target). */
export function expandProbe(
  probe: ProbeConfig,
  env: TargetEnv,
  run: (options: unknown, target: TargetInfo, key: string, signal: AbortSignal) => Promise<void>,
): Expanded {
  const def = KINDS[probe.kind]!;
  const options: unknown = def.options(probe, env);
  const schedule = probe.cron ? { cron: probe.cron } : { everyMs: probe.every ?? DEFAULT_EVERY_MS };
  return {
    probe,
    options,
    jobs: def.targets(probe, env).map((target: TargetInfo) => {
      const key = `${probe.name}|${target.id}`;
      return {
        key,
        scheduled: { probe: probe.name, kind: probe.kind, target, identity: seriesIdentity(RECORDERS[probe.kind], target, options) },
        job: { key, probe: probe.name, schedule, spread: probe.spread, run: (signal) => run(options, target, key, signal) },
      };
    }),
  };
}

interface RunningProbe {
  config: ProbeConfig;
  /** The options as JSON: when they change, every job of the probe is replaced. */
  options: string;
  keys: readonly string[];
}

export interface Change {
  upsert: Job[];
  remove: string[];
  /** Targets whose series go: removed, or kept under their key with other labels. */
  gone: Scheduled[];
  /** Probes that ran and now wait for targets: what they owned as a whole goes too. */
  emptied: string[];
  added: number;
  changed: number;
}

const runningOf = (e: Expanded): RunningProbe => ({ config: e.probe, options: JSON.stringify(e.options) ?? '', keys: e.jobs.map((j) => j.key) });

export class TargetTable {
  #scheduled = new Map<string, Scheduled>();
  #running = new Map<string, RunningProbe>();

  get size(): number {
    return this.#scheduled.size;
  }

  keys(): IterableIterator<string> {
    return this.#scheduled.keys();
  }

  /** The probe configs running now (waiting ones not among them). */
  configs(): ProbeConfig[] {
    return [...this.#running.values()].map((r) => r.config);
  }

  /** A config load: everything replaced. Throws, changing nothing, past `maxTargets`. */
  replace(expanded: readonly Expanded[], maxTargets: number): { jobs: Job[]; gone: Scheduled[]; left: string[] } {
    const scheduled = new Map<string, Scheduled>();
    const running = new Map<string, RunningProbe>();
    const jobs: Job[] = [];
    for (const e of expanded) {
      for (const j of e.jobs) {
        scheduled.set(j.key, j.scheduled);
        jobs.push(j.job);
      }
      running.set(e.probe.name, runningOf(e));
    }
    // The file's count took "resolv.conf" as one server; the expansion is the real one.
    if (scheduled.size > maxTargets) throw new Error(tooManyTargets(scheduled.size, maxTargets));
    const gone: Scheduled[] = [];
    for (const [key, old] of this.#scheduled) {
      const now = scheduled.get(key);
      if (!now || now.kind !== old.kind || now.identity !== old.identity) gone.push(old);
    }
    const left = [...this.#running.keys()].filter((probe) => !running.has(probe));
    this.#scheduled = scheduled;
    this.#running = running;
    return { jobs, gone, left };
  }

  /**
   * A discovery change of the probes in `next` (undefined: it waits for
   * targets now). Jobs whose target and options are as before are left alone.
   * Throws, changing nothing, past `maxTargets`.
   */
  change(next: ReadonlyMap<string, Expanded | undefined>, maxTargets: number): Change {
    let total = this.#scheduled.size;
    for (const [name, e] of next) total += (e?.jobs.length ?? 0) - (this.#running.get(name)?.keys.length ?? 0);
    if (total > maxTargets) throw new Error(tooManyTargets(total, maxTargets));
    const out: Change = { upsert: [], remove: [], gone: [], emptied: [], added: 0, changed: 0 };
    for (const [name, e] of next) {
      const before = this.#running.get(name);
      const sameOptions = before !== undefined && e !== undefined && before.options === (JSON.stringify(e.options) ?? '');
      const kept = new Set<string>();
      for (const j of e?.jobs ?? []) {
        kept.add(j.key);
        const old = this.#scheduled.get(j.key);
        if (old && sameOptions && old.identity === j.scheduled.identity) continue; // untouched: keeps its job, slot and series
        if (old) {
          out.changed++;
          if (old.identity !== j.scheduled.identity || old.kind !== j.scheduled.kind) out.gone.push(old);
        } else out.added++;
        this.#scheduled.set(j.key, j.scheduled);
        out.upsert.push(j.job);
      }
      for (const key of before?.keys ?? []) {
        if (kept.has(key)) continue;
        out.remove.push(key);
        out.gone.push(this.#scheduled.get(key)!);
        this.#scheduled.delete(key);
      }
      if (e) this.#running.set(name, runningOf(e));
      else if (before) {
        this.#running.delete(name);
        out.emptied.push(name);
      }
    }
    return out;
  }

  /** `netprobe_targets` per (probe, target_kind); `only`: just these probes. */
  counts(only?: ReadonlySet<string>): Map<string, { labels: { probe: string; target_kind: string }; n: number }> {
    const counts = new Map<string, { labels: { probe: string; target_kind: string }; n: number }>();
    for (const [name, running] of this.#running) {
      if (only && !only.has(name)) continue;
      for (const key of running.keys) {
        const { probe, target } = this.#scheduled.get(key)!;
        const id = `${probe}|${target.kind}`;
        const entry = counts.get(id) ?? { labels: { probe, target_kind: target.kind }, n: 0 };
        entry.n += 1;
        counts.set(id, entry);
      }
    }
    return counts;
  }
}
