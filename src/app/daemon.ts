// The wiring: the only module that imports config, targets, probes, scheduler,
// metrics and exporters together. Data flows one way: config -> targets ->
// scheduler -> probe -> result -> recorder -> sinks (+ result store).
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { Registry } from '../exporters/prom-registry.ts';
import type { Config, ProbeConfig } from '../config/schema.ts';
import { DnsResponder } from '../embedded/dns-responder.ts';
import type { OtlpSink } from '../exporters/otlp.ts';
import { otlpSettingsFromEnv } from '../exporters/otlp-settings.ts';
import { PrometheusSink } from '../exporters/prometheus.ts';
import type { MetricSink } from '../metrics/catalog.ts';
import { FanoutSink } from '../metrics/sinks-fanout.ts';
import { interned } from '../metrics/labels.ts';
import { forgetProbe, probeSeries, RECORDERS, recordRun, seriesOf } from '../metrics/recorder.ts';
import { KINDS, type TargetEnv } from '../probes/registry.ts';
import type { TargetInfo } from '../probes/types.ts';
import { systemClock, type Clock } from '../util/clock.ts';
import { Scheduler } from '../scheduler/scheduler.ts';
import type { ProbeSources } from '../targets/types.ts';
import type { Logger } from '../util/logger.ts';
import { fdLimit, httpConnectionCap, mentionsFdExhaustion } from './fd-budget.ts';
import { startHttpServer } from './http.ts';
import { badHopOf, PathTracer } from './path-tracer.ts';
import { StallMeter } from './stall.ts';
import { type Expanded, expandProbe, type Scheduled, TargetTable } from './target-table.ts';
import { ResultStore } from './results.ts';
import { LocalVerdicts } from './verdicts.ts';
import { VERSION } from './version.ts';

/** Old-generation growth between full GCs, percent (V8's --heap-growing-percent). */
const HEAP_GROWING_PERCENT = 50;

export interface DaemonOptions {
  config: Config;
  /** Probes of `config` whose targets come from discovery: their current form is taken from here, and their changes applied alone. */
  live?: ProbeSources<ProbeConfig>;
  env: NodeJS.ProcessEnv;
  log: Logger;
  clock?: Clock;
  readFile?: (path: string) => string;
}

/**
 * A failed run during which the event loop stood still this long is not
 * reported: its timeouts may have fired before answers that had arrived
 * were read. Below the shortest per-attempt timeout users set in practice.
 */
const STALL_SKIP_MS = 1000;

/** One log line per this long while runs keep hitting EMFILE/ENFILE (the counter has every one). */
const PROBLEM_LOG_EVERY_MS = 10_000;

// Frozen per (probe, reason): the lag event fires on every run.
const eventLabels = interned();

/**
 * NETPROBE_VANTAGE: where this daemon probes from, `pod` (the pod network) or
 * `host` (a hostNetwork DaemonSet). Set, it becomes a `vantage` label on every
 * series and a field of every /api/results entry, so pod-vs-host comparisons
 * (overlay vs underlay) can be made; unset, no label (read as pod).
 */
export function vantageFromEnv(env: NodeJS.ProcessEnv): 'pod' | 'host' | undefined {
  const v = env.NETPROBE_VANTAGE?.trim();
  if (v === undefined || v === '') return undefined;
  if (v !== 'pod' && v !== 'host') throw new Error(`NETPROBE_VANTAGE: expected "pod" or "host", got "${v}"`);
  return v;
}

export class Daemon {
  readonly url: string;
  readonly sourceNode: string;
  readonly prometheus: PrometheusSink;
  readonly #sink: MetricSink;
  readonly #otlp: OtlpSink | undefined;
  readonly #scheduler: Scheduler;
  readonly #results: ResultStore;
  readonly verdicts: LocalVerdicts;
  readonly #http: import('node:http').Server;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #readFile: (path: string) => string;
  readonly #heartbeat: NodeJS.Timeout;
  readonly #tracer: PathTracer;
  #lastBeat: number;
  #responder: DnsResponder | undefined;
  #config: Config;
  #live: ProbeSources<ProbeConfig> | undefined;
  #unsubscribeLive = (): void => {};
  readonly #table = new TargetTable();
  /** Config loads and discovery changes apply one at a time. */
  #serial: Promise<unknown> = Promise.resolve();
  #stopped = false;
  /** The last config load, and the last discovery change, applied; the reload gauge is 1 when both were. */
  #fileOk = true;
  #discoveryOk = true;
  #targetCounts = new Map<string, Record<string, string>>();
  readonly #invalidateMetrics: () => void;
  readonly #stalls = new StallMeter();
  readonly #problems: Record<string, { since: number; loggedAt: number }> = {};

