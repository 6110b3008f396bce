// What the UDP and TCP exchanges need from the lookup that owns them. Kept
// apart so udp.ts and tcp.ts do not import lookup.ts (one-way imports).
import type { DnsOptions, DnsOutcome, DnsServer, MismatchReason } from './types.ts';
import type { Matched, WireQuery } from './wire.ts';

/** One query type of a lookup: the query on the wire and how far it got. */
export interface QuerySlot {
  query: WireQuery;
  /** Attempts sent so far (UDP and TCP together). */
  attempts: number;
  done: boolean;
}

export interface ExchangeHost {
  readonly server: DnsServer;
  readonly options: DnsOptions;
  readonly slots: readonly QuerySlot[];
  countMismatch(reason: MismatchReason): void;
  countAttemptTimeout(): void;
  /** A validated answer arrived for slot `index`. */
  answered(index: number, match: Matched, truncated: boolean): void;
  /** Slot `index` ended without an answer. */
  failed(index: number, outcome: DnsOutcome, error?: string): void;
}
