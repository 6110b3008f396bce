// Paping-style TCP connect checks with node:net: `count` connects, one every
// `interval`, each timed from the connect attempt to established and closed
// at once without sending data. Network failures are results, never throws.
import net from 'node:net';
import tls from 'node:tls';
import { type NativeConnector, sharedConnector } from '../../native/tcp-connect.ts';
import type { Clock, ProbeContext, ProbeFn } from '../types.ts';
import type { TcpConnectResult, TcpOptions, TcpOutcome, TcpResult, TcpTarget, TcpTlsOptions } from './types.ts';

/** errno -> outcome; anything not listed is `error` with the errno kept in `detail`. */
const OUTCOME_BY_ERRNO: Record<string, TcpOutcome> = {
  ECONNREFUSED: 'refused',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  // The kernel gave up on SYN retries before our own timer did (very long timeouts).
  ETIMEDOUT: 'timeout',
};

// OpenSSL's verification codes and Node's name check (ERR_TLS_CERT_ALTNAME_INVALID):
// the server answered TLS but is not who the CA and the name say it should be.
const UNTRUSTED = /CERT|VERIFY|SIGNATURE|ISSUER|ALTNAME|SELF_SIGNED/;

/**
 * Opens one connection, as net.connect does (the default). The seam tests hand
 * fakes through, as cloudprober's dialContext: a fake emits the socket events
 * runTcp listens to ('connectionAttempt', 'connect', 'error', 'close') on a
 * fake clock. TLS wraps the returned socket, so `tls` runs need a real one.
 */
export type TcpConnect = (options: { host: string; port: number }) => net.Socket;

/** The probe context plus an optional per-connect callback (the CLI prints each connect as it lands) and connect factory. */
export interface TcpRunContext extends ProbeContext {
  onConnect?(connect: TcpConnectResult): void;
  connect?: TcpConnect;
}

export async function runTcp(target: TcpTarget, options: TcpOptions, ctx: TcpRunContext): Promise<TcpResult> {
  if (!Number.isInteger(options.count) || options.count < 1) {
    throw new RangeError(`tcp: count must be a whole number of at least 1, got ${options.count}`);
  }
  if (!(options.timeoutMs > 0) || !(options.intervalMs >= 0)) {
    throw new RangeError(`tcp: timeout must be > 0 and interval >= 0 (got ${options.timeoutMs} ms, ${options.intervalMs} ms)`);
  }
  const { clock, signal } = ctx;
  const started = clock.now();
  const connects: TcpConnectResult[] = [];
  for (let seq = 1; seq <= options.count && !signal.aborted; seq++) {
    if (seq > 1) {
      // Starts are paced from the run's start, so a slow connect does not push
      // every later one back; one that overran its slot starts at once.
      await sleep(started + (seq - 1) * options.intervalMs - clock.now(), signal);
      if (signal.aborted) break;
    }
    const result = await connectOnce(target, seq, options.timeoutMs, ctx, options.tls);
    if (result) {
      connects.push(result);
      ctx.onConnect?.(result);
    }
  }
  return summarizeRun(connects, signal.aborted, (clock.now() - started) / 1000);
}

// The registry's shape, checked here where a mismatch is easiest to read.
runTcp satisfies ProbeFn<TcpTarget, TcpOptions, TcpResult>;

/** Aggregates per-connect results into the run result. */
export function summarizeRun(connects: TcpConnectResult[], aborted: boolean, durationSeconds: number): TcpResult {
  const counts: Record<TcpOutcome, number> = { connected: 0, refused: 0, timeout: 0, unreachable: 0, error: 0, tls_untrusted: 0, tls_error: 0 };
  for (const c of connects) counts[c.outcome]++;
  const count = connects.length;
  return {
    count,
    ...counts,
    connectSeconds: connects.filter((c) => c.outcome === 'connected').map((c) => c.seconds),
    lossRatio: count === 0 ? 0 : (count - counts.connected) / count,
    connects,
    aborted,
    durationSeconds,
  };
}

/**
 * One connect. Resolves once the socket is fully closed (no handle outlives
 * the call); resolves undefined when the signal interrupted it, since an
 * aborted connect says nothing about the network.
 */
