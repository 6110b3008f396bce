// The scheduler owns time: when each (probe, target) runs, that runs of one
// pair never overlap, and how many runs are in flight at once. A job makes one
// run when called; it knows nothing of timers.
import cron, { type ScheduledTask } from 'node-cron';
import type { Clock } from '../util/clock.ts';
import { nextSlot, phaseOffset, startupWindow } from './spread.ts';
import { WakeQueue } from './wake-queue.ts';

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
  busy: boolean;
  controller?: AbortController;
  offsetMs: number;
  /** The due time this entry waits for in the wake queue; NaN when it waits for none (dropped, or cron between firings). */
  dueWall: number;
  /** Whether the queued wake-up is the first run (a cron firing before it does not run it again). */
  first: boolean;
  /** Interval jobs: the first run was off the grid (start-up window), so a grid slot right after it is skipped. */
  offGrid?: boolean;
}

/** A run waiting for a concurrency slot. */
interface Waiting {
  entry: Entry;
  controller: AbortController;
  dueWall: number;
}

export class Scheduler {
  readonly #clock: Clock;
  readonly #sourceNode: string;
  readonly #events: SchedulerEvents;
  readonly #concurrency: number;
  // The concurrency bound, kept here rather than in p-limit: p-limit allocated
  // a generator, closures and promises per run (~10 % of the daemon's
  // allocation at 2,000 runs/s).
  #active = 0;
  #waiting: Waiting[] = [];
  readonly #entries = new Map<string, Entry>();
  readonly #cronTasks = new Map<string, { expression: string; task: ScheduledTask }>();
  #stopping = false;
  readonly #queue: WakeQueue<Entry>;

