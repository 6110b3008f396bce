import type { TargetInfo } from '../types.ts';
import type { DnsSocketFactory } from './socket.ts';

export const DNS_TRANSPORTS = ['udp', 'tcp'] as const;
export type DnsTransport = (typeof DNS_TRANSPORTS)[number];

/**
 * What goes on the wire for one lookup over UDP:
 * - single: one query type;
 * - parallel: A and AAAA back-to-back from one socket (glibc/musl default);
 * - sequential: A, wait for its answer, then AAAA, same socket (glibc single-request);
 * - reopen: each query from its own fresh socket (single-request-reopen, Go).
 */
export const DNS_MODES = ['single', 'parallel', 'sequential', 'reopen'] as const;
export type DnsMode = (typeof DNS_MODES)[number];

export const DNS_OUTCOMES = [
  'success',
  'nxdomain',
  'servfail',
  'refused',
  'timeout',
  'malformed',
  'network_error',
  /** ICMP port unreachable for the query: nothing listens on the server's UDP port. */
  'port_unreachable',
  /** Answered, but an answer record belongs to another name, type or class than the question. */
  'wrong_answer',
] as const;
export type DnsOutcome = (typeof DNS_OUTCOMES)[number];

export const NAME_CLASSES = ['cluster', 'external', 'other'] as const;
export type NameClass = (typeof NAME_CLASSES)[number];

/** Why a datagram that reached our socket was not taken as the answer. */
export const MISMATCH_REASONS = ['wrong_id', 'wrong_question', 'not_response', 'wrong_source', 'undecodable'] as const;
export type MismatchReason = (typeof MISMATCH_REASONS)[number];

export interface DnsServer {
  host: string;
  port: number;
}

export interface DnsTarget extends TargetInfo {
  server: DnsServer;
  name: string;
  nameClass: NameClass;
}

export interface DnsOptions {
  transport: DnsTransport;
  mode: DnsMode;
  /** Query types; `single` uses only the first. */
  qtypes: string[];
  /** Per-attempt timeout (resolver `options timeout:`), milliseconds. */
  timeoutMs: number;
  /** Tries per query (resolver `options attempts:`). */
  attempts: number;
  /** Retry a truncated (TC) UDP answer over TCP, as resolvers do. */
  tcpFallback: boolean;
  /** resolv.conf search list and ndots; empty list = name used as given. */
  search: string[];
  ndots: number;
  /** Where the lookup's UDP and TCP sockets come from; the real ones when absent (tests pass fakes). */
  sockets?: DnsSocketFactory;
}

export interface DnsQueryResult {
  qtype: string;
  outcome: DnsOutcome;
  rcode: string;
  /** Seconds from the start of the lookup to this query's final answer (or give-up). */
  durationSeconds: number;
  /** Attempts made for this query (1 = answered first time). */
  attempts: number;
  answers: string[];
  /** wrong_answer only: which check the offending answer record failed (owner name, type or class). */
  answerMismatch?: 'owner' | 'type' | 'class';
}

export interface DnsCandidate {
  name: string;
  outcome: DnsOutcome;
  /** Seconds from the start of the lookup to this name's final answer. */
  durationSeconds: number;
  queries: { qtype: string; outcome: DnsOutcome; rcode: string }[];
}

export interface DnsResult {
  /** Outcome of the lookup as a whole (worst of its queries, success if all answered). */
  outcome: DnsOutcome;
  durationSeconds: number;
  /** Answered, but only after at least one attempt timed out: the 5-second stall. */
  stalled: boolean;
  /** Single attempts that timed out (lost query or lost answer). */
  attemptTimeouts: number;
  /** Datagrams ignored because they did not match an outstanding query. */
  mismatched: Partial<Record<MismatchReason, number>>;
  /** Truncated UDP answers retried over TCP. */
  tcpFallbacks: number;
  /** What sent the UDP queries: `sendmmsg` (the addon, one syscall per batch, as glibc) or `dgram` (JS fallback). */
  sender: 'sendmmsg' | 'dgram';
  /** Name actually queried last (after search-list expansion). */
  queriedName: string;
  queries: DnsQueryResult[];
  /**
   * Every name asked, in order (search-list expansion; one entry without a
   * search list), with its outcome and the query types sent for it. Their
   * query count is the lookup's search-path amplification.
   */
  candidates: DnsCandidate[];
  /** Human-readable detail for failures; never used as a label. */
  error?: string;
}
