// A parsed dns probe config -> the targets (server x name) and the one set of
// resolver options its lookups use. Setup errors throw with a clear message;
// the daemon reports them and keeps the running config.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseHostPort } from '../../config/common.ts';
import type { DnsProbeConfig } from './config.ts';
import { DNS_DEFAULTS } from './defaults.ts';
import { parseResolvConf, type ResolvConf } from './resolvconf.ts';
import type { DnsOptions, DnsServer, DnsTarget } from './types.ts';
import { checkName } from './wire.ts';

/** What target expansion may consult besides the config (structurally the registry's TargetEnv). */
export interface DnsTargetEnv {
  readFile(path: string): string;
  /** Address of netprobe's own loopback responder, for the server "embedded". */
  embeddedDns?: DnsServer;
}

const defaultEnv: DnsTargetEnv = { readFile: (path) => readFileSync(path, 'utf8') };

export function serverLabel(server: DnsServer): string {
  return isIP(server.host) === 6 ? `[${server.host}]:${server.port}` : `${server.host}:${server.port}`;
}

/** `transport` (part of each target's id) is the options' unless given: `netprobe dns` has its own from --resolv-conf. */
export function dnsTargets(config: DnsProbeConfig, env: DnsTargetEnv = defaultEnv, transport = dnsOptions(config, env).transport): DnsTarget[] {
  const servers: { server: DnsServer; kind: string }[] = [];
  for (const entry of config.servers) {
    if (entry === 'resolv.conf') {
      const resolv = readResolvConf(config, env);
      if (resolv.servers.length === 0) throw new Error(`probe "${config.name}": no nameserver in ${config.resolvConf}`);
      for (const server of resolv.servers) servers.push({ server, kind: 'resolv_conf' });
    } else if (entry === 'embedded') {
      if (!env.embeddedDns) throw new Error(`probe "${config.name}": server "embedded" needs netprobe's embedded DNS responder, which is not running`);
      servers.push({ server: env.embeddedDns, kind: config.targetKind });
    } else {
      const server = parseHostPort(entry, 53);
      if (!server || isIP(server.host) === 0) {
        throw new Error(`probe "${config.name}": server "${entry}" is not IP[:PORT], "resolv.conf" or "embedded"`);
      }
      servers.push({ server, kind: config.targetKind });
    }
  }
  const targets: DnsTarget[] = [];
  const seen = new Set<string>();
  for (const { server, kind } of servers) {
    const label = serverLabel(server);
    for (const { name, class: nameClass } of config.names) {
      checkName(name);
      const id = `${transport}://${label}/${name}`;
      if (seen.has(id)) continue;
      seen.add(id);
      targets.push({ id, label, kind, node: '', server, name, nameClass });
    }
  }
  return targets;
}

/**
 * Options from the config, with resolv.conf's `options` filling what the
 * config leaves unset when the probe lists the "resolv.conf" server, and its
 * search list and ndots when `search: true`.
 */
export function dnsOptions(config: DnsProbeConfig, env: DnsTargetEnv = defaultEnv): DnsOptions {
  const wantsResolv = config.servers.includes('resolv.conf') || config.search;
  return optionsFrom(config, wantsResolv ? readResolvConf(config, env) : undefined);
}

/**
 * Pure core of dnsOptions: config overrides resolv.conf, which overrides the
 * defaults. resolv.conf's `options` apply when `resolvOptions` (the daemon:
 * when the probe lists the "resolv.conf" server; `netprobe dns`: whenever
 * --resolv-conf is given).
 */
export function optionsFrom(config: DnsProbeConfig, resolv?: ResolvConf, resolvOptions = config.servers.includes('resolv.conf')): DnsOptions {
  const fromResolv = resolvOptions ? resolv : undefined;
  return {
    transport: config.transport ?? fromResolv?.transport ?? DNS_DEFAULTS.transport,
    mode: config.mode ?? fromResolv?.mode ?? DNS_DEFAULTS.mode,
    qtypes: [...config.qtypes],
    timeoutMs: config.timeout ?? fromResolv?.timeoutMs ?? DNS_DEFAULTS.timeoutMs,
    attempts: config.attempts ?? fromResolv?.attempts ?? DNS_DEFAULTS.attempts,
    tcpFallback: config.tcpFallback,
    search: config.search && resolv ? [...resolv.search] : [],
    ndots: config.search && resolv ? resolv.ndots : DNS_DEFAULTS.ndots,
  };
}

function readResolvConf(config: DnsProbeConfig, env: DnsTargetEnv): ResolvConf {
  let text: string;
  try {
    text = env.readFile(config.resolvConf);
  } catch (error) {
    throw new Error(`probe "${config.name}": cannot read ${config.resolvConf}: ${(error as Error).message}`);
  }
  return parseResolvConf(text);
}
