// The network-namespace lab: a typed API over iproute2 and nftables that builds
// the cluster failure modes F1-F9 (docs/lab.md). Typical use:
//
//   import { Lab, requireLab, buildServiceVipLab } from './harness/index.ts';
//   const labAvailable = requireLab({ commands: ['dnsmasq'] }); // throws when CI=true and the lab cannot run
//   describe.skipIf(!labAvailable)('...', () => {
//     let lab: Lab;
//     beforeAll(async () => { lab = await Lab.create(import.meta.url); vip = await buildServiceVipLab(lab); });
//     afterAll(async () => { await lab?.destroy(); });
//   });
export { requireLab, labUnavailableReasons, type LabRequirements } from './require.ts';
export { Lab, type NamespaceRef, type VethEnd, type VethPair } from './lab.ts';
export { run, inNamespace, LabProcess, LabCommandError, type RunOptions, type RunResult } from './exec.ts';
export { clearLeftovers, fileStem, fileTag, runStem, LINK_NAME_MAX } from './names.ts';
export {
  buildServiceVipLab,
  freeRootSlot,
  intToIp,
  startDnsServer,
  vipDnatRuleset,
  DEFAULT_RECORDS,
  POD_SUBNET,
  SERVICE_RANGE,
  SERVICE_VIP,
  type DnsRecord,
  type DnsReplica,
  type ServiceVipLab,
  type ServiceVipLabOptions,
  type UpstreamDns,
} from './service-vip.ts';
export {
  breakUpstream,
  restoreUpstream,
  conntrackRaceRuleset,
  deleteRoute,
  injectConntrackRace,
  removeConntrackRace,
  removeVipDnat,
  restoreRoute,
  restoreVipDnat,
  stopDnsServer,
  type ConntrackRaceOptions,
} from './faults.ts';
export {
  buildRouterLab,
  buildTunnelLab,
  injectPmtuBlackhole,
  removePmtuBlackhole,
  LabUnsupportedError,
  type RouterLab,
  type RouterLabOptions,
  type TunnelLab,
  type TunnelLabOptions,
  type TunnelType,
} from './paths.ts';
export { buildHopLab, setMiddleHopFault, clearMiddleHopFault, type HopLab } from './hops.ts';
export { runNetprobe, netprobeArgv, startNetprobeDaemon, NODE_BIN, REPO_ROOT, type NetprobeDaemon } from './netprobe.ts';
export { joinNode, healJoinedNode, type JoinedNode, type JoinNodeOptions } from './second-node.ts';
export { scrape, pollMetrics, parsePrometheusText, seriesOf, sumOf, httpGet, type Sample, type PollResult, type PollOptions } from './scrape.ts';
