// A real DNS server for the lab: Debian's dnsmasq, in the foreground inside a
// namespace, answering a local zone only. It reads no config file, no
// /etc/hosts and no /etc/resolv.conf and has no upstream, so it can never send a
// packet outside the lab; names outside its zones are refused.
import type { LabProcess } from './exec.ts';
import type { Lab } from './lab.ts';

export interface DnsRecord {
  /** Fully qualified name without the trailing dot. */
  name: string;
  a?: string;
  aaaa?: string;
}

/** Zones answered authoritatively (unknown names there get NXDOMAIN, not a forward). */
export const LOCAL_ZONES = ['cluster.local', 'lab'] as const;

export interface DnsmasqOptions {
  listen: string;
  port?: number;
  records: readonly DnsRecord[];
  /** Zones answered locally; default LOCAL_ZONES. */
  localZones?: readonly string[];
  /** Zones forwarded to another lab server ("upstream"), e.g. { zone: 'lab', server: '198.18.0.6' }. */
  forwardZones?: readonly { zone: string; server: string }[];
  logQueries?: boolean;
}

export function dnsmasqArgv(options: DnsmasqOptions): string[] {
  const argv = [
    'dnsmasq',
    '--keep-in-foreground',
    '--conf-file=/dev/null',
    '--no-hosts',
    '--no-resolv',
    '--no-poll',
    '--pid-file=',
    // Stay root inside the namespace: the default "nobody" switch is pointless in a test and needs /etc setup.
    '--user=root',
    '--log-facility=-',
    '--bind-interfaces',
    `--listen-address=${options.listen}`,
    `--port=${options.port ?? 53}`,
    // Answers are computed, never cached: every lookup reaches the server path.
    '--cache-size=0',
  ];
  for (const zone of options.localZones ?? LOCAL_ZONES) argv.push(`--local=/${zone}/`);
  // Only lab addresses: the forward target is another dnsmasq inside the lab.
  for (const { zone, server } of options.forwardZones ?? []) argv.push(`--server=/${zone}/${server}`);
  for (const record of options.records) {
    const addresses = [record.a, record.aaaa].filter((a): a is string => a !== undefined);
    if (addresses.length === 0) throw new Error(`dns record ${record.name} has neither A nor AAAA`);
    argv.push(`--host-record=${record.name},${addresses.join(',')}`);
  }
  if (options.logQueries) argv.push('--log-queries');
  return argv;
}

/**
 * Waits until the server at `ip` answers `name` (dig from inside the server's
 * namespace, so no NAT and no fault rule is involved). Bounded: 50 tries, ~5 s.
 */
export async function waitForDns(lab: Lab, ns: string, ip: string, name: string, proc: LabProcess): Promise<void> {
  let last = '';
  for (let attempt = 0; attempt < 50; attempt++) {
    if (!proc.running) throw new Error(`dnsmasq on ${ip} exited (${proc.exitCode ?? proc.exitSignal})\n${proc.describeOutput()}`);
    const result = await lab.exec(ns, ['dig', '+time=1', '+tries=1', '+short', `@${ip}`, name, 'A'], { allowFailure: true, timeoutMs: 3000 });
    if (result.code === 0 && /^\d+\.\d+\.\d+\.\d+$/m.test(result.stdout)) return;
    last = (result.stdout + result.stderr).trim();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`dnsmasq on ${ip} did not answer ${name}: ${last}\n${proc.describeOutput()}`);
}
