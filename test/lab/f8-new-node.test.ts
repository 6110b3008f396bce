// F8, a new node joins broken (docs/lab.md, "Failure modes"): two "node" namespaces share one DNS
// namespace (the CoreDNS pods). The first node is healthy; the second joined
// without what kube-proxy and the CNI program later (no VIP DNAT, no route to the
// DNS pods' subnet). One daemon runs in each node namespace with its own
// sourceNode, probing the same VIP and the same CoreDNS endpoint; the young
// node's series (source_node label) fail while the healthy node's succeed. Then
// the young node is healed one piece at a time and its series follow.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildServiceVipLab,
  healJoinedNode,
  joinNode,
  Lab,
  requireLab,
  scrape,
  seriesOf,
  startNetprobeDaemon,
  type JoinedNode,
  type NetprobeDaemon,
  type Sample,
  type ServiceVipLab,
} from './harness/index.ts';

// Throws first when CI=true and the lab cannot run: in CI this test is never skipped.
const labAvailable = requireLab({ commands: ['dnsmasq', 'dig'] });

const NAME = 'kubernetes.default.svc.cluster.local';
const PORT = 9812;
const WAIT_MS = 45_000;
const TEST_TIMEOUT_MS = 240_000;
const OLD = 'node-old';
const YOUNG = 'node-young';

interface Node {
  sourceNode: string;
  daemon: NetprobeDaemon;
  url: string;
}

interface Match {
  probe: 'vip' | 'ep';
  server: string;
}

function lookups(samples: readonly Sample[], node: Node, match: Match): Record<string, number> {
  const byResult: Record<string, number> = {};
  for (const s of seriesOf(samples, 'netprobe_dns_lookups_total', { ...match, source_node: node.sourceNode })) {
    const result = s.labels.result ?? '?';
    byResult[result] = (byResult[result] ?? 0) + s.value;
  }
  return byResult;
}

function delta(after: readonly Sample[], before: readonly Sample[], node: Node, match: Match): Record<string, number> {
  const a = lookups(after, node, match);
  const b = lookups(before, node, match);
  const out: Record<string, number> = {};
  for (const result of Object.keys(a)) {
    const d = (a[result] ?? 0) - (b[result] ?? 0);
    if (d > 0) out[result] = d;
  }
  return out;
}

const total = (counts: Record<string, number>): number => Object.values(counts).reduce((t, n) => t + n, 0);

function gauge(samples: readonly Sample[], node: Node, match: Match): number | undefined {
  const series = seriesOf(samples, 'netprobe_probe_success', { probe: match.probe, target: match.server, source_node: node.sourceNode });
  return series.length === 1 ? series[0]!.value : undefined;
}

async function startDaemon(lab: Lab, ns: string, httpIp: string, sourceNode: string, probes: object[]): Promise<Node> {
  const listen = `${httpIp}:${PORT}`;
  const configFile = path.join(lab.tmpDir(), `${sourceNode}.yaml`);
  writeFileSync(configFile, JSON.stringify({ sourceNode, listen, probes }, null, 2));
  const daemon = await startNetprobeDaemon(lab, ns, configFile, 60_000);
  return { sourceNode, daemon, url: `http://${listen}/metrics` };
}

function dnsProbe(name: string, server: string, targetKind: string): object {
  return { name, kind: 'dns', every: '1s', servers: [server], targetKind, names: [NAME], qtypes: ['A'], mode: 'single', transport: 'udp', timeout: '500ms', attempts: 2 };
}

