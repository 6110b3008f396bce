// `netprobe mtu` run inside the client namespace of a router lab (1400 hop):
// what an operator sees, text and --json, with and without frag-needed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRouterLab, injectPmtuBlackhole, Lab, removePmtuBlackhole, requireLab, runNetprobe, type RouterLab } from './harness/index.ts';

const labAvailable = requireLab();

describe.skipIf(!labAvailable)('netprobe mtu through a 1400 router hop', () => {
  let lab: Lab;
  let router: RouterLab;

  beforeAll(async () => {
    lab = await Lab.create(import.meta.url);
    router = await buildRouterLab(lab, { farMtu: 1400 });
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it('prints progress, the exact ceiling and the hop that sent frag-needed', async () => {
    const r = await runNetprobe(lab, router.clientNs, ['mtu', router.farIp, '--timeout', '500ms']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/searching 68\.\.9000 bytes, DF set, raw ICMP socket/);
    expect(r.stdout).toMatch(new RegExp(`frag-needed from ${router.routerClientIp.replaceAll('.', '\\.')} \\(mtu 1400\\)`));
    expect(r.stdout).toMatch(/path MTU ceiling to 198\.18\.2\.2: 1400 bytes \(exact\)/);
    expect(r.stdout).toMatch(new RegExp(`frag-needed: ${router.routerClientIp.replaceAll('.', '\\.')} reports mtu 1400`));
    expect(r.stdout).toMatch(/black hole: no/);
  });

  it('--json with --expected 1500: ceiling 1400, exit 1 (below expected)', async () => {
    const r = await runNetprobe(lab, router.clientNs, ['mtu', router.farIp, '--expected', '1500', '--json'], { allowFailure: true });
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ ceiling_bytes: 1400, blackhole: false, result: 'mtu_below_expected', expected_bytes: 1500 });
    expect(out.frag_needed).toContainEqual({ hop: router.routerClientIp, mtu: 1400 });
    expect(out.elapsed_seconds).toBeLessThan(1); // frag-needed bounds it at once; loose for a loaded machine
  });

  it('black hole: ceiling 1400, blackhole true, about one timeout', async () => {
    await injectPmtuBlackhole(router);
    try {
      const r = await runNetprobe(lab, router.clientNs, ['mtu', router.farIp, '--timeout', '400ms', '--json'], { allowFailure: true });
      expect(r.code).toBe(1);
      const out = JSON.parse(r.stdout);
      expect(out).toMatchObject({ ceiling_bytes: 1400, first_failing_bytes: 1401, blackhole: true, frag_needed: [], result: 'blackhole' });
      expect(out.elapsed_seconds).toBeGreaterThanOrEqual(0.36);
      expect(out.elapsed_seconds).toBeLessThan(1.2);
    } finally {
      await removePmtuBlackhole(router);
    }
  });
});