export function connectOnce(
  target: Pick<TcpTarget, 'host' | 'port'>,
  seq: number,
  timeoutMs: number,
  ctx: TcpRunContext,
  tlsOptions?: TcpTlsOptions,
): Promise<TcpConnectResult | undefined> {
  const { clock, signal } = ctx;
  if (signal.aborted) return Promise.resolve(undefined);
  // A plain check of an IP address needs no stream: the addon's connector does it in five
  // system calls and no per-check JavaScript objects (native/tcp_connect.c says why).
  // node:net keeps TLS, host names, the test seam and its own errors for ports out of range.
  const plain = !tlsOptions && !ctx.connect && Number.isInteger(target.port) && target.port >= 1 && target.port <= 65535;
  const family = plain ? net.isIP(target.host) : 0;
  const connector = family === 0 ? undefined : sharedConnector();
  if (connector) return connectNative(connector, family as 4 | 6, target, seq, timeoutMs, ctx);
  return new Promise((resolve) => {
    let start = clock.now();
    let address = '';
    let settled: TcpConnectResult | undefined;
    let done = false;
    let tlsSeconds: number | undefined;
    let secure: tls.TLSSocket | undefined;
    let socket: net.Socket;
    try {
      socket = (ctx.connect ?? net.connect)({ host: target.host, port: target.port });
    } catch (err) {
      // Only argument errors throw here (a bad port); still a result, not a crash.
      resolve({ seq, outcome: 'error', seconds: 0, address, detail: (err as NodeJS.ErrnoException).code ?? 'EINVAL' });
      return;
    }

    const finish = (outcome: TcpOutcome | undefined, detail?: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      if (outcome) {
        settled = { seq, outcome, seconds: connectSeconds ?? elapsed(clock, start), address };
        if (detail !== undefined) settled.detail = detail;
        if (tlsSeconds !== undefined) settled.tlsSeconds = tlsSeconds;
      }
      secure?.destroy();
      socket.destroy();
    };
    const onAbort = (): void => finish(undefined);

    // Lookup time is not connect time: restart the clock at each attempt
    // (several with happy eyeballs) so `seconds` covers SYN -> established.
    socket.on('connectionAttempt', (ip: string) => {
      address = ip;
      start = clock.now();
    });
    let connectSeconds: number | undefined;
    socket.once('connect', () => {
      if (!tlsOptions) return finish('connected');
      connectSeconds = elapsed(clock, start);
      const handshakeStart = clock.now();
      const name = tlsOptions.serverName ?? target.host;
      secure = tls.connect({
        socket,
        ca: tlsOptions.ca,
        host: name,
        // SNI carries DNS names only; an IP is checked against the IP SANs.
        ...(net.isIP(name) === 0 ? { servername: name } : {}),
        rejectUnauthorized: true,
      });
      secure.once('secureConnect', () => {
        tlsSeconds = elapsed(clock, handshakeStart);
        finish('connected');
      });
      secure.on('error', (err: NodeJS.ErrnoException) => {
        const code = err.code ?? 'UNKNOWN';
        finish(UNTRUSTED.test(code) ? 'tls_untrusted' : 'tls_error', code);
      });
    });
    socket.on('error', (err: NodeJS.ErrnoException & { errors?: NodeJS.ErrnoException[] }) => {
      const code = err.code ?? err.errors?.[0]?.code ?? 'UNKNOWN';
      // A reset during the handshake is the TLS side failing, not the connect.
      finish(secure ? 'tls_error' : (OUTCOME_BY_ERRNO[code] ?? 'error'), code);
    });
    socket.once('close', () => {
      // An error emits 'error' before 'close'; a close without either means we destroyed it.
      finish('error', 'ECLOSED');
      resolve(settled);
    });
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** One check through the addon: the same outcomes, details and promise contract as the node:net path. */
function connectNative(
  connector: NativeConnector,
  family: 4 | 6,
  target: Pick<TcpTarget, 'host' | 'port'>,
  seq: number,
  timeoutMs: number,
  { clock, signal }: TcpRunContext,
): Promise<TcpConnectResult | undefined> {
  return new Promise((resolve) => {
    const start = clock.now();
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (result: TcpConnectResult | undefined): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(result);
    };
    const onAbort = (): void => {
      cancel();
      finish(undefined);
    };
    const cancel = connector.connect(family, target.host, target.port, ({ code, seconds }) => {
      if (code === undefined) return finish({ seq, outcome: 'connected', seconds, address: target.host });
      finish({ seq, outcome: OUTCOME_BY_ERRNO[code] ?? 'error', seconds, address: target.host, detail: code });
    });
    if (done) return;
    timer = setTimeout(() => {
      cancel();
      finish({ seq, outcome: 'timeout', seconds: elapsed(clock, start), address: target.host });
    }, timeoutMs);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function elapsed(clock: Clock, start: number): number {
  return Math.max(0, clock.now() - start) / 1000;
}

/** Waits `ms` (nothing if <= 0); returns early, without throwing, when the signal aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