/** Scrapes both daemons (bounded: WAIT_MS) until `condition(old, young)` holds; fails with what they said. */
async function waitForBoth(
  nodes: { old: Node; young: Node },
  what: string,
  condition: (old: Sample[], young: Sample[]) => boolean,
  explain: (old: Sample[], young: Sample[]) => unknown,
): Promise<{ old: Sample[]; young: Sample[] }> {
  let old: Sample[] = [];
  let young: Sample[] = [];
  let lastError = '';
  const started = performance.now();
  for (let scrapes = 0; scrapes < WAIT_MS / 250 + 1; scrapes++) {
    try {
      [old, young] = await Promise.all([scrape(nodes.old.url), scrape(nodes.young.url)]);
      lastError = '';
      if (condition(old, young)) return { old, young };
    } catch (error) {
      lastError = (error as Error).message; // a daemon may still be binding its port
    }
    if (performance.now() - started >= WAIT_MS) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const elapsed = Math.round(performance.now() - started);
  const outputs = `--- ${OLD} ---\n${nodes.old.daemon.process.describeOutput()}\n--- ${YOUNG} ---\n${nodes.young.daemon.process.describeOutput()}`;
  expect.fail(`${what} (not within ${elapsed} ms): ${JSON.stringify(explain(old, young))} ${lastError}\n${outputs}`);
}

describe.skipIf(!labAvailable)('F8 a node that joined broken, next to a healthy one', () => {
  let lab: Lab;
  let vip: ServiceVipLab;
  let joined: JoinedNode;
  let nodes: { old: Node; young: Node };
  let VIP: Match;
  let EP: Match;
  beforeAll(async () => {
    lab = await Lab.create(import.meta.url);
    vip = await buildServiceVipLab(lab);
    // Joined after the first node, as a new node joins a running cluster: kube-proxy
    // has not programmed the VIP yet and the route to the DNS pods' subnet is missing.
    joined = await joinNode(vip);
    VIP = { probe: 'vip', server: `${vip.vip}:53` };
    EP = { probe: 'ep', server: `${vip.dnsServers[0]!.ip}:53` };
    const probes = [dnsProbe('vip', vip.vip, 'service_vip'), dnsProbe('ep', vip.dnsServers[0]!.ip, 'endpoint')];
    const [old, young] = await Promise.all([
      startDaemon(lab, vip.nodeNs, vip.nodeHttpIp, OLD, probes),
      startDaemon(lab, joined.nodeNs, joined.nodeHttpIp, YOUNG, probes),
    ]);
    nodes = { old, young };
  }, 120_000);
  afterAll(async () => {
    await lab?.destroy();
  });

  const summary = (old: Sample[], young: Sample[], since?: { old: Sample[]; young: Sample[] }) => ({
    old: { vip: delta(old, since?.old ?? [], nodes.old, VIP), ep: delta(old, since?.old ?? [], nodes.old, EP) },
    young: { vip: delta(young, since?.young ?? [], nodes.young, VIP), ep: delta(young, since?.young ?? [], nodes.young, EP) },
    gauges: { old: [gauge(old, nodes.old, VIP), gauge(old, nodes.old, EP)], young: [gauge(young, nodes.young, VIP), gauge(young, nodes.young, EP)] },
  });

  it('the joined node is what the harness says: no DNAT table, no pod route', async () => {
    expect(joined).toMatchObject({ vipDnat: false, podRoute: false });
    const tables = await lab.nftCommand(joined.nodeNs, ['list', 'tables']);
    expect(tables.stdout).not.toMatch(/table ip kp/);
    const routes = await lab.exec(joined.nodeNs, ['ip', '-4', 'route', 'show']);
    expect(routes.stdout).not.toContain('198.18.16.0/24');
    expect((await lab.nftCommand(vip.nodeNs, ['list', 'tables'])).stdout).toMatch(/table ip kp/);
  });

  it('the young node\'s VIP and endpoint series fail while the healthy node\'s succeed', { timeout: TEST_TIMEOUT_MS }, async () => {
    const seen = await waitForBoth(
      nodes,
      'two lookups per probe on each node',
      (old, young) => [VIP, EP].every((m) => total(lookups(old, nodes.old, m)) >= 2 && total(lookups(young, nodes.young, m)) >= 2),
      (old, young) => summary(old, young),
    );
    const s = summary(seen.old, seen.young);
    console.log(`F8 broken: ${JSON.stringify(s)}`);
    // Healthy node: everything answers.
    expect(Object.keys(s.old.vip)).toEqual(['success']);
    expect(Object.keys(s.old.ep)).toEqual(['success']);
    expect(s.gauges.old).toEqual([1, 1]);
    // Young node: the untranslated VIP packet is dropped in the DNS namespace
    // (silence: timeout); the pod IP has no route at all (send fails: network_error).
    expect(Object.keys(s.young.vip)).toEqual(['timeout']);
    expect(Object.keys(s.young.ep)).toEqual(['network_error']);
    expect(s.gauges.young).toEqual([0, 0]);
    // Each daemon labels only its own node.
    expect(new Set(seen.old.filter((x) => x.name.startsWith('netprobe_dns_')).map((x) => x.labels.source_node))).toEqual(new Set([OLD]));
    expect(new Set(seen.young.filter((x) => x.name.startsWith('netprobe_dns_')).map((x) => x.labels.source_node))).toEqual(new Set([YOUNG]));
  });

  it('the CNI adds the route: the young node\'s endpoint recovers, its VIP still times out', { timeout: TEST_TIMEOUT_MS }, async () => {
    await healJoinedNode(vip, joined, { podRoute: true });
    const t0 = { old: await scrape(nodes.old.url), young: await scrape(nodes.young.url) };
    const settled = await waitForBoth(
      nodes,
      'young endpoint answering',
      (_old, young) => gauge(young, nodes.young, EP) === 1 && (delta(young, t0.young, nodes.young, EP).success ?? 0) >= 1,
      (old, young) => summary(old, young, t0),
    );
    const window = await waitForBoth(
      nodes,
      'two more VIP lookups on the young node',
      (_old, young) => total(delta(young, settled.young, nodes.young, VIP)) >= 2 && total(delta(young, settled.young, nodes.young, EP)) >= 2,
      (old, young) => summary(old, young, settled),
    );
    const s = summary(window.old, window.young, settled);
    console.log(`F8 route only: ${JSON.stringify(s)}`);
    expect(Object.keys(s.young.ep)).toEqual(['success']);
    expect(Object.keys(s.young.vip)).toEqual(['timeout']);
    expect(Object.keys(s.old.vip)).toEqual(['success']);
  });

  it('kube-proxy programs the VIP: the young node\'s VIP recovers too', { timeout: TEST_TIMEOUT_MS }, async () => {
    await healJoinedNode(vip, joined, { vipDnat: true });
    const t0 = { old: await scrape(nodes.old.url), young: await scrape(nodes.young.url) };
    const settled = await waitForBoth(
      nodes,
      'young VIP answering',
      (_old, young) => gauge(young, nodes.young, VIP) === 1 && (delta(young, t0.young, nodes.young, VIP).success ?? 0) >= 1,
      (old, young) => summary(old, young, t0),
    );
    const window = await waitForBoth(
      nodes,
      'two more lookups per probe on both nodes',
      (old, young) => [VIP, EP].every((m) => total(delta(old, settled.old, nodes.old, m)) >= 2 && total(delta(young, settled.young, nodes.young, m)) >= 2),
      (old, young) => summary(old, young, settled),
    );
    const s = summary(window.old, window.young, settled);
    expect([s.old.vip, s.old.ep, s.young.vip, s.young.ep].map((c) => Object.keys(c))).toEqual([['success'], ['success'], ['success'], ['success']]);
    expect(s.gauges).toEqual({ old: [1, 1], young: [1, 1] });
  });
});
