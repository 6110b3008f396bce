// Self-test of the lab harness: the topologies really behave like the cluster
// failure modes they stand in for, checked with Debian's own tools (dig, iputils
// ping) so a netprobe bug cannot hide a harness bug or the other way round.
import { existsSync, mkdtempSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  breakUpstream,
  restoreUpstream,
  buildRouterLab,
  buildServiceVipLab,
  buildTunnelLab,
  clearLeftovers,
  deleteRoute,
  fileStem,
  injectConntrackRace,
  Lab,
  LabUnsupportedError,
  LINK_NAME_MAX,
  removeConntrackRace,
  removeVipDnat,
  requireLab,
  restoreRoute,
  restoreVipDnat,
  run,
  runStem,
  startDnsServer,
  stopDnsServer,
  NODE_BIN,
  type RouterLab,
  type ServiceVipLab,
} from './harness/index.ts';
import { linkName, listNamespaces, listRootLinks, pidPart } from './harness/names.ts';

const labAvailable = requireLab({ commands: ['dnsmasq', 'dig', 'ping'] });

describe('lab naming', () => {
  it('gives a file a stable 4-character tag and link names within the 15-character limit', () => {
    expect(fileStem('/x/test/lab/f1-conntrack-race.test.ts')).toBe(fileStem('file:///y/f1-conntrack-race.test.ts'));
    expect(fileStem('/x/a.test.ts')).not.toBe(fileStem('/x/b.test.ts'));
    const stem = runStem('/x/mtu-sweep.test.ts', 4_194_304);
    expect(linkName(stem, 36 * 36 - 1, 'b').length).toBeLessThanOrEqual(LINK_NAME_MAX);
    expect(() => linkName(stem, 36 * 36, 'a')).toThrow(/more than/);
  });
});

describe.skipIf(!labAvailable)('lab leftovers', () => {
  it('removes namespaces and root veths of a dead run of the same file, and nothing of a live one', async () => {
    // pid_max is at most 4194304, so this pid can never be alive.
    const deadStem = fileStem(import.meta.url) + pidPart(36 ** 5 - 1);
    const liveNs = `${runStem(import.meta.url)}-99-keep`;
    const deadNs = `${deadStem}-0-node`;
    const deadLink = linkName(deadStem, 0, 'a');
    await run(['ip', 'netns', 'add', deadNs]);
    await run(['ip', 'netns', 'add', liveNs]);
    await run(['ip', 'link', 'add', deadLink, 'type', 'veth', 'peer', 'name', linkName(deadStem, 0, 'b')]);
    const deadTmp = mkdtempSync(path.join(os.tmpdir(), `${deadStem}-`));
    try {
      const removed = await clearLeftovers(import.meta.url);
      expect(removed).toEqual(expect.arrayContaining([deadNs, deadLink, path.basename(deadTmp)]));
      expect(existsSync(deadTmp)).toBe(false);
      expect(await listNamespaces()).not.toContain(deadNs);
      expect(await listNamespaces()).toContain(liveNs);
      expect((await listRootLinks()).filter((l) => l.startsWith(deadStem))).toEqual([]);
    } finally {
      await run(['ip', 'netns', 'del', liveNs], { allowFailure: true });
      await run(['ip', 'netns', 'del', deadNs], { allowFailure: true });
      await run(['ip', 'link', 'del', deadLink], { allowFailure: true });
    }
  });
});

/** dig from inside `ns`; one try, 1 s: bounded however broken the lab is. */
async function dig(lab: Lab, ns: string, server: string, name: string, qtype: string, tcp = false) {
  const argv = ['dig', '+time=1', '+tries=1', '+noall', '+answer', '+comments', ...(tcp ? ['+tcp'] : []), `@${server}`, name, qtype];
  const result = await lab.exec(ns, argv, { allowFailure: true, timeoutMs: 5000 });
  const status = /status: ([A-Z]+)/.exec(result.stdout)?.[1] ?? (result.code === 9 ? 'TIMEOUT' : `EXIT${result.code}`);
  const answers = result.stdout
    .split('\n')
    .filter((line) => line && !line.startsWith(';'))
    .map((line) => line.split(/\s+/).at(-1));
  return { status, answers, output: result.stdout + result.stderr };
}

