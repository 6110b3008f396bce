// Trace on failure in the daemon (src/app/path-tracer.ts) with a fake ICMP
// path: what triggers a trace, the rate bound, the record and the metric.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { PrometheusSink } from '../../src/exporters/prometheus.ts';
import type { EchoOutcome, EchoSendOptions, IcmpPinger } from '../../src/native/icmp.ts';
import { PathTracer } from '../../src/app/path-tracer.ts';
import { icmpTarget } from '../../src/probes/icmp/targets.ts';
import type { Logger } from '../../src/util/logger.ts';

const HOPS = ['198.18.10.2', '198.18.11.2', '198.18.12.2'];

/** hops[i] answers TTL i+1; the last is the destination. `deadFrom`: TTLs from there on are silent. */
class FakeHops implements IcmpPinger {
  readonly mode = 'raw' as const;
  deadFrom = Infinity;
  sent = 0;
  echo(addr: string, _size: number, timeoutMs: number, signal?: AbortSignal, options?: EchoSendOptions): Promise<EchoOutcome> {
    this.sent++;
    const ttl = options?.ttl ?? 64;
    const hop = Math.min(ttl, HOPS.length);
    if (hop >= this.deadFrom) return new Promise((r) => setTimeout(() => r({ kind: 'timeout' }), Math.min(timeoutMs, 30)));
    const outcome: EchoOutcome =
      hop < HOPS.length ? { kind: 'unreachable', hop: HOPS[hop - 1]!, icmpType: 11, icmpCode: 0, rttMs: 0.1 * hop } : { kind: 'reply', rttMs: 0.3, bytes: 64 };
    void addr;
    void signal;
    return Promise.resolve(outcome);
  }
}

const log: Logger = { info() {}, warn() {}, error() {}, debug() {} } as unknown as Logger;

async function settle(tracer: PathTracer): Promise<void> {
  for (let i = 0; i < 50; i++) await new Promise((r) => setTimeout(r, 20));
  void tracer;
}

describe('PathTracer', () => {
  const target = icmpTarget('198.18.12.2', 'peer', 'node-b');
  const icmpOk = { address: '198.18.12.2', ceilingBytes: 1500 };

  it('traces once when a target starts failing, records the first bad hop and exports it', async () => {
    const sink = new PrometheusSink(new Registry(), 'node-a');
    const fake = new FakeHops();
    let now = 1_000_000;
    const tracer = new PathTracer({ sink, log, now: () => now, engine: () => fake, minIntervalMs: 60_000 });
    tracer.observe('k', 'peers', 'icmp', target, true, icmpOk);
    expect(fake.sent).toBe(0); // healthy: no trace
    fake.deadFrom = 3; // far stops answering
    tracer.observe('k', 'peers', 'icmp', target, false, { address: '198.18.12.2', ceilingBytes: null });
    await settle(tracer);
    const rec = tracer.latest('k')!;
    expect(rec).toMatchObject({ trigger: 'failing', reached: false, first_bad_hop: 3, reason: 'no_reply_beyond', first_bad_hop_address: null });
    expect(rec.hops.slice(0, 2).map((h) => h.address)).toEqual(HOPS.slice(0, 2));
    const text = await sink.render();
    expect(text).toContain('netprobe_path_first_bad_hop{source_node="node-a",probe="peers",target="198.18.12.2",target_node="node-b",reason="no_reply_beyond"} 3');
    expect(text).toMatch(/netprobe_path_traces_total\{[^}]*trigger="failing",result="done"\} 1/);

    // Still failing: no new trigger. Healthy then failing again within the bound: rate limited.
    const before = fake.sent;
    tracer.observe('k', 'peers', 'icmp', target, false, {});
    tracer.observe('k', 'peers', 'icmp', target, true, icmpOk);
    tracer.observe('k', 'peers', 'icmp', target, false, {});
    expect(fake.sent).toBe(before);
    expect(await sink.render()).toMatch(/netprobe_path_traces_total\{[^}]*trigger="failing",result="rate_limited"\} 1/);

    // After the bound, a healed path traces clean and the series goes away.
    now += 61_000;
    fake.deadFrom = Infinity;
    tracer.observe('k', 'peers', 'icmp', target, true, icmpOk);
    tracer.observe('k', 'peers', 'icmp', target, false, icmpOk);
    await settle(tracer);
    expect(tracer.latest('k')).toMatchObject({ reached: true, first_bad_hop: null, reason: null });
    expect(await sink.render()).not.toContain('netprobe_path_first_bad_hop{');
    await tracer.stop();
  });

  it('a ceiling drop triggers a trace; retain() forgets removed targets and their series', async () => {
    const sink = new PrometheusSink(new Registry(), 'node-a');
    const fake = new FakeHops();
    fake.deadFrom = 3;
    const tracer = new PathTracer({ sink, log, engine: () => fake });
    tracer.observe('k', 'peers', 'icmp', target, true, { address: '198.18.12.2', ceilingBytes: 1500 });
    tracer.observe('k', 'peers', 'icmp', target, true, { address: '198.18.12.2', ceilingBytes: 1400 });
    await settle(tracer);
    expect(tracer.latest('k')?.trigger).toBe('ceiling_drop');
    expect(await sink.render()).toContain('netprobe_path_first_bad_hop{');
    tracer.retain(new Set());
    expect(tracer.latest('k')).toBeUndefined();
    expect(await sink.render()).not.toContain('netprobe_path_first_bad_hop{');
    await tracer.stop();
  });

  it('dns results and unresolvable targets never trigger', async () => {
    const fake = new FakeHops();
    const tracer = new PathTracer({ sink: new PrometheusSink(new Registry(), 'n'), log, engine: () => fake });
    tracer.observe('d', 'dns', 'dns', target, false, {});
    tracer.observe('t', 'tcp', 'tcp', { id: 'tcp://x', label: 'name:80', kind: 'static', node: '', host: 'name' } as never, false, { connects: [] });
    await settle(tracer);
    expect(fake.sent).toBe(0);
    await tracer.stop();
  });
});
