// NETPROBE_VANTAGE: parsed strictly, and a constant `vantage` label on every series when set.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { vantageFromEnv } from '../../src/app/daemon.ts';
import { PrometheusSink } from '../../src/exporters/prometheus.ts';

describe('vantage', () => {
  it('pod, host, unset; anything else is a setup error naming the variable', () => {
    expect(vantageFromEnv({ NETPROBE_VANTAGE: 'host' })).toBe('host');
    expect(vantageFromEnv({ NETPROBE_VANTAGE: 'pod' })).toBe('pod');
    expect(vantageFromEnv({})).toBeUndefined();
    expect(() => vantageFromEnv({ NETPROBE_VANTAGE: 'node' })).toThrow('NETPROBE_VANTAGE: expected "pod" or "host", got "node"');
  });

  it('the label follows source_node on every series, and removal still matches', async () => {
    const sink = new PrometheusSink(new Registry(), 'n1', { vantage: 'host' });
    sink.set('pathMtu', { probe: 'p', target: '198.18.0.2', target_node: 'n2' }, 1450);
    expect(await sink.render()).toContain('netprobe_path_mtu_bytes{source_node="n1",vantage="host",probe="p",target="198.18.0.2",target_node="n2"} 1450');
    await sink.remove('pathMtu', { probe: 'p', target: '198.18.0.2' });
    expect(await sink.render()).not.toContain('netprobe_path_mtu_bytes{');
  });
});
