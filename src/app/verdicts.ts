// The daemon's local verdicts: every finished run goes into the diagnosis
// window; every few seconds the engine re-evaluates it. The result is served
// on /api/verdicts, exported as netprobe_verdict / _since gauges, and each
// change is logged. Evaluating on a timer rather than per run keeps the cost
// flat at thousands of runs a second (one pass over the window per tick).
import type { Verdict } from '../diagnosis/types.ts';
import { FAILURE_MODES } from '../diagnosis/types.ts';
import { diagnose } from '../diagnosis/engine.ts';
import { DEFAULT_WINDOW, type ObservationContext, RunWindow, type WindowOptions } from '../diagnosis/window.ts';
import type { MetricSink } from '../metrics/catalog.ts';
import type { Clock, TargetInfo } from '../probes/types.ts';
import type { Logger } from '../util/logger.ts';

export const EVALUATE_EVERY_MS = 2000;

export interface LocalVerdictsOptions {
  sink: MetricSink;
  log: Logger;
  clock: Clock;
  sourceNode: string;
  window?: WindowOptions;
  everyMs?: number;
  /** The daemon's vantage ("host" for the hostNetwork DaemonSet) and its traces' first bad hops. */
  context?: ObservationContext;
}

const keyOf = (v: Verdict): string => `${v.failure}|${v.status}`;

export class LocalVerdicts {
  readonly #window: RunWindow;
  readonly #o: LocalVerdictsOptions;
  readonly #timer: NodeJS.Timeout;
  #current: Verdict[] = [];
  /** Per-target gauge series currently set, "F1|target". */
  #series = new Set<string>();

  constructor(options: LocalVerdictsOptions) {
    this.#o = options;
    this.#window = new RunWindow(options.window ?? DEFAULT_WINDOW);
    for (const failure of FAILURE_MODES) options.sink.set('verdict', { failure, target: '' }, 0);
    this.#timer = setInterval(() => this.evaluate(), options.everyMs ?? EVALUATE_EVERY_MS);
    this.#timer.unref();
  }

  record(key: string, probe: string, kind: string, target: TargetInfo, options: unknown, result: unknown, success: boolean, reason: string, atMs: number): void {
    this.#window.record(key, probe, kind, target, options, result, success, reason, atMs);
  }

  /**
   * Forgets targets no longer scheduled (reload, discovery) and re-evaluates
   * at once, so a verdict about a removed target does not outlive it by a tick.
   */
  retain(keys: Iterable<string>): void {
    this.#window.retain(new Set(keys));
    this.evaluate();
  }

  get current(): readonly Verdict[] {
    return this.#current;
  }

  evaluate(): Verdict[] {
    const now = this.#o.clock.wallNow();
    const previous = new Map(this.#current.map((v) => [keyOf(v), v]));
    const next = diagnose(this.#window.observations(this.#o.sourceNode, now, this.#o.context)).map((v) => {
      // The episode started when it was first raised, not at the oldest run still in the window.
      const before = previous.get(keyOf(v));
      return before ? { ...v, since: Math.min(before.since, v.since) } : v;
    });
    this.#logChanges(previous, next);
    this.#export(next);
    this.#current = next;
    return next;
  }

  #logChanges(previous: Map<string, Verdict>, next: Verdict[]): void {
    const seen = new Set<string>();
    for (const v of next) {
      const k = keyOf(v);
      seen.add(k);
      const before = previous.get(k);
      const fields = { failure: v.failure, status: v.status, targets: v.targets, title: v.title, since: new Date(v.since).toISOString() };
      if (!before) this.#o.log.warn('verdict raised', fields);
      else if (before.targets.join(',') !== v.targets.join(',')) this.#o.log.warn('verdict changed', fields);
    }
    for (const [k, v] of previous) if (!seen.has(k)) this.#o.log.info('verdict cleared', { failure: v.failure, status: v.status, targets: v.targets });
  }

  #export(next: Verdict[]): void {
    const { sink } = this.#o;
    const firing = next.filter((v) => v.status === 'firing');
    const series = new Set<string>();
    for (const failure of FAILURE_MODES) {
      const v = firing.find((x) => x.failure === failure);
      sink.set('verdict', { failure, target: '' }, v ? 1 : 0);
      if (v) sink.set('verdictSince', { failure, target: '' }, v.since / 1000);
      else void sink.remove('verdictSince', { failure, target: '' });
      for (const target of v?.targets ?? []) {
        series.add(`${failure}|${target}`);
        sink.set('verdict', { failure, target }, 1);
        sink.set('verdictSince', { failure, target }, v!.since / 1000);
      }
    }
    for (const s of this.#series) {
      if (series.has(s)) continue;
      const [failure, target] = s.split(/\|(.*)/s) as [string, string];
      void sink.remove('verdict', { failure, target });
      void sink.remove('verdictSince', { failure, target });
    }
    this.#series = series;
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
