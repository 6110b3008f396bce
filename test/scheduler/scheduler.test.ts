import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/util/clock.ts';
import { Scheduler, type Job } from '../../src/scheduler/scheduler.ts';
import { nextSlot, phaseOffset, startupWindow } from '../../src/scheduler/spread.ts';
import { COALESCE_MS } from '../../src/scheduler/wake-queue.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function harness(concurrency = 64) {
  const skipped: string[] = [];
  const lags: number[] = [];
  const errors: unknown[] = [];
  const scheduler = new Scheduler({
    clock: systemClock,
    sourceNode: 'node-a',
    concurrency,
    events: {
      skipped: (_probe, reason) => skipped.push(reason),
      lag: (_probe, s) => lags.push(s),
      error: (_probe, e) => errors.push(e),
    },
  });
  return { scheduler, skipped, lags, errors };
}

function job(key: string, everyMs: number, run: (signal: AbortSignal) => Promise<void>, spread = false): Job {
  return { key, probe: key.split('|')[0]!, schedule: { everyMs }, spread, run };
}

let active: Scheduler | undefined;
afterEach(async () => {
  await active?.stop();
  active = undefined;
});

describe('phase spread', () => {
  it("spreads one node's targets evenly over the window", () => {
    // 2,000 targets of one node over 10 s: about 200 a second; a poor hash clusters them.
    const perSecond = new Array<number>(10).fill(0);
    for (let i = 0; i < 2000; i++) perSecond[Math.floor(phaseOffset('node-a', `tcp|10.1.${i >> 8}.${i & 255}:443`, 10_000) / 1000)]! += 1;
    expect(Math.min(...perSecond)).toBeGreaterThan(140);
    expect(Math.max(...perSecond)).toBeLessThan(260);
  });

  it('is stable for a (node, target) pair and differs between nodes', () => {
    expect(phaseOffset('node-a', 'dns|udp://x', 10_000)).toBe(phaseOffset('node-a', 'dns|udp://x', 10_000));
    const offsets = new Set(Array.from({ length: 200 }, (_, i) => phaseOffset(`node-${i}`, 'dns|udp://x', 10_000)));
    // 200 nodes over a 10 s window: far from all landing in the same second.
    const seconds = new Set([...offsets].map((o) => Math.floor(o / 1000)));
    expect(seconds.size).toBe(10);
    expect(Math.max(...offsets)).toBeLessThan(10_000);
  });

  it('puts the next slot on the offset grid, never in the past', () => {
    expect(nextSlot(10_000, 1000, 250)).toBe(10_250);
    expect(nextSlot(10_250, 1000, 250)).toBe(10_250);
    expect(nextSlot(10_251, 1000, 250)).toBe(11_250);
  });
});

