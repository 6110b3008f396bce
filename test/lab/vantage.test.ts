// Pod vs host vantage on a two-node lab: an underlay veth (the nodes' own
// addresses, what a hostNetwork netprobe probes) with a VXLAN overlay on top
// (the pod network). One daemon per vantage on node "left" (NETPROBE_VANTAGE),
// each probing node "right" over its network with ICMP and TCP.
//   overlay broken (VXLAN dropped):  pod fails, host works  -> F3 overlay
//   underlay broken (all dropped):   both fail              -> F3 underlay
// A real Prometheus scrapes both daemons and `netprobe diagnose` names the layer.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Verdict } from '../../src/diagnosis/types.ts';
import { diagnoseUntil } from '../diagnosis/run-diagnose.ts';
import { type Prometheus, startPrometheus } from '../support/prometheus.ts';
import { buildTunnelLab, freeRootSlot, intToIp, Lab, NODE_BIN, netprobeArgv, parsePrometheusText, requireLab, seriesOf, type TunnelLab } from './harness/index.ts';
import { VERDICT_DEADLINE_MS } from './verdicts-support.ts';

const labAvailable = requireLab({ commands: ['prometheus'] });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FAULT_TABLE = 'np_vantage';

describe.skipIf(!labAvailable)('vantage: pod (overlay) vs host (underlay)', () => {
  let lab: Lab;
  let t: TunnelLab;
  let prom: Prometheus;
  // On a root<->left link, so Prometheus (in the root namespace) scrapes both daemons.
  const listen = { pod: '', host: '' };

  /** diagnose over both vantages until its only verdict is F3 with a title matching `layer`. */
  const diagnoseLayer = async (layer: RegExp): Promise<Verdict> => {
    const titles = new Set<string>();
    const { result } = await diagnoseUntil(prom.url, ['--window', '30s', '--json'], (r) => {
      const verdicts = r.stdout.startsWith('{') ? (JSON.parse(r.stdout) as { verdicts: Verdict[] }).verdicts : [];
      for (const v of verdicts) titles.add(`${v.failure}: ${v.title}`);
      return verdicts.length === 1 && verdicts[0]!.failure === 'F3' && verdicts[0]!.status === 'firing' && layer.test(verdicts[0]!.title);
    }, VERDICT_DEADLINE_MS);
    const verdicts = result.stdout.startsWith('{') ? (JSON.parse(result.stdout) as { verdicts: Verdict[] }).verdicts : [];
    expect(verdicts.map((v) => v.title), `diagnose never said ${layer}; it said: ${[...titles].join(' | ')}\n${result.stderr}`).toEqual([expect.stringMatching(layer)]);
    return verdicts[0]!;
  };

  const metrics = async (vantage: 'pod' | 'host') => {
    const script = `const r = await fetch('http://${listen[vantage]}/metrics'); process.stdout.write(await r.text());`;
    return parsePrometheusText((await lab.exec(t.leftNs, [NODE_BIN, '--input-type=module', '-e', script])).stdout);
  };
  const success = async (vantage: 'pod' | 'host') => {
    const s = await metrics(vantage);
    return ['icmp', 'tcp'].map((probe) => seriesOf(s, 'netprobe_probe_success', { probe, vantage })[0]?.value);
  };
  const waitFor = async (want: { pod: number; host: number }) => {
    let last = '';
    for (let i = 0; i < 40; i++) {
      const pod = await success('pod');
      const host = await success('host');
      last = JSON.stringify({ pod, host });
      if (pod.every((v) => v === want.pod) && host.every((v) => v === want.host)) return;
      await sleep(500);
    }
    throw new Error(`probe_success never became ${JSON.stringify(want)}; last ${last}`);
  };
  const fault = async (rules: string[]) => {
    await lab.nftCommand(t.rightNs, ['delete', 'table', 'inet', FAULT_TABLE], { allowFailure: true });
    if (rules.length === 0) return;
    await lab.nft(t.rightNs, [`table inet ${FAULT_TABLE} {`, '  chain in {', '    type filter hook input priority -10; policy accept;', ...rules.map((r) => `    ${r}`), '  }', '}'].join('\n'));
  };

  beforeAll(async () => {
    lab = await Lab.create(import.meta.url);
    t = await buildTunnelLab(lab, { type: 'vxlan' });
    const slot = await freeRootSlot(lab.index);
    const leftHttpIp = intToIp(slot + 2);
    await lab.addVeth({ ns: null, address: `${intToIp(slot + 1)}/30` }, { ns: t.leftNs, address: `${leftHttpIp}/30` });
    listen.pod = `${leftHttpIp}:9811`;
    listen.host = `${leftHttpIp}:9812`;
    lab.spawn(t.rightNs, [NODE_BIN, '-e', "require('node:net').createServer((s) => s.end()).listen(9810, '0.0.0.0')"]);
    for (const vantage of ['pod', 'host'] as const) {
      // The pod vantage probes right's overlay (pod) address; the host vantage its underlay (node InternalIP).
      const ip = vantage === 'pod' ? t.rightIp : t.rightUnderlayIp;
      const kind = vantage === 'pod' ? 'peer' : 'node';
      const file = path.join(lab.tmpDir(), `${vantage}.yaml`);
      writeFileSync(
        file,
        [
          'sourceNode: left',
          `listen: ${listen[vantage]}`,
          'probes:',
          '  - { name: icmp, kind: icmp, every: 1s, targets: [{ host: "' + ip + '", node: right }], sizes: [84], count: 1, timeout: 300ms, targetKind: ' + kind + ' }',
          '  - { name: tcp, kind: tcp, every: 1s, targets: [{ address: "' + ip + ':9810", node: right }], count: 1, timeout: 300ms, targetKind: ' + kind + ' }',
          '',
        ].join('\n'),
      );
      const proc = lab.spawn(t.leftNs, netprobeArgv(['run', '--config', file]), { ...process.env, NODE_NAME: 'left', NETPROBE_VANTAGE: vantage });
      await proc.waitForOutput(/\/metrics/, 20_000);
    }
    await waitFor({ pod: 1, host: 1 });
    prom = await startPrometheus({ jobs: { netprobe: [listen.pod, listen.host] } });
  }, 90_000);
  afterAll(async () => {
    await prom?.stop();
    await lab?.destroy();
  });

  it('every series and every /api/results entry carries its vantage', async () => {
    const s = await metrics('host');
    expect(seriesOf(s, 'netprobe_probe_success', { vantage: 'host', target: t.rightUnderlayIp })).toHaveLength(1);
    expect(s.filter((x) => x.name.startsWith('netprobe_') && x.labels.vantage !== 'host')).toEqual([]);
    const script = `const r = await fetch('http://${listen.pod}/api/results'); process.stdout.write(await r.text());`;
    const body = JSON.parse((await lab.exec(t.leftNs, [NODE_BIN, '--input-type=module', '-e', script])).stdout) as { results: { vantage?: string }[] };
    expect(body.results.length).toBe(2);
    expect(body.results.every((r) => r.vantage === 'pod')).toBe(true);
  });

  it('overlay broken (VXLAN dropped on right): pod vantage fails, host vantage works; diagnose says overlay', { timeout: 120_000 }, async () => {
    await fault(['udp dport 4789 drop']);
    try {
      await waitFor({ pod: 0, host: 1 });
      const v = await diagnoseLayer(/^pod network \(overlay\) broken from left to pods on right/);
      expect(v.targets).toEqual([t.rightIp, `${t.rightIp}:9810`]);
      expect(v.evidence.some((e) => e.signal === "left (host network): the same nodes' own addresses reached cleanly" && e.holds)).toBe(true);
      expect(v.next_steps[0]!.command).toMatch(/ip -d link show type vxlan/);
    } finally {
      await fault([]);
    }
    await waitFor({ pod: 1, host: 1 });
  });

  it('underlay broken (everything from left dropped on right): both vantages fail; diagnose says underlay', { timeout: 120_000 }, async () => {
    await fault([`ip saddr ${t.leftUnderlayIp} drop`]);
    try {
      await waitFor({ pod: 0, host: 0 });
      const v = await diagnoseLayer(/^node network \(underlay\) broken from left to right/);
      expect(v.next_steps.map((x) => x.command)).toContain(`ping -c 3 ${t.rightUnderlayIp}`);
    } finally {
      await fault([]);
    }
  });
});