  private constructor(parts: {
    options: DaemonOptions;
    sourceNode: string;
    prometheus: PrometheusSink;
    otlp: OtlpSink | undefined;
    http: import('node:http').Server;
    url: string;
    results: ResultStore;
    invalidateMetrics: () => void;
  }) {
    const { options } = parts;
    this.#config = options.config;
    this.#log = options.log;
    this.#clock = options.clock ?? systemClock;
    this.#readFile = options.readFile ?? ((path) => readFileSync(path, 'utf8'));
    this.sourceNode = parts.sourceNode;
    this.prometheus = parts.prometheus;
    this.#otlp = parts.otlp;
    this.#sink = parts.otlp ? new FanoutSink([parts.prometheus, parts.otlp]) : parts.prometheus;
    this.#http = parts.http;
    this.#results = parts.results;
    this.#tracer = new PathTracer({ sink: this.#sink, log: this.#log, now: () => this.#clock.wallNow() });
    this.#results.traces = (key) => this.#tracer.latest(key);
    this.url = parts.url;
    this.#invalidateMetrics = parts.invalidateMetrics;
    this.#lastBeat = this.#clock.now();
    this.#heartbeat = setInterval(() => (this.#lastBeat = this.#clock.now()), 1000);
    this.#heartbeat.unref();
    this.verdicts = new LocalVerdicts({
      sink: this.#sink,
      log: this.#log,
      clock: this.#clock,
      sourceNode: this.sourceNode,
      context: { ...(parts.results.vantage ? { vantage: parts.results.vantage } : {}), badHop: (key) => badHopOf(this.#tracer.latest(key)) },
    });
    this.#scheduler = new Scheduler({
      clock: this.#clock,
      sourceNode: this.sourceNode,
      concurrency: options.config.concurrency,
      events: {
        skipped: (probe, reason) => this.#sink.add('probeSkipped', eventLabels(probe, reason, () => ({ probe, reason }))),
        lag: (probe, seconds) => this.#sink.observe('scheduleLag', eventLabels(probe, '', () => ({ probe })), seconds),
        error: (probe, error) => this.#log.error('probe run threw (bug)', { probe, error: String(error) }),
      },
    });
  }

