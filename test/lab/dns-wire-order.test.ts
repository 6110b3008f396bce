// Wire order against glibc, in the same run, on the F1 path without the delay
// relay: node namespace -> nftables DNAT of the Service VIP -> dnsmasq on a pod
// IP, captured by tcpdump on the DNS server's side (test/dns/wire-capture.ts).
//
// The property F1 depends on: a lookup's second query reaches the server before
// the first one's answer has left, from the same source port. netprobe's
// `parallel` (one sendmmsg, as glibc) must do that at least as often as
// `getent ahosts` does, within a margin that holds on a loaded 2-core machine
// (both tools suffer the same load in the same run). `sequential` is the
// control that proves the measurement can tell: it never does. Figures with
// idle/loaded rounds: bench/dns/wire-fidelity.ts, docs/benchmarks.md.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWireLab, capture, glibcLookups, lookupsOf, netprobeLookups, wireStats, type WireLab } from '../dns/wire-capture.ts';
import { Lab, requireLab } from './harness/index.ts';

// Throws first when CI=true and the lab cannot run: in CI this test is never skipped.
const labAvailable = requireLab({ commands: ['dnsmasq', 'tcpdump', 'getent'] });

const LOOKUPS = 30;
/** How far below glibc's "before answer" fraction netprobe may land by chance (30 lookups, a busy machine). */
const MARGIN = 0.25;

describe.skipIf(!labAvailable)('DNS wire order: netprobe parallel vs glibc getent ahosts', () => {
  let lab: Lab;
  let wire: WireLab;
  beforeAll(async () => {
    lab = await Lab.create(import.meta.url);
    wire = await buildWireLab(lab);
  });
  afterAll(async () => {
    wire?.cleanup();
    await lab?.destroy();
  });

  it('parallel: same port, AAAA before the A answer at least as often as glibc (sequential never)', { timeout: 90_000 }, async () => {
    const glibc = wireStats(lookupsOf(await capture(lab, wire.vip, async () => void (await glibcLookups(lab, wire.vip, LOOKUPS)))));
    let sender = '';
    const parallel = wireStats(
      lookupsOf(
        await capture(lab, wire.vip, async () => {
          sender = (await netprobeLookups(lab, wire.vip, 'parallel', LOOKUPS)).sender;
        }),
      ),
    );
    const sequential = wireStats(lookupsOf(await capture(lab, wire.vip, async () => void (await netprobeLookups(lab, wire.vip, 'sequential', LOOKUPS)))));
    const detail = JSON.stringify({ glibc, parallel, sequential });

    expect(sender, detail).toBe('sendmmsg');
    // Every lookup seen as a pair (nothing lost, grouping sound).
    expect(glibc.lookups, detail).toBeGreaterThanOrEqual(LOOKUPS - 2);
    expect(parallel.lookups, detail).toBeGreaterThanOrEqual(LOOKUPS - 2);
    expect(glibc.samePort, detail).toBe(1);
    expect(parallel.samePort, detail).toBe(1);
    // The control: AAAA only after the A answer, so never before it.
    expect(sequential.beforeAnswer, detail).toBe(0);
    // The ordering property, side by side with glibc.
    expect(parallel.beforeAnswer, detail).toBeGreaterThanOrEqual(glibc.beforeAnswer - MARGIN);
    expect(parallel.beforeAnswer, detail).toBeGreaterThan(sequential.beforeAnswer);
  });
});
