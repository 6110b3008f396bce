// The icmp target for a host, apart from the config schema so that
// `netprobe mtu` builds one without loading zod (a third of its start-up).
import type { IcmpTarget } from './types.ts';

export function icmpTarget(host: string, kind = 'static', node = ''): IcmpTarget {
  return { id: `icmp://${host}`, label: host, kind, node, host };
}
