// The DNS probe: one lookup of one name against one server, as a pod's
// resolver would make it (README.md beside this file, "What goes on the
// wire"). Never throws for network conditions; every failure is a DnsResult
// with a bounded outcome.
import { isIP } from 'node:net';
import type { ProbeFn } from '../types.ts';
import { lookupName, type LookupTally } from './lookup.ts';
import { searchCandidates } from './search.ts';
import { dnsSender } from './socket.ts';
import type { DnsCandidate, DnsOptions, DnsOutcome, DnsQueryResult, DnsResult, DnsTarget } from './types.ts';

/**
 * Which failing query names the lookup's outcome when several fail: the one
 * that says most about the path first. network_error (we could not even send)
 * > port_unreachable (nothing listens) > timeout (lost) > malformed (garbage
 * back) > wrong_answer (records for another name or type) > servfail >
 * refused > nxdomain.
 */
export const OUTCOME_SEVERITY: readonly DnsOutcome[] = [
  'network_error',
  'port_unreachable',
  'timeout',
  'malformed',
  'wrong_answer',
  'servfail',
  'refused',
  'nxdomain',
];

export function lookupOutcome(queries: readonly DnsQueryResult[]): DnsOutcome {
  let worst = OUTCOME_SEVERITY.length;
  for (const q of queries) {
    if (q.outcome === 'success') continue;
    const rank = OUTCOME_SEVERITY.indexOf(q.outcome);
    if (rank >= 0 && rank < worst) worst = rank;
  }
  return OUTCOME_SEVERITY[worst] ?? 'success';
}

export const runDns: ProbeFn<DnsTarget, DnsOptions, DnsResult> = async (target, options, ctx) => {
  const tally: LookupTally = { start: ctx.clock.now(), attemptTimeouts: 0, mismatched: {}, tcpFallbacks: 0, error: undefined };
  if (isIP(target.server.host) === 0) {
    // Resolving a server's hostname would send traffic we were not asked to send.
    return result(tally, ctx.clock.now(), 'network_error', target.name, [], `server "${target.server.host}" is not an IP address`);
  }
  let queries: DnsQueryResult[] = [];
  let queriedName = target.name;
  let outcome: DnsOutcome = 'success';
  const candidates: DnsCandidate[] = [];
  for (const candidate of searchCandidates(target.name, options.search, options.ndots)) {
    queriedName = candidate;
    queries = await lookupName(target.server, candidate, options, ctx.clock, ctx.signal, tally);
    outcome = lookupOutcome(queries);
    candidates.push({
      name: candidate,
      outcome,
      durationSeconds: Math.max(0, ...queries.map((q) => q.durationSeconds)),
      queries: queries.map((q) => ({ qtype: q.qtype, outcome: q.outcome, rcode: q.rcode })),
    });
    if (outcome !== 'nxdomain' || ctx.signal.aborted) break;
  }
  const r = result(tally, ctx.clock.now(), outcome, queriedName, queries, outcome === 'success' ? undefined : tally.error);
  r.candidates = candidates;
  return r;
};

function result(
  tally: LookupTally,
  end: number,
  outcome: DnsOutcome,
  queriedName: string,
  queries: DnsQueryResult[],
  error: string | undefined,
): DnsResult {
  // A stall is an answer that came only after a resolver timeout: every query
  // of the final name got a reply, yet some attempt along the way was lost.
  const answered = queries.length > 0 && queries.every((q) => q.outcome !== 'timeout' && q.outcome !== 'network_error' && q.outcome !== 'port_unreachable');
  const r: DnsResult = {
    outcome,
    durationSeconds: (end - tally.start) / 1000,
    stalled: answered && tally.attemptTimeouts > 0,
    attemptTimeouts: tally.attemptTimeouts,
    mismatched: tally.mismatched,
    tcpFallbacks: tally.tcpFallbacks,
    sender: dnsSender().sender,
    queriedName,
    queries,
    candidates: [],
  };
  if (error !== undefined) r.error = error;
  return r;
}
