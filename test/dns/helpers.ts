// Shared bits of the DNS tests: default options, a context, handle counting.
import { openNativeDnsSockets } from '../../src/native/dns-udp.ts';
import { runDns } from '../../src/probes/dns/run.ts';
import type { DnsOptions, DnsResult, DnsTarget } from '../../src/probes/dns/types.ts';
import { systemClock, type Clock } from '../../src/probes/types.ts';
import { onFakeTime } from '../support/fake-time.ts';

export function options(overrides: Partial<DnsOptions> = {}): DnsOptions {
  return {
    transport: 'udp',
    mode: 'parallel',
    qtypes: ['A', 'AAAA'],
    timeoutMs: 1000,
    attempts: 2,
    tcpFallback: true,
    search: [],
    ndots: 1,
    ...overrides,
  };
}

export function target(port: number, name: string, host = '127.0.0.1'): DnsTarget {
  return { id: `udp://${host}:${port}/${name}`, label: `${host}:${port}`, kind: 'static', node: '', server: { host, port }, name, nameClass: 'other' };
}

export function lookup(port: number, name: string, overrides: Partial<DnsOptions> = {}, signal = new AbortController().signal): Promise<DnsResult> {
  return runDns(target(port, name), options(overrides), { signal, clock: systemClock });
}

/** Open sockets and timers of this process (what a leak would leave behind). */
export function openHandles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  // The addon's UDP sockets are invisible to Node's resource list: count them as UDP sockets.
  const native = openNativeDnsSockets();
  if (native > 0) counts.UDPWrap = (counts.UDPWrap ?? 0) + native;
  return counts;
}

/** openHandles() once closes already under way have finished (sockets close asynchronously). */
export async function settledHandles(): Promise<Record<string, number>> {
  await new Promise((resolve) => setTimeout(resolve, 30));
  await new Promise((resolve) => setImmediate(resolve));
  return openHandles();
}

/**
 * One lookup on a fake network (fake-network.ts) and fake time (set up with
 * useFakeTime() in the test): the fake server's answers arrive on fake timers.
 */
export function fakeLookup(
  net: { sockets: DnsOptions['sockets'] },
  clock: Clock,
  name: string,
  overrides: Partial<DnsOptions> = {},
  signal = new AbortController().signal,
): Promise<DnsResult> {
  return onFakeTime(runDns(target(53, name), options({ ...overrides, sockets: net.sockets }), { signal, clock }));
}
