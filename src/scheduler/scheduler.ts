// The scheduler owns time: when each (probe, target) runs, that runs of one
// pair never overlap, and how many runs are in flight at once. A job makes one
// run when called; it knows nothing of timers.
import cron, { type ScheduledTask } from 'node-cron';
import pLimit, { type LimitFunction } from 'p-limit';
import type { Clock } from '../probes/types.ts';
import { nextSlot, phaseOffset } from './spread.ts';

export interface Job {
  /** Unique across the scheduler: probe name + target id. */
  key: string;
  probe: string;
  schedule: { everyMs: number } | { cron: string };
  spread: boolean;
  /** One run; must settle (never throw) and honour the signal. */
  run(signal: AbortSignal): Promise<void>;
}

export interface SchedulerEvents {
  skipped(probe: string, reason: 'overlap' | 'stopping'): void;
  lag(probe: string, seconds: number): void;
  /** A job broke its contract and threw; scheduling goes on. */
  error(probe: string, error: unknown): void;
}

interface Entry {
  job: Job;
  timer?: NodeJS.Timeout;
  busy: boolean;
  controller?: AbortController;
  offsetMs: number;
}

export class Scheduler {
  readonly #clock: Clock;
  readonly #sourceNode: string;
  readonly #events: SchedulerEvents;
  readonly #limit: LimitFunction;
  readonly #entries = new Map<string, Entry>();
  readonly #cronTasks = new Map<string, { expression: string; task: ScheduledTask }>();
  #stopping = false;

  constructor(options: { clock: Clock; sourceNode: string; concurrency: number; events: SchedulerEvents }) {
    this.#clock = options.clock;
    this.#sourceNode = options.sourceNode;
    this.#events = options.events;
    this.#limit = pLimit(options.concurrency);
  }

  /**
   * Makes the scheduled set equal to `jobs`: new keys start (first run right
   * away, so a fresh pod reports within seconds), gone keys stop (an in-flight
   * run is aborted), kept keys keep their slot. Returns the keys removed.
   */
  reconcile(jobs: readonly Job[]): string[] {
    const wanted = new Map(jobs.map((job) => [job.key, job]));
    const removed: string[] = [];
    for (const [key, entry] of this.#entries) {
      const next = wanted.get(key);
      if (!next || JSON.stringify(next.schedule) !== JSON.stringify(entry.job.schedule) || next.spread !== entry.job.spread) {
        this.#drop(entry);
        this.#entries.delete(key);
        if (!next) removed.push(key);
      } else {
        entry.job = next; // new options take effect on the next run
      }
    }
    for (const job of jobs) {
      if (this.#entries.has(job.key)) continue;
      const entry: Entry = { job, busy: false, offsetMs: 0 };
      this.#entries.set(job.key, entry);
      if ('everyMs' in job.schedule) {
        entry.offsetMs = job.spread ? phaseOffset(this.#sourceNode, job.key, job.schedule.everyMs) : 0;
        this.#dispatch(entry, this.#clock.wallNow());
        this.#armInterval(entry);
      } else {
        this.#dispatch(entry, this.#clock.wallNow());
      }
    }
    this.#syncCronTasks();
    return removed;
  }

  /** Number of runs in flight or waiting for a concurrency slot. */
  get pending(): number {
    return this.#limit.activeCount + this.#limit.pendingCount;
  }

  /** Stops every timer, aborts in-flight runs and waits for them to settle. */
  async stop(): Promise<void> {
    this.#stopping = true;
    for (const entry of this.#entries.values()) this.#drop(entry);
    for (const { task } of this.#cronTasks.values()) await task.destroy();
    this.#cronTasks.clear();
    this.#limit.clearQueue();
    while (this.#limit.activeCount > 0) await new Promise((r) => setTimeout(r, 10));
  }

  #drop(entry: Entry): void {
    clearTimeout(entry.timer);
    entry.timer = undefined;
    entry.controller?.abort();
  }

  /** Arms the timer for the first slot after `after` (wall-clock ms). */
  #armInterval(entry: Entry, after = this.#clock.wallNow()): void {
    if (this.#stopping || !('everyMs' in entry.job.schedule)) return;
    const now = this.#clock.wallNow();
    const due = nextSlot(after + 1, entry.job.schedule.everyMs, entry.offsetMs);
    entry.timer = setTimeout(() => {
      this.#dispatch(entry, due);
      // Timers can fire a little before the wall clock reaches `due`; the next
      // slot is counted from `due` itself so one slot never runs twice.
      this.#armInterval(entry, Math.max(due, this.#clock.wallNow()));
    }, due - now);
    entry.timer.unref?.();
  }

  /** One node-cron task per distinct expression; it fans out to that expression's entries. */
  #syncCronTasks(): void {
    const expressions = new Set<string>();
    for (const { job } of this.#entries.values()) if ('cron' in job.schedule) expressions.add(job.schedule.cron);
    for (const [expression, { task }] of this.#cronTasks) {
      if (!expressions.has(expression)) {
        void task.destroy();
        this.#cronTasks.delete(expression);
      }
    }
    for (const expression of expressions) {
      if (this.#cronTasks.has(expression)) continue;
      const task = cron.schedule(expression, (context) => this.#cronTick(expression, context.date.getTime()), {
        name: `netprobe:${expression}`,
      });
      this.#cronTasks.set(expression, { expression, task });
    }
  }

  #cronTick(expression: string, firedAt: number): void {
    const task = this.#cronTasks.get(expression)?.task;
    const [next, after] = task?.getNextRuns(2) ?? [];
    // Spread within the gap to the next firing, keeping a tenth of it as margin.
    const windowMs = next && after ? (after.getTime() - next.getTime()) * 0.9 : 0;
    for (const entry of this.#entries.values()) {
      const { job } = entry;
      if (!('cron' in job.schedule) || job.schedule.cron !== expression) continue;
      const offset = job.spread ? phaseOffset(this.#sourceNode, job.key, windowMs) : 0;
      if (offset === 0) this.#dispatch(entry, firedAt);
      else {
        clearTimeout(entry.timer);
        entry.timer = setTimeout(() => this.#dispatch(entry, firedAt + offset), offset);
        entry.timer.unref?.();
      }
    }
  }

  #dispatch(entry: Entry, dueWall: number): void {
    const { job } = entry;
    if (this.#stopping) {
      this.#events.skipped(job.probe, 'stopping');
      return;
    }
    if (entry.busy) {
      this.#events.skipped(job.probe, 'overlap');
      return;
    }
    entry.busy = true;
    const controller = new AbortController();
    entry.controller = controller;
    void this.#limit(async () => {
      if (controller.signal.aborted) return;
      this.#events.lag(job.probe, Math.max(0, this.#clock.wallNow() - dueWall) / 1000);
      await job.run(controller.signal);
    })
      .catch((error: unknown) => this.#events.error(job.probe, error))
      .finally(() => {
        entry.busy = false;
        if (entry.controller === controller) entry.controller = undefined;
      });
  }
}
