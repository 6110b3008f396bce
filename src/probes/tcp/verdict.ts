import { TCP_OUTCOMES, type TcpOutcome, type TcpResult } from './types.ts';

/** Reasons a tcp run is not a success: a failure outcome, or `aborted` (bounded set). */
export type TcpVerdictReason = Exclude<TcpOutcome, 'connected'> | 'aborted';

/**
 * A run succeeds when every connect made connected. Otherwise the reason is
 * the most frequent failure outcome (ties go to the earlier one in
 * TCP_OUTCOMES order), so a flapping port reads as what mostly went wrong.
 */
export function tcpVerdict(result: TcpResult): { success: boolean; reason: string } {
  if (result.count > 0 && result.connected === result.count) return { success: true, reason: 'connected' };
  let reason: TcpVerdictReason = 'aborted';
  let most = 0;
  for (const outcome of TCP_OUTCOMES) {
    if (outcome === 'connected') continue;
    if (result[outcome] > most) {
      most = result[outcome];
      reason = outcome;
    }
  }
  return { success: false, reason };
}
