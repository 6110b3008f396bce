// A fake network at the TCP probe's connect seam (TcpRunContext.connect):
// each connect is answered after a set delay on the test's (fake) timers,
// with the events a real net.Socket emits for that outcome, so timing and
// loss tests are exact and fast. Real-socket tests stay in run.test.ts.
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import type { TcpConnect } from '../../src/probes/tcp/run.ts';

/** What one connect meets: an answer after `afterMs`, or silence (a dropped SYN). */
export type FakeAnswer =
  | { kind: 'accept'; afterMs: number }
  | { kind: 'errno'; code: string; afterMs: number }
  | { kind: 'silence' };

export class FakeSocket extends EventEmitter {
  destroyed = false;
  readonly #timer: NodeJS.Timeout | undefined;

  constructor(address: string, answer: FakeAnswer) {
    super();
    // net emits connectionAttempt once the address is known, after the call returns.
    process.nextTick(() => this.emit('connectionAttempt', address, 0, 4));
    if (answer.kind === 'silence') return;
    this.#timer = setTimeout(() => {
      if (answer.kind === 'accept') this.emit('connect');
      else this.destroy(Object.assign(new Error(`connect ${answer.code}`), { code: answer.code }));
    }, answer.afterMs);
  }

  /** As net.Socket: 'error' (when given one), then 'close', after the call returns. */
  destroy(err?: Error): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    clearTimeout(this.#timer);
    process.nextTick(() => {
      if (err) this.emit('error', err);
      this.emit('close', err !== undefined);
    });
    return this;
  }
}

/**
 * A connect factory whose n-th connect (1-based) meets `answer(n)`. `made`
 * lists the sockets handed out, `open()` those not yet destroyed.
 */
export function fakeConnect(answer: (n: number, target: { host: string; port: number }) => FakeAnswer) {
  const made: FakeSocket[] = [];
  const connect: TcpConnect = (target) => {
    const socket = new FakeSocket(target.host, answer(made.length + 1, target));
    made.push(socket);
    // runTcp uses only the EventEmitter side and destroy() of a plain (non-TLS) socket.
    return socket as unknown as net.Socket;
  };
  return { connect, made, open: () => made.filter((s) => !s.destroyed) };
}
