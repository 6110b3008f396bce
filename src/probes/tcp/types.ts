import type { TargetInfo } from '../types.ts';

/**
 * What became of one connect:
 * - connected: the handshake completed (SYN, SYN-ACK, ACK);
 * - refused: the target answered with RST (port closed, or a REJECT rule);
 * - timeout: no answer before the timeout (SYN dropped by a firewall, black hole);
 * - unreachable: the kernel or a router said there is no way there (EHOSTUNREACH, ENETUNREACH);
 * - error: anything else (name lookup failure, EACCES from a local rule...), errno in `detail`.
 */
export const TCP_OUTCOMES = ['connected', 'refused', 'timeout', 'unreachable', 'error'] as const;
export type TcpOutcome = (typeof TCP_OUTCOMES)[number];

export interface TcpTarget extends TargetInfo {
  host: string;
  port: number;
}

export interface TcpOptions {
  /** Connects per run (paping `-c`). */
  count: number;
  /** Time between the starts of consecutive connects, milliseconds; 0 = back-to-back. */
  intervalMs: number;
  /** Give up on one connect after this long, milliseconds. */
  timeoutMs: number;
}

export interface TcpConnectResult {
  /** 1-based position in the run. */
  seq: number;
  outcome: TcpOutcome;
  /** Seconds from the connect call (after any name lookup) to established or to failure. */
  seconds: number;
  /** Address actually connected to (the resolved one when the target is a name); "" if unknown. */
  address: string;
  /** errno code (ECONNREFUSED, EHOSTUNREACH, ENOTFOUND...) for failures; never a label. */
  detail?: string;
}

export interface TcpResult {
  /** Connects made (fewer than `count` only when the run was aborted). */
  count: number;
  connected: number;
  refused: number;
  timeout: number;
  unreachable: number;
  error: number;
  /** Seconds to established of each successful connect, in order. */
  connectSeconds: number[];
  /** Share of connects made that did not connect, 0..1 (0 when none were made). */
  lossRatio: number;
  connects: TcpConnectResult[];
  /** The run was cut short by the context's signal; an interrupted connect is not counted. */
  aborted: boolean;
  /** Wall time of the whole run, seconds. */
  durationSeconds: number;
}