describe('Scheduler', () => {
  it('runs a new job at once, not at its first slot', async () => {
    const h = harness();
    active = h.scheduler;
    let runs = 0;
    h.scheduler.reconcile([job('p|a', 60_000, async () => void runs++)]);
    await sleep(20);
    expect(runs).toBe(1); // first run right away: a new node reports within seconds
  });

  it('then runs on its interval', async () => {
    const h = harness();
    active = h.scheduler;
    let runs = 0;
    h.scheduler.reconcile([job('p|a', 100, async () => void runs++)]);
    await sleep(580);
    // The immediate run plus one per 100 ms slot on the wall-clock grid.
    expect(runs).toBeGreaterThanOrEqual(5);
    expect(runs).toBeLessThanOrEqual(8);
  });

  it('skips and counts a run whose previous run of the same target is still going', async () => {
    const h = harness();
    active = h.scheduler;
    let runs = 0;
    h.scheduler.reconcile([job('p|slow', 50, async () => void (runs++, await sleep(180)))]);
    await sleep(400);
    expect(h.skipped.filter((r) => r === 'overlap').length).toBeGreaterThanOrEqual(3);
    expect(runs).toBeLessThanOrEqual(3);
  });

  it('never runs more than the concurrency bound at once', async () => {
    const h = harness(2);
    active = h.scheduler;
    let inFlight = 0;
    let peak = 0;
    const work = async () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await sleep(40);
      inFlight--;
    };
    h.scheduler.reconcile(Array.from({ length: 8 }, (_, i) => job(`p|t${i}`, 10_000, work)));
    await sleep(250);
    expect(peak).toBe(2);
    // Queued runs report how late they started.
    expect(Math.max(...h.lags)).toBeGreaterThan(0.1);
  });

  it('aborts in-flight runs on stop and settles promptly', async () => {
    const h = harness();
    let aborted = false;
    h.scheduler.reconcile([
      job('p|hang', 1000, (signal) => new Promise<void>((resolve) => signal.addEventListener('abort', () => ((aborted = true), resolve())))),
    ]);
    await sleep(20);
    const started = performance.now();
    await h.scheduler.stop();
    expect(aborted).toBe(true);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('reconcile keeps unchanged jobs, starts new ones and reports removed keys', async () => {
    const h = harness();
    active = h.scheduler;
    const counts: Record<string, number> = {};
    const counting = (key: string) => job(key, 10_000, async () => void (counts[key] = (counts[key] ?? 0) + 1));
    h.scheduler.reconcile([counting('p|a'), counting('p|b')]);
    await sleep(20);
    const removed = h.scheduler.reconcile([counting('p|a'), counting('p|c')]);
    await sleep(20);
    expect(removed).toEqual(['p|b']);
    expect(counts).toEqual({ 'p|a': 1, 'p|b': 1, 'p|c': 1 }); // p|a was not restarted
  });

  it('patch touches only the jobs it names: the others keep their due time and their count', async () => {
    const h = harness();
    active = h.scheduler;
    const counts: Record<string, number> = {};
    const counting = (key: string, everyMs = 10_000) => job(key, everyMs, async () => void (counts[key] = (counts[key] ?? 0) + 1), true);
    h.scheduler.reconcile([counting('static|x'), counting('peers|a'), counting('peers|b')]);
    await sleep(20);
    const due = { x: h.scheduler.nextDue('static|x')!, a: h.scheduler.nextDue('peers|a')! };
    expect(due.x).toBeGreaterThan(Date.now()); // waiting for its next slot
    // peers|b leaves, peers|c joins, peers|a is replaced (same schedule); static|x is not named.
    const removed = h.scheduler.patch([counting('peers|a'), counting('peers|c')], ['peers|b', 'peers|unknown']);
    await sleep(20);
    expect(removed).toEqual(['peers|b']);
    expect(h.scheduler.nextDue('static|x')).toBe(due.x);
    expect(h.scheduler.nextDue('peers|a')).toBe(due.a);
    expect(h.scheduler.nextDue('peers|b')).toBeUndefined();
    expect(h.scheduler.nextDue('peers|c')).toBeGreaterThan(Date.now());
    expect(counts).toEqual({ 'static|x': 1, 'peers|a': 1, 'peers|b': 1, 'peers|c': 1 });
    // A replaced job with another schedule starts over (a new first run).
    h.scheduler.patch([counting('peers|a', 20_000)], []);
    await sleep(20);
    expect(counts['peers|a']).toBe(2);
    expect(h.scheduler.nextDue('static|x')).toBe(due.x);
  });

  it('drives cron schedules with a seconds field', async () => {
    const h = harness();
    active = h.scheduler;
    let runs = 0;
    h.scheduler.reconcile([{ key: 'c|x', probe: 'c', schedule: { cron: '* * * * * *' }, spread: false, run: async () => void runs++ }]);
    await sleep(2300);
    // One immediate run plus one per second.
    expect(runs).toBeGreaterThanOrEqual(3);
    expect(runs).toBeLessThanOrEqual(4);
  });

  it('contains a job that breaks the contract by throwing', async () => {
    const h = harness();
    active = h.scheduler;
    h.scheduler.reconcile([job('p|bad', 10_000, async () => { throw new Error('bug'); })]);
    await sleep(20);
    expect(h.errors).toHaveLength(1);
  });
});

describe('Scheduler under many jobs', () => {
  it('runs each slot once: 200 jobs every 100 ms make about 10 runs each per second, never more', async () => {
    const h = harness(1000);
    active = h.scheduler;
    const runs = new Map<string, number>();
    const jobs = Array.from({ length: 200 }, (_, i) =>
      job(`p|t${i}`, 100, async () => void runs.set(`p|t${i}`, (runs.get(`p|t${i}`) ?? 0) + 1), true),
    );
    h.scheduler.reconcile(jobs);
    await sleep(1000);
    await h.scheduler.stop();
    active = undefined;
    const counts = [...runs.values()];
    // One immediate run plus one per 100 ms slot: 10 or 11 in a second, 12 at a slot edge.
    expect(Math.max(...counts)).toBeLessThanOrEqual(12);
    // The lower bound is loose: on a loaded 2-core machine the 1 s sleep may end a slot or two early.
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(7);
  });
});

describe('Scheduler wake-ups', () => {
  it('runs jobs due within a few ms of each other from one timer wake-up', async () => {
    const h = harness(1000);
    active = h.scheduler;
    let runs = 0;
    // 300 hashed phases in one second: ~1 ms apart, so one timer per run would wake ~300 times a second.
    h.scheduler.reconcile(Array.from({ length: 300 }, (_, i) => job(`p|w${i}`, 1000, async () => void runs++, true)));
    await sleep(2200);
    expect(runs).toBeGreaterThanOrEqual(500);
    // At most one wake-up per COALESCE_MS, plus those of the start-up window.
    expect(h.scheduler.wakeups).toBeLessThanOrEqual(Math.ceil(2200 / COALESCE_MS) + 10);
    expect(h.scheduler.wakeups).toBeLessThan(runs / 2);
  });
});

describe('Scheduler after a blocked event loop', () => {
  it('runs the slot a stall made it miss at once (late, counted in the lag), older ones not', async () => {
    const h = harness();
    active = h.scheduler;
    const at: number[] = [];
    h.scheduler.reconcile([job('p|stall', 500, async () => void at.push(performance.now()))]);
    await sleep(150); // the start-up run is done
    const stallFrom = performance.now();
    while (performance.now() - stallFrom < 1600) {
      // A synchronous stall over three intervals: the queued slot fires late,
      // and of the slots that passed unseen only the last one is caught up.
    }
    const stallEnd = performance.now();
    await sleep(100);
    const soon = at.filter((t) => t >= stallEnd && t - stallEnd < 60).length;
    // The late queued slot and the caught-up one (dropping missed slots: 1,
    // unless the next slot happens to fall in these 60 ms).
    expect(soon).toBeGreaterThanOrEqual(2);
    // Replaying every missed slot would be 4-5 runs; at most one more here is the next regular slot.
    expect(at.filter((t) => t >= stallEnd).length).toBeLessThanOrEqual(3);
    expect(Math.max(...h.lags)).toBeGreaterThan(0.5);
  });
});

describe('Start-up spread', () => {
  it('sizes the window by the number of new targets, never beyond one interval', () => {
    expect(startupWindow(5, 60_000)).toBe(10);
    expect(startupWindow(1000, 60_000)).toBe(2000);
    expect(startupWindow(100_000, 30_000)).toBe(30_000);
  });

  it('a small config runs every target within a few ms (ready at once)', async () => {
    const h = harness();
    active = h.scheduler;
    const ran = new Set<string>();
    h.scheduler.reconcile(Array.from({ length: 5 }, (_, i) => job(`p|s${i}`, 60_000, async () => void ran.add(`p|s${i}`), true)));
    await sleep(150);
    expect(ran.size).toBe(5);
  });

  it('spreads the first runs of many targets over the window instead of one burst', async () => {
    const h = harness(1000);
    active = h.scheduler;
    const firstAt = new Map<string, number>();
    const t0 = performance.now();
    const n = 400; // window 800 ms at 500 first runs a second
    h.scheduler.reconcile(Array.from({ length: n }, (_, i) => job(`p|m${i}`, 60_000, async () => void (firstAt.has(`p|m${i}`) || firstAt.set(`p|m${i}`, performance.now() - t0)), true)));
    await sleep(2000);
    expect(firstAt.size).toBe(n); // every target ran once within the window (plus margin)
    const times = [...firstAt.values()];
    // Timers never fire early, so offsets up to ~800 ms put the last runs at least 600 ms in.
    expect(Math.max(...times)).toBeGreaterThan(600);
    expect(times.filter((t) => t < 100).length).toBeLessThan(n / 3);
  });
});
