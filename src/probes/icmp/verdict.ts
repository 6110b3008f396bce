import type { IcmpResult } from './types.ts';

/** A run succeeds when its reason is `ok`; otherwise the reason (a fixed set, IcmpResult['reason']) is the verdict's. */
export function icmpVerdict(result: IcmpResult): { success: boolean; reason: string } {
  return { success: result.reason === 'ok', reason: result.reason };
}
