import type { InstrumentKey, Labels, MetricSink } from './catalog.ts';

/** Fans every measurement out to all sinks, so exporters see identical values. */
export class FanoutSink implements MetricSink {
  readonly #sinks: MetricSink[];
  constructor(sinks: MetricSink[]) {
    this.#sinks = sinks;
  }
  add(key: InstrumentKey, labels: Labels, value = 1): void {
    for (const sink of this.#sinks) sink.add(key, labels, value);
  }
  set(key: InstrumentKey, labels: Labels, value: number): void {
    for (const sink of this.#sinks) sink.set(key, labels, value);
  }
  observe(key: InstrumentKey, labels: Labels, value: number): void {
    for (const sink of this.#sinks) sink.observe(key, labels, value);
  }
  async remove(key: InstrumentKey, match: Labels): Promise<void> {
    await Promise.all(this.#sinks.map((sink) => sink.remove(key, match)));
  }
}
