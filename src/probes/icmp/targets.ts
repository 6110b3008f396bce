// A parsed icmp probe config -> its targets (one per host) and the one set of
// options its runs use. Free of zod and of sockets: `netprobe mtu` builds its
// target and options through here too.
import type { IcmpProbeConfig } from './config.ts';
import type { IcmpOptions, IcmpTarget } from './types.ts';

export function icmpTarget(host: string, kind = 'static', node = ''): IcmpTarget {
  return { id: `icmp://${host}`, label: host, kind, node, host };
}

export function icmpTargets(config: IcmpProbeConfig): IcmpTarget[] {
  return config.targets.map((t) => icmpTarget(t.host, config.targetKind, t.node));
}

export function icmpOptions(config: IcmpProbeConfig): IcmpOptions {
  return {
    sizes: [...new Set(config.sizes)].sort((a, b) => a - b),
    count: config.count,
    intervalMs: config.interval,
    timeoutMs: config.timeout,
    search: config.search ?? null,
    expectedMtu: config.expectedMtu ?? null,
    socket: config.socket,
  };
}