describe.skipIf(!labAvailable)('service VIP lab', () => {
  let lab: Lab;
  let vip: ServiceVipLab;
  beforeAll(async () => {
    lab = await Lab.create(import.meta.url);
    vip = await buildServiceVipLab(lab, { replicas: 1 });
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it('answers A and AAAA through the DNATed VIP over UDP and TCP from the node namespace', async () => {
    for (const tcp of [false, true]) {
      const a = await dig(lab, vip.nodeNs, vip.vip, 'kubernetes.default.svc.cluster.local', 'A', tcp);
      expect(a.status, a.output).toBe('NOERROR');
      expect(a.answers).toEqual(['198.19.0.1']);
      const aaaa = await dig(lab, vip.nodeNs, vip.vip, 'kubernetes.default.svc.cluster.local', 'AAAA', tcp);
      expect(aaaa.answers).toEqual(['fd00:198:19::1']);
    }
    const missing = await dig(lab, vip.nodeNs, vip.vip, 'nope.default.svc.cluster.local', 'A');
    expect(missing.status).toBe('NXDOMAIN');
  });

  it('lets the test process reach an HTTP port inside the node namespace over the root veth', async () => {
    const server = lab.spawn(vip.nodeNs, [
      NODE_BIN,
      '-e',
      "require('node:http').createServer((q, r) => r.end('from-node-ns')).listen(0, '0.0.0.0', function () { console.log('port=' + this.address().port) })",
    ]);
    const port = (await server.waitForOutput(/port=(\d+)/, 10_000))[1];
    const body = await new Promise<string>((resolve, reject) => {
      http.get(`http://${vip.nodeHttpIp}:${port}/`, { timeout: 3000 }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve(text));
      }).on('error', reject);
    });
    expect(body).toBe('from-node-ns');
    await server.stop();
  });

  it('F2: without the DNAT the VIP times out while the DNS pod IP still answers', async () => {
    await removeVipDnat(vip);
    try {
      expect((await dig(lab, vip.nodeNs, vip.vip, 'kubernetes.default.svc.cluster.local', 'A')).status).toBe('TIMEOUT');
      expect((await dig(lab, vip.nodeNs, vip.dnsServers[0]!.ip, 'kubernetes.default.svc.cluster.local', 'A')).status).toBe('NOERROR');
    } finally {
      await restoreVipDnat(vip);
    }
    expect((await dig(lab, vip.nodeNs, vip.vip, 'kubernetes.default.svc.cluster.local', 'A')).status).toBe('NOERROR');
  });

  it('F3: without the pod-subnet route neither the VIP nor the pod IP answers', async () => {
    await deleteRoute(vip);
    try {
      expect((await dig(lab, vip.nodeNs, vip.vip, 'kubernetes.default.svc.cluster.local', 'A')).status).not.toBe('NOERROR');
      expect((await dig(lab, vip.nodeNs, vip.dnsServers[0]!.ip, 'kubernetes.default.svc.cluster.local', 'A')).status).not.toBe('NOERROR');
    } finally {
      await restoreRoute(vip);
    }
    expect((await dig(lab, vip.nodeNs, vip.vip, 'kubernetes.default.svc.cluster.local', 'A')).status).toBe('NOERROR');
  });

  it('F7: a stopped DNS server stops answering and comes back when restarted', async () => {
    await stopDnsServer(vip, 0);
    expect(vip.dnsServers[0]!.process.running).toBe(false);
    expect((await dig(lab, vip.nodeNs, vip.vip, 'kubernetes.default.svc.cluster.local', 'A')).status).not.toBe('NOERROR');
    await startDnsServer(vip, 0);
    expect((await dig(lab, vip.nodeNs, vip.vip, 'kubernetes.default.svc.cluster.local', 'A')).status).toBe('NOERROR');
  });

  it('F1: the conntrack-race rule loads in the DNS namespace, leaves single queries alone, and unloads', async () => {
    await injectConntrackRace(vip, { probability: 0.5 });
    const listed = await lab.nftCommand(vip.dnsNs, ['list', 'ruleset']);
    expect(listed.stdout).toMatch(/ct original packets 2 ct reply packets 0 numgen random mod 100 < 50 drop/);
    // dig sends one query per flow: the first packet of a flow is never dropped.
    expect((await dig(lab, vip.nodeNs, vip.vip, 'kubernetes.default.svc.cluster.local', 'A')).status).toBe('NOERROR');
    await removeConntrackRace(vip);
    expect((await lab.nftCommand(vip.dnsNs, ['list', 'ruleset'])).stdout).not.toMatch(/np_f1/);
  });
});

