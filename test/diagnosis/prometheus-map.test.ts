// The Prometheus answers -> observations mapping, without a Prometheus: the
// shapes the HTTP API returns for the queries of src/diagnosis/prometheus.ts.
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/diagnosis/engine.ts';
import { firstRise, instantQueries, observationsFromPrometheus } from '../../src/diagnosis/prometheus.ts';

const NOW = 1_800_000_000_000;
const G = { probe: 'dns-vip', server: '10.96.0.10:53', target_kind: 'service_vip', transport: 'udp', mode: 'single', name_class: 'cluster' };
const EP = { ...G, probe: 'dns-ep', server: '10.244.1.5:53', target_kind: 'endpoint' };
const opts = { nowMs: NOW, rangeStart: NOW / 1000 - 300, stepSeconds: 5 };

describe('observationsFromPrometheus', () => {
  it('maps runs, failures by result, node ages (netprobe gauge over kube-state-metrics) and since', () => {
    const obs = observationsFromPrometheus(
      {
        dnsRuns: [
          { metric: { source_node: 'a', ...G }, value: 20.4 },
          { metric: { source_node: 'a', ...EP }, value: 20 },
          { metric: { source_node: 'b', ...G }, value: 20 },
          { metric: { source_node: 'b', ...EP }, value: 20 },
        ],
        dnsFailures: [{ metric: { source_node: 'a', ...G, result: 'timeout' }, value: 19.6 }],
        nodes: [{ metric: { source_node: 'a' }, value: 1 }, { metric: { source_node: 'b' }, value: 1 }],
        nodeCreated: [{ metric: { source_node: 'a' }, value: NOW / 1000 - 600 }],
        kubeNodeCreated: [{ metric: { node: 'a' }, value: 1 }, { metric: { node: 'b' }, value: NOW / 1000 - 86_400 * 30 }],
      },
      { dnsFail: [{ metric: { source_node: 'a', ...G }, values: [[NOW / 1000 - 120, 1], [NOW / 1000 - 115, 2]] }] },
      opts,
    );
    const row = obs.dns.find((r) => r.sourceNode === 'a' && r.probe === 'dns-vip')!;
    expect(row).toMatchObject({ runs: 20, failures: { timeout: 20 }, firstBadMs: NOW - 120_000, targetNode: '' });
    expect(obs.nodes).toEqual([
      { sourceNode: 'a', createdMs: NOW - 600_000 },
      { sourceNode: 'b', createdMs: NOW - 86_400_000 * 30 },
    ]);
    const verdicts = diagnose(obs);
    expect(verdicts.map((v) => v.failure)).toEqual(['F8']);
    expect(verdicts[0]!.since).toBe(NOW - 120_000);
  });

  it('ICMP: loss from requests - replies; MTU gauges; sweep-only paths count as one run', () => {
    const P = { source_node: 'a', probe: 'mtu', target: '10.244.2.9', target_node: 'b' };
    const obs = observationsFromPrometheus(
      { mtu: [{ metric: P, value: 1400 }], mtuExpected: [{ metric: P, value: 1450 }], blackhole: [{ metric: P, value: 0 }], interfaceMtu: [{ metric: P, value: 1500 }] },
      { mtuBad: [{ metric: P, values: [[NOW / 1000 - 60, 1]] }] },
      opts,
    );
    expect(obs.icmp[0]).toMatchObject({ runs: 1, ceilingBytes: 1400, expectedBytes: 1450, blackhole: false, interfaceMtuBytes: 1500, firstBadMs: NOW - 60_000 });
    expect(diagnose(obs).map((v) => v.failure)).toEqual(['F4']);
  });

  it('keeps the host-network vantage apart from the pod network, and puts a traced first bad hop on its path', () => {
    const pod = { source_node: 'a', probe: 'peers-tcp', target: '10.244.2.9:9810', target_kind: 'peer', target_node: 'b' };
    const host = { source_node: 'a', vantage: 'host', probe: 'nodes-tcp', target: '192.168.1.12:9810', target_kind: 'node', target_node: 'b' };
    const obs = observationsFromPrometheus(
      {
        tcpConnects: [
          { metric: { ...pod, vantage: 'pod', result: 'timeout' }, value: 30 },
          { metric: { ...host, result: 'connected' }, value: 30 },
        ],
        firstBadHop: [{ metric: { source_node: 'a', vantage: 'pod', probe: 'peers-tcp', target: '10.244.2.9:9810', target_node: 'b', reason: 'no_reply_beyond' }, value: 2 }],
      },
      {},
      opts,
    );
    expect(obs.tcp.map((r) => [r.probe, r.vantage, r.runs, r.failures])).toEqual([
      ['peers-tcp', undefined, 30, { timeout: 30 }],
      ['nodes-tcp', 'host', 30, {}],
    ]);
    expect(obs.tcp[0]!.badHop).toEqual({ hop: 2, address: null, reason: 'no_reply_beyond' });
    expect(obs.tcp[1]!.badHop).toBeUndefined();
    const verdicts = diagnose(obs);
    expect(verdicts.map((v) => v.failure)).toEqual(['F3']);
    expect(verdicts[0]!.title).toMatch(/overlay/);
    expect(instantQueries('5m').tcpConnects).toContain('vantage');
  });

  it('firstRise: a series born in the range with a value, else the first change; a flat series never rose', () => {
    const start = 1000;
    expect(firstRise({ metric: {}, values: [[1100, 1], [1105, 2]] }, start, 5)).toBe(1_100_000);
    expect(firstRise({ metric: {}, values: [[1000, 3], [1005, 3], [1010, 4]] }, start, 5)).toBe(1_010_000);
    expect(firstRise({ metric: {}, values: [[1100, 0], [1105, 0], [1110, 1]] }, start, 5)).toBe(1_110_000);
    expect(firstRise({ metric: {}, values: [[1000, 3], [1005, 3]] }, start, 5)).toBeNull();
  });

  it('every query names the window it was given', () => {
    const q = instantQueries('90s');
    expect(q.dnsRuns).toContain('[90s]');
    expect(Object.values(q).filter((e) => e.includes('increase(')).every((e) => e.includes('[90s]'))).toBe(true);
  });
});