  constructor(options: { clock: Clock; sourceNode: string; concurrency: number; events: SchedulerEvents }) {
    this.#clock = options.clock;
    this.#sourceNode = options.sourceNode;
    this.#events = options.events;
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
      throw new TypeError(`scheduler: concurrency must be a whole number of at least 1, got ${options.concurrency}`);
    }
    this.#concurrency = options.concurrency;
    this.#queue = new WakeQueue(this.#clock, (entry, due) => this.#wake(entry, due));
  }

  /** Timer wake-ups so far: runs due within a few ms of each other share one. */
  get wakeups(): number {
    return this.#queue.wakeups;
  }

  /**
   * Makes the scheduled set equal to `jobs`: new keys start, gone keys stop
   * (an in-flight run is aborted), kept keys keep their slot. A new key's first
   * run comes within a start-up window: short for a few targets, so a fresh
   * pod reports and turns ready within seconds, and growing with their number
   * up to one interval, so 10^5 targets do not all run in the first second.
   * Within it, a key runs at its own grid slot if that falls inside, else at a
   * stable hashed offset. Returns the keys removed.
   */
  reconcile(jobs: readonly Job[]): string[] {
    const wanted = new Set(jobs.map((job) => job.key));
    return this.patch(jobs, [...this.#entries.keys()].filter((key) => !wanted.has(key)));
  }

  /**
   * Changes only the jobs named: `upsert` starts new keys and replaces kept
   * ones (which keep their slot unless their schedule changed), `remove` stops
   * keys. Every other job is not looked at, so a change of a few targets
   * (discovery) costs what it touches, not what is scheduled. Returns the keys
   * removed.
   */
  patch(upsert: readonly Job[], remove: Iterable<string>): string[] {
    const removed: string[] = [];
    let cron = false;
    for (const key of remove) {
      const entry = this.#entries.get(key);
      if (!entry) continue;
      cron ||= 'cron' in entry.job.schedule;
      this.#drop(entry);
      this.#entries.delete(key);
      removed.push(key);
    }
    const fresh: Job[] = [];
    for (const next of upsert) {
      const entry = this.#entries.get(next.key);
      cron ||= 'cron' in next.schedule;
      if (!entry) {
        fresh.push(next);
      } else if (JSON.stringify(next.schedule) !== JSON.stringify(entry.job.schedule) || next.spread !== entry.job.spread) {
        cron ||= 'cron' in entry.job.schedule;
        this.#drop(entry);
        this.#entries.delete(next.key);
        fresh.push(next);
      } else {
        entry.job = next; // new options take effect on the next run
      }
    }
    const now = this.#clock.wallNow();
    for (const job of fresh) {
      const entry: Entry = { job, busy: false, offsetMs: 0, dueWall: Number.NaN, first: true };
      this.#entries.set(job.key, entry);
      const everyMs = 'everyMs' in job.schedule ? job.schedule.everyMs : Number.POSITIVE_INFINITY;
      const windowMs = startupWindow(fresh.length, everyMs);
      let due = now + phaseOffset(this.#sourceNode, job.key, windowMs);
      if ('everyMs' in job.schedule) {
        entry.offsetMs = job.spread ? phaseOffset(this.#sourceNode, job.key, everyMs) : 0;
        const slot = nextSlot(now, everyMs, entry.offsetMs);
        if (slot - now <= windowMs) due = slot; // on the grid already: nothing to skip after it
        else entry.offGrid = true;
      }
      this.#enqueue(entry, due);
    }
    if (cron) this.#syncCronTasks();
    return removed;
  }

  /** When the job `key` runs next (wall-clock ms); undefined for unknown keys, NaN while it waits for no timer (cron between firings). */
  nextDue(key: string): number | undefined {
    return this.#entries.get(key)?.dueWall;
  }

  /** Number of runs in flight or waiting for a concurrency slot. */
  get pending(): number {
    return this.#active + this.#waiting.length;
  }

  /** Stops every timer, aborts in-flight runs and waits for them to settle. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#queue.stop();
    for (const entry of this.#entries.values()) this.#drop(entry);
    for (const { task } of this.#cronTasks.values()) await task.destroy();
    this.#cronTasks.clear();
    this.#waiting = [];
    while (this.#active > 0) await new Promise((r) => setTimeout(r, 10));
  }

  #drop(entry: Entry): void {
    entry.dueWall = Number.NaN; // its queued wake-up, if any, is ignored when it comes
    entry.controller?.abort();
  }

  #enqueue(entry: Entry, due: number): void {
    if (this.#stopping) return;
    entry.dueWall = due;
    this.#queue.push(due, entry);
  }

  /** A queued wake-up came due: run, and for interval jobs queue the next slot. */
  #wake(entry: Entry, due: number): void {
    if (entry.dueWall !== due) return; // dropped or superseded meanwhile
    entry.dueWall = Number.NaN;
    entry.first = false;
    this.#dispatch(entry, due);
    const { schedule } = entry.job;
    if (!('everyMs' in schedule)) return;
    // The next slot is counted from `due` (the wake-up may come a few ms before
    // it) so one slot never runs twice. A wake-up late by more than an interval
    // (a blocked event loop) catches up the one slot it missed right away, late
    // and counted in the lag, instead of dropping it unseen; older ones are
    // dropped, so a long stall is followed by one catch-up run, not a burst.
    // After an off-grid start-up run, a slot less than half an interval away
    // is skipped: no second run right on the first (it would find the first
    // busy and count a false overlap).
    const everyMs = schedule.everyMs;
    const after = Math.max(due, this.#clock.wallNow() - everyMs) + (entry.offGrid ? Math.max(1, everyMs / 2) : 1);
    entry.offGrid = false;
    this.#enqueue(entry, nextSlot(after, everyMs, entry.offsetMs));
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
      if (entry.first) continue; // its start-up run is queued already
      const offset = job.spread ? phaseOffset(this.#sourceNode, job.key, windowMs) : 0;
      if (offset === 0) this.#dispatch(entry, firedAt);
      else this.#enqueue(entry, firedAt + offset);
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
    if (this.#active < this.#concurrency) this.#start(entry, controller, dueWall);
    else this.#waiting.push({ entry, controller, dueWall });
  }

  #start(entry: Entry, controller: AbortController, dueWall: number): void {
    this.#active++;
    const { job } = entry;
    let run: Promise<void>;
    if (controller.signal.aborted) {
      run = Promise.resolve(); // dropped while waiting for a slot
    } else {
      this.#events.lag(job.probe, Math.max(0, this.#clock.wallNow() - dueWall) / 1000);
      try {
        run = job.run(controller.signal);
      } catch (error) {
        run = Promise.reject(error);
      }
    }
    run.then(undefined, (error: unknown) => this.#events.error(job.probe, error)).then(() => this.#settle(entry, controller));
  }

  #settle(entry: Entry, controller: AbortController): void {
    this.#active--;
    entry.busy = false;
    if (entry.controller === controller) entry.controller = undefined;
    const next = this.#waiting.shift();
    if (next) this.#start(next.entry, next.controller, next.dueWall);
  }
}