  static async start(options: DaemonOptions): Promise<Daemon> {
    const { config, env, log } = options;
    // V8 pretenures allocation sites whose objects survived its first scavenges.
    // The startup burst (every target's first run at once) made it pretenure the
    // per-run sites (sockets, closures, results), so every run's short-lived
    // objects went straight to old space: +3.3 MB/s of old-space garbage, RSS
    // 300+ MB before the first full GC. Read at GC time, so it works when set
    // here; NODE_OPTIONS refuses V8 flags, and this way every launcher gets it.
    setFlagsFromString('--no-allocation-site-pretenuring');
    // V8 lets the old generation grow to up to 4x what survived the last full
    // GC before it collects again when GC is cheap next to the mutator, which
    // for a daemon of many small short-lived runs it is: at 1,000 targets per
    // kind ~67 MB live sat in 360-414 MB of RSS. A fixed 1.5x is a node
    // agent's trade (memory on every node against a little more GC); also
    // read at GC time. Figures in docs/benchmarks.md (Scale). A value given
    // on node's command line (`node --heap-growing-percent=N`) is kept.
    if (!process.execArgv.some((arg) => arg.startsWith('--heap-growing-percent'))) {
      setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
    }
    const sourceNode = config.sourceNode ?? env.NODE_NAME ?? hostname();
    const vantage = vantageFromEnv(env);
    const constant: Record<string, string> = vantage ? { vantage } : {};
    const prometheus = new PrometheusSink(new Registry(), sourceNode, constant);
    const otlpSettings = otlpSettingsFromEnv(env);
    // The OpenTelemetry SDK is loaded only when an endpoint is set (~20 MB RSS otherwise wasted).
    const otlp = otlpSettings ? new (await import('../exporters/otlp.ts')).OtlpSink(otlpSettings, sourceNode, VERSION, constant) : undefined;
    const results = new ResultStore();
    if (vantage) results.vantage = vantage;
    let daemon: Daemon | undefined;
    const limit = fdLimit();
    const maxConnections = httpConnectionCap(limit, config.concurrency);
    const { server, url, invalidateMetrics } = await startHttpServer(config.listen, {
      metricsPieces: () => prometheus.pieces(),
      metricsContentType: prometheus.registry.contentType,
      results,
      live: () => daemon?.live() ?? true,
      verdicts: () => daemon?.verdicts.current ?? [],
      sourceNode,
      maxConnections,
      onError: (error) => (daemon ? daemon.#daemonError(error, 'http') : log.error('HTTP server error', { error: String(error) })),
    });
    log.info('HTTP connection cap', { maxConnections, fdLimit: limit ?? 'unknown', concurrency: config.concurrency });
    daemon = new Daemon({ options, sourceNode, prometheus, otlp, http: server, url, results, invalidateMetrics });
    daemon.#sink.set('buildInfo', { version: VERSION, runtime: `node ${process.versions.node}` }, 1);
    if (otlpSettings) log.info('exporting metrics over OTLP', { protocol: otlpSettings.protocol, intervalMs: otlpSettings.intervalMs });
    try {
      await daemon.#apply(config, options.live);
    } catch (error) {
      await daemon.stop();
      throw error;
    }
    daemon.#follow(options.live);
    daemon.#reloaded(true);
    return daemon;
  }

  /** Where measurements go (Prometheus and, when configured, OTLP). */
  get sink(): MetricSink {
    return this.#sink;
  }

  live(): boolean {
    return this.#clock.now() - this.#lastBeat < 15_000;
  }

  get embeddedDns(): { host: string; port: number } | undefined {
    return this.#embeddedAddress;
  }
  #embeddedAddress: { host: string; port: number } | undefined;

  /**
   * Applies a new config (and the live targets of its probes, if any):
   * targets are reconciled, removed ones lose their series.
   */
  reload(config: Config, live?: ProbeSources<ProbeConfig>): Promise<void> {
    return this.#inTurn(() => this.#reload(config, live));
  }

  async #reload(config: Config, live: ProbeSources<ProbeConfig> | undefined): Promise<void> {
    if (config.listen.host !== this.#config.listen.host || config.listen.port !== this.#config.listen.port) {
      this.#log.warn('listen address changes need a restart; keeping the current one', { listen: this.url });
    }
    if (config.concurrency !== this.#config.concurrency) {
      this.#log.warn('concurrency changes need a restart; keeping the current one', { concurrency: this.#config.concurrency });
    }
    try {
      await this.#apply(config, live);
    } catch (error) {
      this.#reloaded(false);
      throw error;
    }
    this.#config = config;
    this.#follow(live);
    this.#reloaded(true);
  }

  /** A config that could not be loaded (bad file, discovery refs): the running one stays. */
  reloadRejected(): void {
    this.#reloaded(false);
  }

