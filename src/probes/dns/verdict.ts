import type { DnsResult } from './types.ts';

/** A lookup succeeds when every query of the final name did; otherwise its outcome (a fixed set, DnsOutcome) is the reason. */
export function dnsVerdict(result: DnsResult): { success: boolean; reason: string } {
  return { success: result.outcome === 'success', reason: result.outcome };
}
