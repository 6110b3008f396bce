// One name against one server: the query types of a lookup sent as the mode
// prescribes, their answers collected, truncated UDP answers retried over TCP.
// Ends when every query has a final result or the signal aborts.
import type { Clock } from '../types.ts';
import type { ExchangeHost, QuerySlot } from './exchange.ts';
import { TcpExchange } from './tcp.ts';
import type { DnsOptions, DnsOutcome, DnsQueryResult, DnsServer, MismatchReason } from './types.ts';
import { UdpSession } from './udp.ts';
import { encodeQuery, formatAnswers, freshId, matchedOutcome, type Matched } from './wire.ts';

/** Counters that run across every candidate name of one lookup (search list). */
export interface LookupTally {
  /** clock.now() at the start of the lookup; durations count from here. */
  start: number;
  attemptTimeouts: number;
  mismatched: Partial<Record<MismatchReason, number>>;
  tcpFallbacks: number;
  /** First failure detail seen (never a label). */
  error: string | undefined;
}

export function lookupName(
  server: DnsServer,
  name: string,
  options: DnsOptions,
  clock: Clock,
  signal: AbortSignal,
  tally: LookupTally,
): Promise<DnsQueryResult[]> {
  return new Promise((resolve) => new NameLookup(server, name, options, clock, signal, tally, resolve).run());
}

class NameLookup implements ExchangeHost {
  readonly server: DnsServer;
  readonly options: DnsOptions;
  readonly slots: QuerySlot[];
  readonly #clock: Clock;
  readonly #signal: AbortSignal;
  readonly #tally: LookupTally;
  readonly #resolve: (results: DnsQueryResult[]) => void;
  readonly #results: DnsQueryResult[];
  readonly #udp: UdpSession[] = [];
  readonly #tcp: TcpExchange[] = [];
  #remaining: number;
  #ended = false;
  readonly #onAbort = (): void => this.#abort();

  constructor(
    server: DnsServer,
    name: string,
    options: DnsOptions,
    clock: Clock,
    signal: AbortSignal,
    tally: LookupTally,
    resolve: (results: DnsQueryResult[]) => void,
  ) {
    this.server = server;
    this.options = options;
    this.#clock = clock;
    this.#signal = signal;
    this.#tally = tally;
    this.#resolve = resolve;
    const qtypes = options.mode === 'single' ? options.qtypes.slice(0, 1) : options.qtypes;
    this.slots = [];
    for (const qtype of qtypes) {
      const id = freshId(this.slots.map((s) => s.query));
      this.slots.push({ query: encodeQuery(id, name, qtype), attempts: 0, done: false });
    }
    this.#results = new Array<DnsQueryResult>(this.slots.length);
    this.#remaining = this.slots.length;
  }

  run(): void {
    if (this.#signal.aborted || this.slots.length === 0) {
      this.#abort();
      return;
    }
    this.#signal.addEventListener('abort', this.#onAbort);
    const { transport, mode } = this.options;
    if (transport === 'tcp') {
      if (mode === 'sequential') this.#startTcp(0);
      else for (let i = 0; i < this.slots.length && !this.#ended; i++) this.#startTcp(i);
    } else if (mode === 'reopen') {
      // Go's resolver: every query from its own socket, all at once.
      for (let i = 0; i < this.slots.length && !this.#ended; i++) {
        const session = new UdpSession(this, true);
        this.#udp.push(session);
        session.start([i]);
      }
    } else {
      const session = new UdpSession(this, false);
      this.#udp.push(session);
      // parallel: every query type in one batch (one sendmmsg with the addon), as glibc.
      if (mode === 'sequential') session.start([0]);
      else session.start(this.slots.map((_, i) => i));
    }
  }

  countMismatch(reason: MismatchReason): void {
    const m = this.#tally.mismatched;
    m[reason] = (m[reason] ?? 0) + 1;
  }

  countAttemptTimeout(): void {
    this.#tally.attemptTimeouts++;
  }

  answered(index: number, match: Matched, truncated: boolean): void {
    const slot = this.slots[index]!;
    if (slot.done || this.#ended) return;
    if (truncated && this.options.tcpFallback) {
      this.#tally.tcpFallbacks++;
      this.#startTcp(index);
      return;
    }
    const { packet, wrongAnswer } = match;
    const result: DnsQueryResult = {
      qtype: slot.query.qtype,
      outcome: matchedOutcome(match),
      rcode: (packet as { rcode?: string }).rcode ?? '',
      durationSeconds: (this.#clock.now() - this.#tally.start) / 1000,
      attempts: slot.attempts,
      answers: formatAnswers(packet, slot.query.qtype),
    };
    if (wrongAnswer) {
      result.answerMismatch = wrongAnswer.reason;
      this.#tally.error ??= `${slot.query.qtype}: answer record "${wrongAnswer.record}" does not belong to ${slot.query.name} ${slot.query.qtype} (${wrongAnswer.reason})`;
    }
    this.#complete(index, result);
  }

  failed(index: number, outcome: DnsOutcome, error?: string): void {
    const slot = this.slots[index]!;
    if (slot.done || this.#ended) return;
    if (error !== undefined) this.#tally.error ??= `${slot.query.qtype}: ${error}`;
    this.#complete(index, this.#failure(slot, outcome));
  }

  #failure(slot: QuerySlot, outcome: DnsOutcome): DnsQueryResult {
    return {
      qtype: slot.query.qtype,
      outcome,
      rcode: '',
      durationSeconds: (this.#clock.now() - this.#tally.start) / 1000,
      attempts: slot.attempts,
      answers: [],
    };
  }

  #startTcp(index: number): void {
    const exchange = new TcpExchange(this, index);
    this.#tcp.push(exchange);
    exchange.start();
  }

  #complete(index: number, result: DnsQueryResult): void {
    this.slots[index]!.done = true;
    this.#results[index] = result;
    if (--this.#remaining === 0) {
      this.#end();
      return;
    }
    // glibc single-request: the next query type only after this one is final.
    const next = index + 1;
    if (this.options.mode === 'sequential' && next < this.slots.length && !this.slots[next]!.done) {
      if (this.options.transport === 'tcp') this.#startTcp(next);
      else this.#udp[0]!.start([next]);
    }
  }

  #abort(): void {
    if (this.#ended) return;
    this.#tally.error ??= 'aborted';
    for (let i = 0; i < this.slots.length; i++) {
      const slot = this.slots[i]!;
      if (slot.done) continue;
      slot.done = true;
      this.#results[i] = this.#failure(slot, 'timeout');
    }
    this.#end();
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#signal.removeEventListener('abort', this.#onAbort);
    for (const session of this.#udp) session.close();
    for (const exchange of this.#tcp) exchange.close();
    this.#resolve(this.#results);
  }
}