  #reloaded(ok: boolean): void {
    this.#fileOk = ok;
    if (ok) this.#discoveryOk = true; // the load took the live targets as they stand
    this.#sink.set('configLastReloadSuccessful', {}, this.#fileOk && this.#discoveryOk ? 1 : 0);
    if (ok) this.#sink.set('configLastReloadSuccessTimestamp', {}, this.#clock.wallNow() / 1000);
    this.#invalidateMetrics();
  }

  /** Runs config loads and discovery changes one after the other: both rewrite the scheduled set. */
  #inTurn<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#serial.then(work);
    this.#serial = next.catch(() => {});
    return next;
  }

  /** Subscribes to the live targets of the config now running (dropping those of the one before). */
  #follow(live: ProbeSources<ProbeConfig> | undefined): void {
    this.#unsubscribeLive();
    this.#live = live;
    this.#unsubscribeLive = live
      ? live.onChange((probes) => {
          if (live !== this.#live || this.#stopped) return;
          void this.#inTurn(() => (live === this.#live && !this.#stopped ? this.#retarget(probes) : Promise.resolve()));
        })
      : () => {};
  }

  /** fd exhaustion and other problems of the process itself: a counter and a rate-limited log line. */
  #daemonError(error: unknown, where: string): boolean {
    if (!mentionsFdExhaustion(error instanceof Error ? error : { error })) {
      this.#log.error('daemon error', { where, error: String(error) });
      return false;
    }
    this.#daemonProblem('fd_exhausted', 'out of file descriptors: runs skipped, not counted as network results; raise the nofile limit or find the fd leak', {
      where,
      error: String(error),
    });
    return true;
  }

  /** Counts a problem of the daemon's own; logs it at most once per PROBLEM_LOG_EVERY_MS per reason. */
  #daemonProblem(reason: 'fd_exhausted' | 'event_loop_stalled', message: string, fields: Record<string, unknown>): void {
    this.#sink.add('daemonErrors', { reason });
    const state = (this.#problems[reason] ??= { since: 0, loggedAt: -Infinity });
    state.since++;
    const now = this.#clock.now();
    if (now - state.loggedAt < PROBLEM_LOG_EVERY_MS) return;
    this.#log.error(message, { ...fields, sinceLastLog: state.since });
    state.loggedAt = now;
    state.since = 0;
  }

  /**
   * The probes as they run now: those of `config`, and the live ones in their
   * current form (discovery may have moved since the file was read), those
   * still waiting for targets left out.
   */
  #effective(config: Config, live: ProbeSources<ProbeConfig> | undefined): ProbeConfig[] {
    if (!live) return config.probes;
    const out = config.probes.filter((probe) => !live.probes.has(probe.name));
    const waiting: string[] = [];
    for (const name of live.probes) {
      const now = live.current(name);
      if (now) out.push(now);
      else waiting.push(name);
    }
    if (waiting.length) this.#log.info('probes waiting for discovered targets', { probes: waiting });
    return out;
  }

  #expand(probe: ProbeConfig, env: TargetEnv): Expanded {
    return expandProbe(probe, env, (options, target, key, signal) => this.#runOne(probe, options, target, key, signal));
  }

  /** Removes the series of a target that left, or whose labels changed. */
  async #removeTargetSeries(old: Scheduled): Promise<void> {
    for (const { key: instrument, match } of seriesOf(RECORDERS[old.kind], old.probe, old.target)) await this.#sink.remove(instrument, match);
  }

  /** Removes what a probe owned as a whole (it left the config, or waits for targets again). */
  async #forgetProbe(probe: string): Promise<void> {
    for (const { key: instrument, match } of probeSeries(probe)) await this.#sink.remove(instrument, match);
    forgetProbe(probe);
    eventLabels.forget(probe);
  }

  async #apply(config: Config, live: ProbeSources<ProbeConfig> | undefined): Promise<void> {
    const probes = this.#effective(config, live);
    await this.#syncResponder(probes, config);
    this.#prepareKinds(probes, new Set(probes.map((p) => p.kind)));
    const env: TargetEnv = { readFile: this.#readFile, embeddedDns: this.#embeddedAddress };
    const { jobs, gone, left } = this.#table.replace(
      probes.map((probe) => this.#expand(probe, env)),
      config.maxTargets,
    );
    this.#results.expect(this.#table.keys());
    // Jobs of removed targets are stopped (in-flight runs aborted, so they
    // record nothing) before their series go; nothing recreates them after.
    this.#scheduler.reconcile(jobs);
    for (const old of gone) await this.#removeTargetSeries(old);
    for (const probe of left) await this.#forgetProbe(probe);
    this.#results.expect(this.#table.keys());
    this.verdicts.retain(this.#table.keys());
    this.#tracer.retain(new Set(this.#table.keys()));
    this.#setTargetCounts();
    this.#invalidateMetrics();
    this.#log.info('probing', { probes: probes.length, targets: this.#table.size });
  }

  /**
   * A discovery change: re-expands the probes named, and hands the scheduler
   * only the jobs that were added, removed or changed. The config is not
   * loaded or applied again; every other job keeps its slot and its series.
   */
  async #retarget(names: ReadonlySet<string>): Promise<void> {
    const live = this.#live!;
    const next = new Map<string, ProbeConfig | undefined>();
    try {
      for (const name of names) if (live.probes.has(name)) next.set(name, live.current(name));
    } catch (error) {
      this.#discoveryRejected(error);
      return;
    }
    if (next.size === 0) return;
    const env: TargetEnv = { readFile: this.#readFile, embeddedDns: this.#embeddedAddress };
    let change;
    try {
      const expanded = new Map<string, Expanded | undefined>();
      for (const [name, probe] of next) expanded.set(name, probe ? this.#expand(probe, env) : undefined);
      change = this.#table.change(expanded, this.#config.maxTargets);
    } catch (error) {
      this.#discoveryRejected(error);
      return;
    }
    const waiting = [...next].filter(([, probe]) => !probe).map(([name]) => name);
    if (waiting.length) this.#log.info('probes waiting for discovered targets', { probes: waiting });
    const { upsert, remove, gone, emptied, added, changed } = change;
    if (upsert.length === 0 && remove.length === 0) {
      this.#discoveryApplied();
      return;
    }
    const kinds = new Set([...next.values()].flatMap((probe) => (probe ? [probe.kind] : [])));
    if (kinds.size) this.#prepareKinds(this.#table.configs(), kinds);
    this.#results.expect(this.#table.keys());
    this.#scheduler.patch(upsert, remove);
    for (const old of gone) await this.#removeTargetSeries(old);
    for (const name of emptied) await this.#forgetProbe(name);
    if (remove.length) {
      this.verdicts.retain(this.#table.keys());
      this.#tracer.retain(new Set(this.#table.keys()));
    }
    this.#setTargetCounts(new Set(next.keys()));
    this.#discoveryApplied();
    this.#invalidateMetrics();
    this.#log.info('discovered targets changed', { probes: [...next.keys()], added, removed: remove.length, changed, targets: this.#table.size });
  }

  #discoveryApplied(): void {
    if (this.#discoveryOk) return;
    this.#discoveryOk = true;
    this.#sink.set('configLastReloadSuccessful', {}, this.#fileOk ? 1 : 0);
    this.#invalidateMetrics();
  }

  #discoveryRejected(error: unknown): void {
    this.#discoveryOk = false;
    this.#sink.set('configLastReloadSuccessful', {}, 0);
    this.#invalidateMetrics();
    this.#log.error('discovered targets not applied; keeping the running targets', {
      problems: error instanceof Error && 'problems' in error ? (error as { problems: string[] }).problems : [String(error instanceof Error ? error.message : error)],
    });
  }

  async #runOne(probe: ProbeConfig, options: unknown, target: TargetInfo, key: string, signal: AbortSignal): Promise<void> {
    const def = KINDS[probe.kind]!;
    const deadline = probe.deadline ?? def.deadlineMs(options);
    // One controller whose timer is cleared when the run settles. AbortSignal.timeout
    // + AbortSignal.any left a live timer per run (firing later, with a DOMException
    // and its stack) and weak links on both sources: at 2,000 runs/s that was the
    // bulk of the daemon's promoted garbage (~30 MB RSS).
    const run = new AbortController();
    const onStop = (): void => run.abort(signal.reason);
    if (signal.aborted) run.abort(signal.reason);
    else signal.addEventListener('abort', onStop, { once: true });
    const timer = setTimeout(() => run.abort(new DOMException('probe run deadline exceeded', 'TimeoutError')), deadline);
    timer.unref();
    const started = this.#clock.now();
    const startedAtMs = this.#clock.wallNow();
    const stalledBefore = this.#stalls.read();
    let result: unknown;
    let success: boolean;
    let reason: string;
    try {
      result = await def.run(target, options, { signal: run.signal, clock: this.#clock });
      ({ success, reason } = def.verdict(result));
    } catch (error) {
      // Probes return failures as results; a throw is a bug, reported but contained.
      this.#log.error('probe threw', { probe: probe.name, target: target.id, error: String(error) });
      result = { error: String(error) };
      success = false;
      reason = 'internal_error';
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onStop);
    }
    if (signal.aborted) return; // target removed or daemon stopping: nothing to report
    // No socket to be had: the daemon's problem, not the network's. Skipped and counted as such.
    if (!success && mentionsFdExhaustion(result) && this.#daemonError(findErrorText(result), `probe ${probe.name}`)) {
      this.#sink.add('probeSkipped', eventLabels(probe.name, 'fd_exhausted', () => ({ probe: probe.name, reason: 'fd_exhausted' })));
      return;
    }
    // The daemon stood still during the run (CPU starvation, a long GC): a failure may be its own.
    const stalledMs = this.#stalls.read() - stalledBefore;
    if (!success && stalledMs >= STALL_SKIP_MS) {
      this.#daemonProblem('event_loop_stalled', 'failed runs not reported: the process stood still during them (CPU starvation or a long GC); raise the CPU request or lower the load', {
        probe: probe.name,
        target: target.id,
        reason,
        stalledMs: Math.round(stalledMs),
      });
      this.#sink.add('probeSkipped', eventLabels(probe.name, 'daemon_stalled', () => ({ probe: probe.name, reason: 'daemon_stalled' })));
      return;
    }
    recordRun(this.#sink, RECORDERS[probe.kind], { probe: probe.name, target, options, result, success, reason });
    this.#results.put(key, probe.name, probe.kind, target, success, reason, startedAtMs, (this.#clock.now() - started) / 1000, result);
    this.verdicts.record(key, probe.name, probe.kind, target, options, result, success, reason, startedAtMs);
    this.#tracer.observe(key, probe.name, probe.kind, target, success, result);
  }

  /** `netprobe_targets` per (probe, target_kind); `only`: recount just these probes. */
  #setTargetCounts(only?: ReadonlySet<string>): void {
    const counts = this.#table.counts(only);
    for (const [id, labels] of this.#targetCounts) {
      if (only && !only.has(labels.probe!)) continue;
      if (!counts.has(id)) void this.#sink.remove('targets', labels);
      this.#targetCounts.delete(id);
    }
    for (const [id, { labels, n }] of counts) {
      this.#sink.set('targets', labels, n);
      this.#targetCounts.set(id, labels);
    }
  }

  /** Lets each kind acquire its process-wide resources up front (a missing privilege fails the start). */
  #prepareKinds(probes: readonly ProbeConfig[], kinds: ReadonlySet<string>): void {
    for (const def of Object.values(KINDS)) {
      if (!kinds.has(def.kind)) continue;
      const configs = probes.filter((p) => p.kind === def.kind);
      if (!def.prepare || configs.length === 0) continue;
      for (const { msg, ...fields } of def.prepare(configs)) this.#log.info(String(msg), fields);
    }
  }

  async #syncResponder(probes: readonly ProbeConfig[], config: Config): Promise<void> {
    const wanted = probes.some((p) => p.kind === 'dns' && p.servers.includes('embedded'));
    const { fault, port, answerDelay } = config.embedded.dns;
    if (wanted && !this.#responder) {
      this.#responder = new DnsResponder({ port, fault, answerDelayMs: answerDelay });
      this.#embeddedAddress = await this.#responder.start();
      this.#log.info('embedded DNS responder listening', { ...this.#embeddedAddress, fault });
    } else if (wanted && this.#responder && this.#responder.fault !== fault) {
      this.#responder.setFault(fault);
      this.#log.info('embedded DNS responder fault changed', { fault });
    } else if (!wanted && this.#responder) {
      await this.#responder.stop();
      this.#responder = undefined;
      this.#embeddedAddress = undefined;
    }
  }

  /** Stops probing (in-flight runs aborted), flushes OTLP, closes listeners. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unsubscribeLive();
    await this.#serial;
    clearInterval(this.#heartbeat);
    this.verdicts.stop();
    this.#stalls.stop();
    await this.#scheduler.stop();
    await this.#otlp?.flush().catch((error: Error) => this.#log.warn('OTLP flush failed', { error: error.message }));
    await this.#otlp?.shutdown().catch(() => {});
    this.#http.closeAllConnections();
    await new Promise<void>((r) => this.#http.close(() => r()));
    await this.#responder?.stop();
    await this.#tracer.stop();
    for (const def of Object.values(KINDS)) def.release?.();
  }
}

/** The EMFILE/ENFILE text of a result, for the log line. */
function findErrorText(result: unknown): string {
  const text = JSON.stringify(result) ?? '';
  const m = /[^"]*\bE[MN]FILE\b[^"]*/.exec(text);
  return m ? m[0] : 'EMFILE';
}
