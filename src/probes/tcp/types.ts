import type { TargetInfo } from '../types.ts';

/**
 * What became of one connect:
 * - connected: the handshake completed (SYN, SYN-ACK, ACK);
 * - refused: the target answered with RST (port closed, or a REJECT rule);
 * - timeout: no answer before the timeout (SYN dropped by a firewall, black hole);
 * - unreachable: the kernel or a router said there is no way there (EHOSTUNREACH, ENETUNREACH);
 * - error: anything else (name lookup failure, EACCES from a local rule...), errno in `detail`;
 * - tls_untrusted (with `tls`): the handshake reached a certificate that does not
 *   verify against the CA, or not for the expected name (the code in `detail`);
 * - tls_error (with `tls`): the handshake failed otherwise (reset, not TLS, protocol).
 * With `tls`, connected means TCP and the verified handshake both completed.
 */
export const TCP_OUTCOMES = ['connected', 'refused', 'timeout', 'unreachable', 'error', 'tls_untrusted', 'tls_error'] as const;
/** The outcomes only a `tls` probe can have (their series exist only for such probes). */
export const TLS_OUTCOMES: readonly TcpOutcome[] = ['tls_untrusted', 'tls_error'];
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
  /** Give up on one connect (TCP and TLS handshake together) after this long, milliseconds. */
  timeoutMs: number;
  /** After the connect, a TLS handshake verified against this CA; absent: TCP only. */
  tls?: TcpTlsOptions;
}

export interface TcpTlsOptions {
  /** Where the CA came from (for messages). */
  caFile: string;
  /** PEM of the CA bundle the server certificate must chain to. */
  ca: string;
  /** Name the certificate must be valid for (SNI too when it is a DNS name); null: the target's host (an IP SAN). */
  serverName: string | null;
}

export interface TcpConnectResult {
  /** 1-based position in the run. */
  seq: number;
  outcome: TcpOutcome;
  /** Seconds from the connect call (after any name lookup) to established or to failure. */
  seconds: number;
  /** Address actually connected to (the resolved one when the target is a name); "" if unknown. */
  address: string;
  /** errno code (ECONNREFUSED, EHOSTUNREACH, ENOTFOUND...) or TLS code (ERR_TLS_CERT_ALTNAME_INVALID...) for failures; never a label. */
  detail?: string;
  /** With `tls`: seconds from established to the verified handshake. */
  tlsSeconds?: number;
}

export interface TcpResult {
  /** Connects made (fewer than `count` only when the run was aborted). */
  count: number;
  connected: number;
  refused: number;
  timeout: number;
  unreachable: number;
  error: number;
  tls_untrusted: number;
  tls_error: number;
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
