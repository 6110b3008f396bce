// One ICMP probe run against one target: the size walk and/or the MTU search
// on one shared socket, summed up into an IcmpResult. Never throws for
// network trouble: failures are results with a bounded reason.
import { lookup } from 'node:dns/promises';
import { isIPv4, isIPv6 } from 'node:net';
import type { IcmpPinger } from '../../native/icmp.ts';
import type { ProbeContext } from '../types.ts';
import { echoSizes } from './echo.ts';
import { sharedIcmpEngine } from './engine.ts';
import { interfaceMtuFor } from './route-mtu.ts';
import { searchCeiling, type SearchOutcome, type SearchProgress } from './search.ts';
import { isBlackhole, SizeTally } from './tally.ts';
import type { IcmpOptions, IcmpReason, IcmpResult, IcmpTarget } from './types.ts';

export interface IcmpRunHooks {
  /** Called as each candidate size of the search settles (the CLI prints progress). */
  onProgress?: (p: SearchProgress) => void;
  /** Name -> IPv4 address (default: the system resolver via getaddrinfo); tests inject one. */
  resolve?: (host: string) => Promise<string>;
}

async function lookupIPv4(host: string): Promise<string> {
  const { address } = await lookup(host, { family: 4 });
  return address;
}

/** The search's books on runs without a search: always empty, never recorded into. */
const NO_SEARCH = new SizeTally();

export async function runIcmp(target: IcmpTarget, options: IcmpOptions, ctx: ProbeContext, hooks: IcmpRunHooks = {}): Promise<IcmpResult> {
  const started = ctx.clock.now();
  // Separate books: the walk's per-size counts feed the per-size metrics; the
  // search's candidate sizes change from run to run and stay in the result.
  const tally = new SizeTally();
  const searchTally = options.search ? new SizeTally() : NO_SEARCH;
  const base = { address: target.host, socket: null, expectedBytes: options.expectedMtu };
  const failed = (reason: IcmpReason, error: string): IcmpResult => ({
    ...base,
    reason,
    ceilingBytes: null,
    firstFailingBytes: null,
    blackhole: false,
    fragNeeded: [],
    localMtu: null,
    probesSent: 0,
    interfaceName: null,
    interfaceMtu: null,
    searched: false,
    sizes: [],
    searchSizes: [],
    durationSeconds: (ctx.clock.now() - started) / 1000,
    error,
  });

  let pinger: IcmpPinger;
  try {
    pinger = options.engine ?? sharedIcmpEngine(options.socket, isIPv6(target.host) ? 6 : 4);
  } catch (err) {
    return failed('send_error', (err as Error).message);
  }
  let address: string;
  try {
    address = isIPv4(target.host) || isIPv6(target.host) ? target.host : await (hooks.resolve ?? lookupIPv4)(target.host);
  } catch (err) {
    return { ...failed('resolve_error', `cannot resolve ${target.host} to IPv4: ${(err as Error).message}`), socket: pinger.mode };
  }

  const route = interfaceMtuFor(address);
  let search: SearchOutcome | null = null;
  const work: Promise<unknown>[] = [];
  if (options.sizes.length > 0) {
    const params = { sizes: options.sizes, count: options.count, intervalMs: options.intervalMs, timeoutMs: options.timeoutMs };
    work.push(echoSizes(pinger, address, params, tally, ctx.signal));
  }
  if (options.search) {
    const expected = options.expectedMtu;
    const hints = expected !== null ? [expected, expected + 1] : [];
    const params = { ...options.search, timeoutMs: options.timeoutMs, hints, ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}) };
    work.push(searchCeiling(pinger, address, params, searchTally, ctx.signal).then((outcome) => (search = outcome)));
  }
  await Promise.all(work);

  const found = search as SearchOutcome | null;
  const ceiling = found ? found.ceiling : tally.largestAnswered();
  const firstFailing = found ? found.firstFailing : tally.smallestFailedAbove(ceiling);
  const blackhole = isBlackhole(found ? searchTally : tally, ceiling, firstFailing);
  const probesSent = tally.probesSent + searchTally.probesSent;
  // Merged only when there is something to merge (the common run has neither).
  const sendErrors =
    searchTally.sendErrors.size === 0 ? tally.sendErrors : new Set([...tally.sendErrors, ...searchTally.sendErrors]);
  const fragNeeded =
    tally.hasFragNeeded || searchTally.hasFragNeeded
      ? new Map([...tally.fragNeeded, ...searchTally.fragNeeded].map((f) => [`${f.hop}/${f.mtu}`, f]))
      : null;

  let reason: IcmpReason = 'ok';
  let error: string | undefined;
  if (ctx.signal.aborted) {
    reason = 'aborted';
    error = 'run aborted (deadline or shutdown)';
  } else if (ceiling === null) {
    reason = probesSent === 0 && sendErrors.size > 0 ? 'send_error' : 'no_reply';
    error = sendErrors.size > 0 ? `send failed: ${[...sendErrors].join(', ')}` : `no reply from ${address} at any size`;
  } else if (blackhole) {
    reason = 'blackhole';
    error = `sizes from ${firstFailing} B vanish without "fragmentation needed" (ceiling ${ceiling} B)`;
  } else if (options.expectedMtu !== null && ceiling < options.expectedMtu) {
    reason = 'mtu_below_expected';
    error = `path MTU ceiling ${ceiling} B is below the expected ${options.expectedMtu} B`;
  } else if (tally.lossAtOrBelow(ceiling) || searchTally.lossAtOrBelow(ceiling)) {
    reason = 'loss';
    error = 'some requests at sizes the path carries went unanswered';
  }

  const result: IcmpResult = {
    ...base,
    address,
    socket: pinger.mode,
    reason,
    ceilingBytes: ceiling,
    firstFailingBytes: firstFailing,
    blackhole,
    fragNeeded: fragNeeded ? [...fragNeeded.values()].sort((a, b) => a.mtu - b.mtu || a.hop.localeCompare(b.hop)) : [],
    localMtu: searchTally.localMtu ?? tally.localMtu,
    probesSent,
    interfaceName: route?.interface ?? null,
    interfaceMtu: route?.mtu ?? null,
    searched: found !== null,
    sizes: tally.sizes,
    searchSizes: searchTally.sizes,
    durationSeconds: (ctx.clock.now() - started) / 1000,
  };
  if (error !== undefined) result.error = error;
  return result;
}
