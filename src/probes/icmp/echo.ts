// The size walk: `count` echo requests at each configured size, all sizes at
// once, the requests of one size `interval` apart (RTT and loss per size).
import type { IcmpPinger } from '../../native/icmp.ts';
import type { SizeTally } from './tally.ts';

export interface EchoParams {
  sizes: number[];
  count: number;
  intervalMs: number;
  timeoutMs: number;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

export function echoSizes(pinger: IcmpPinger, addr: string, params: EchoParams, tally: SizeTally, signal: AbortSignal): Promise<void> {
  // One request per size (the usual daemon config) needs no pacing: send them
  // all now, without the per-size async walk and its promises.
  if (params.count === 1) {
    try {
      const sent: Promise<void>[] = [];
      for (const size of params.sizes) {
        if (signal.aborted) break;
        sent.push(pinger.echo(addr, size, params.timeoutMs, signal).then((outcome) => tally.record(size, outcome)));
      }
      return Promise.all(sent).then(() => undefined);
    } catch (error) {
      return Promise.reject(error);
    }
  }
  return Promise.all(
    params.sizes.map(async (size) => {
      const inFlight: Promise<void>[] = [];
      for (let i = 0; i < params.count && !signal.aborted; i++) {
        if (i > 0) await sleep(params.intervalMs, signal);
        if (signal.aborted) break;
        inFlight.push(pinger.echo(addr, size, params.timeoutMs, signal).then((outcome) => tally.record(size, outcome)));
      }
      await Promise.all(inFlight);
    }),
  ).then(() => undefined);
}
