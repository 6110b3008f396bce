// A parsed tcp probe config -> its targets (one per address) and the one set
// of options its runs use. Setup errors (an unreadable CA) throw with a clear
// message; the daemon reports them and keeps the running config.
import { readFileSync } from 'node:fs';
import type { TcpProbeConfig } from './config.ts';
import type { TcpOptions, TcpTarget } from './types.ts';

/** The `target` label: host:port, IPv6 hosts in brackets. */
export function targetLabel(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export function tcpTarget(host: string, port: number, kind = 'static', node = ''): TcpTarget {
  const label = targetLabel(host, port);
  return { id: `tcp://${label}`, label, kind, node, host, port };
}

export function tcpTargets(config: TcpProbeConfig): TcpTarget[] {
  return config.targets.map((t) => tcpTarget(t.host, t.port, config.targetKind, t.node));
}

/**
 * The CA is read here, when the config is (re)loaded: an unreadable CA is a
 * setup error naming the probe and key, never a failed handshake counted
 * against the network. `readFile` comes from the daemon (tests inject one).
 */
export function tcpOptions(config: TcpProbeConfig, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): TcpOptions {
  const options: TcpOptions = { count: config.count, intervalMs: config.interval, timeoutMs: config.timeout };
  if (config.tls) {
    let ca: string;
    try {
      ca = readFile(config.tls.ca);
    } catch (error) {
      throw new Error(`probe "${config.name}": tls.ca: cannot read ${config.tls.ca}: ${(error as Error).message}`);
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`probe "${config.name}": tls.ca: ${config.tls.ca} holds no PEM certificate`);
    options.tls = { caFile: config.tls.ca, ca, serverName: config.tls.serverName ?? null };
  }
  return options;
}