describe.skipIf(!labAvailable)('service VIP lab with two DNS replicas (F7)', () => {
  let lab: Lab;
  let vip: ServiceVipLab;
  beforeAll(async () => {
    lab = await Lab.create(import.meta.url);
    vip = await buildServiceVipLab(lab, { replicas: 2 });
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it('spreads VIP lookups over both replicas; with one stopped, only a fraction fails', async () => {
    expect(vip.dnsServers.map((s) => s.ip)).toEqual(['198.18.16.10', '198.18.16.11']);
    const lookupVip = async () => (await dig(lab, vip.nodeNs, vip.vip, 'kubernetes.default.svc.cluster.local', 'A')).status;
    const healthy = [];
    for (let i = 0; i < 4; i++) healthy.push(await lookupVip());
    expect(healthy).toEqual(['NOERROR', 'NOERROR', 'NOERROR', 'NOERROR']);
    await stopDnsServer(vip, 1);
    const degraded = [];
    for (let i = 0; i < 6; i++) degraded.push(await lookupVip());
    // Round-robin DNAT: every new flow alternates replicas, so about half fail.
    expect(degraded.filter((s) => s === 'NOERROR').length).toBeGreaterThanOrEqual(2);
    expect(degraded.filter((s) => s !== 'NOERROR').length).toBeGreaterThanOrEqual(2);
    const direct = await dig(lab, vip.nodeNs, vip.dnsServers[0]!.ip, 'kubernetes.default.svc.cluster.local', 'A');
    expect(direct.status).toBe('NOERROR');
  });
});

describe.skipIf(!labAvailable)('service VIP lab with an upstream server (F6)', () => {
  let lab: Lab;
  let vip: ServiceVipLab;
  beforeAll(async () => {
    lab = await Lab.create(import.meta.url);
    vip = await buildServiceVipLab(lab, { upstream: true });
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it('external names go through the upstream; with it broken they fail while cluster names resolve', async () => {
    const lookup = (name: string) => dig(lab, vip.nodeNs, vip.vip, name, 'A');
    expect(vip.upstream?.records.map((r) => r.name)).toEqual(['www.example.lab']);
    const external = await lookup('www.example.lab');
    expect(external.status, external.output).toBe('NOERROR');
    expect(external.answers).toEqual(['198.18.17.1']);
    await breakUpstream(vip);
    try {
      expect((await lookup('www.example.lab')).status).not.toBe('NOERROR');
      expect((await lookup('kubernetes.default.svc.cluster.local')).status).toBe('NOERROR');
    } finally {
      await restoreUpstream(vip);
    }
    // A name dnsmasq has no query in flight for (it keeps retrying the lost one for
    // a while): NXDOMAIN can only come from the upstream, so it is reachable again.
    expect((await lookup('nope.example.lab')).status).toBe('NXDOMAIN');
  });
});

/** iputils ping with DF set, one packet, 1 s: returns its whole output. */
async function pingDf(lab: Lab, ns: string, target: string, size: number) {
  const result = await lab.exec(ns, ['ping', '-n', '-M', 'do', '-s', String(size), '-c', '1', '-W', '1', target], {
    allowFailure: true,
    timeoutMs: 5000,
  });
  return { ok: result.code === 0, output: result.stdout + result.stderr };
}

describe.skipIf(!labAvailable)('router lab (F4, F5)', () => {
  let lab: Lab;
  let router: RouterLab;
  let blackholeLab: Lab;
  let blackhole: RouterLab;
  beforeAll(async () => {
    lab = await Lab.create(import.meta.url);
    router = await buildRouterLab(lab, { farMtu: 1400 });
    // A second Lab: its namespaces (and so its addresses) are separate.
    blackholeLab = await Lab.create(import.meta.url);
    blackhole = await buildRouterLab(blackholeLab, { farMtu: 1400, dropFragNeeded: true });
  });
  afterAll(async () => {
    await lab?.destroy();
    await blackholeLab?.destroy();
  });

  it('F4: 1372 B of payload passes with DF, 1373 gets "frag needed, mtu 1400" from the router', async () => {
    const fits = await pingDf(lab, router.clientNs, router.farIp, 1372);
    expect(fits.ok, fits.output).toBe(true);
    const tooBig = await pingDf(lab, router.clientNs, router.farIp, 1373);
    expect(tooBig.ok).toBe(false);
    expect(tooBig.output).toMatch(new RegExp(`From ${router.routerClientIp.replaceAll('.', '\\.')}.*Frag needed and DF set \\(mtu = 1400\\)`));
  });

  it('F5: with frag-needed dropped on the router, 1373 B vanishes silently', async () => {
    const fits = await pingDf(blackholeLab, blackhole.clientNs, blackhole.farIp, 1372);
    expect(fits.ok, fits.output).toBe(true);
    const tooBig = await pingDf(blackholeLab, blackhole.clientNs, blackhole.farIp, 1373);
    expect(tooBig.ok).toBe(false);
    expect(tooBig.output).not.toMatch(/Frag needed/);
    expect(tooBig.output).toMatch(/100% packet loss/);
  });
});

describe.skipIf(!labAvailable)('tunnel lab (F4 overhead)', () => {
  const labs: Lab[] = [];
  afterAll(async () => {
    for (const lab of labs) await lab.destroy();
  });

  it('vxlan over a 1500 underlay has MTU 1450: 1422 B passes with DF, 1423 is refused locally', async () => {
    const lab = await Lab.create(import.meta.url);
    labs.push(lab);
    const tunnel = await buildTunnelLab(lab, { type: 'vxlan' });
    expect(tunnel.tunnelMtu).toBe(1450);
    const fits = await pingDf(lab, tunnel.leftNs, tunnel.rightIp, 1450 - 28);
    expect(fits.ok, fits.output).toBe(true);
    const tooBig = await pingDf(lab, tunnel.leftNs, tunnel.rightIp, 1450 - 27);
    expect(tooBig.ok).toBe(false);
    expect(tooBig.output).toMatch(/message too long, mtu=1450/);
  });

  it('ipip over a 1500 underlay has MTU 1480, or the kernel lacks ipip and the builder says so', async () => {
    const lab = await Lab.create(import.meta.url);
    labs.push(lab);
    let tunnel;
    try {
      tunnel = await buildTunnelLab(lab, { type: 'ipip' });
    } catch (error) {
      // This machine's kernel is built without CONFIG_NET_IPIP (see docs/lab.md).
      expect(error).toBeInstanceOf(LabUnsupportedError);
      expect((error as Error).message).toMatch(/cannot create ipip devices/);
      return;
    }
    expect(tunnel.tunnelMtu).toBe(1480);
    expect((await pingDf(lab, tunnel.leftNs, tunnel.rightIp, 1480 - 28)).ok).toBe(true);
    expect((await pingDf(lab, tunnel.leftNs, tunnel.rightIp, 1480 - 27)).output).toMatch(/message too long, mtu=1480/);
  });
});
