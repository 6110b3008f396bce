// Series lifecycle on reload: removing a name, a target or a whole probe
// removes exactly its own series and resets nothing else; the reload gauges
// say whether the last load worked.
import { afterEach, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/app/daemon.ts';
import { parseConfig } from '../../src/config/load.ts';
import { parseSamples } from '../../bench/scale/prom-text.ts';
import { sleep, startDaemon } from '../daemon/helpers.ts';

function config(names: string[], tcpTargets: string[], withGone: boolean): string {
  return `sourceNode: life
listen: 127.0.0.1:0
probes:
  - name: dns
    kind: dns
    every: 1s
    spread: false
    servers: [embedded]
    names: [${names.join(', ')}]
    timeout: 500ms
  - name: tcp
    kind: tcp
    every: 1s
    spread: false
    count: 1
    timeout: 200ms
    targets: [${tcpTargets.map((t) => `"${t}"`).join(', ')}]
${
  withGone
    ? `  - name: gone
    kind: tcp
    every: 1s
    spread: false
    count: 1
    timeout: 200ms
    targets: ["127.0.0.1:1"]
`
    : ''
}`;
}

let daemon: Daemon | undefined;
afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
});

async function samples(d: Daemon) {
  return parseSamples(await d.prometheus.render());
}

describe('series lifecycle', () => {
  it('removing a DNS name, a TCP target and a probe removes exactly their series; the rest keeps counting', async () => {
    // Port 1 and 2 on loopback refuse: results do not matter here, only series.
    const names = ['keep.example', 'drop.example'];
    daemon = await startDaemon(config(names, ['127.0.0.1:1', '127.0.0.1:2'], true));
    await sleep(2500);
    const before = await samples(daemon);
    const lookups = (s: ReturnType<typeof parseSamples>, name: string) =>
      s.filter((x) => x.name === 'netprobe_dns_lookups_total' && x.labels.name === name).reduce((n, x) => n + x.value, 0);
    expect(lookups(before, 'keep.example')).toBeGreaterThan(0);
    expect(lookups(before, 'drop.example')).toBeGreaterThan(0);
    expect(before.some((s) => s.labels.probe === 'gone')).toBe(true);

    await daemon.reload(parseConfig(config(['keep.example'], ['127.0.0.1:1'], false), 'life.yaml'));
    const after = await samples(daemon);
    expect(after.filter((s) => s.labels.name === 'drop.example')).toEqual([]);
    expect(after.filter((s) => s.labels.probe === 'gone')).toEqual([]);
    expect(after.filter((s) => s.labels.target === '127.0.0.1:2')).toEqual([]);
    // Nothing else was reset: every counter sample that is still there is at least what it was.
    const old = new Map(before.map((s) => [JSON.stringify([s.name, s.labels]), s.value]));
    for (const s of after) {
      if (!/_total$|_bucket$|_count$/.test(s.name)) continue;
      const was = old.get(JSON.stringify([s.name, s.labels]));
      if (was !== undefined) expect(s.value, `${s.name} ${JSON.stringify(s.labels)}`).toBeGreaterThanOrEqual(was);
    }
    expect(lookups(after, 'keep.example')).toBeGreaterThanOrEqual(lookups(before, 'keep.example'));
    const targets = after.filter((s) => s.name === 'netprobe_targets');
    expect(targets.map((s) => [s.labels.probe, s.value]).sort()).toEqual([
      ['dns', 1], // one server x one name (A and AAAA are queries of one target)
      ['tcp', 1],
    ].sort());

    await sleep(1500);
    expect(lookups(await samples(daemon), 'keep.example')).toBeGreaterThan(lookups(after, 'keep.example'));
  });

  it('changing a label under the same target (mode) drops the old series instead of leaving them beside the new', async () => {
    const yaml = (mode: string) => config(['keep.example'], ['127.0.0.1:1'], false).replace('    timeout: 500ms\n', `    timeout: 500ms\n    mode: ${mode}\n`);
    daemon = await startDaemon(yaml('parallel'));
    await sleep(1500);
    expect((await samples(daemon)).some((s) => s.labels.mode === 'parallel')).toBe(true);
    await daemon.reload(parseConfig(yaml('sequential'), 'life.yaml'));
    expect((await samples(daemon)).filter((s) => s.labels.mode === 'parallel')).toEqual([]);
  });

  it('reload gauges: 1 and a timestamp after a good load, 0 after a rejected one', async () => {
    daemon = await startDaemon(config(['keep.example'], ['127.0.0.1:1'], false));
    const gauge = async (name: string) => (await samples(daemon!)).find((s) => s.name === name)?.value;
    expect(await gauge('netprobe_config_last_reload_successful')).toBe(1);
    const first = (await gauge('netprobe_config_last_reload_success_timestamp_seconds'))!;
    expect(Math.abs(first - Date.now() / 1000)).toBeLessThan(60);
    daemon.reloadRejected();
    expect(await gauge('netprobe_config_last_reload_successful')).toBe(0);
    expect(await gauge('netprobe_config_last_reload_success_timestamp_seconds')).toBe(first);
    // A config the daemon itself refuses (more targets than maxTargets after expansion) also counts as failed.
    const tooMany = parseConfig(config(['keep.example'], ['127.0.0.1:1'], false), 'life.yaml');
    await expect(daemon.reload({ ...tooMany, maxTargets: 1 })).rejects.toThrow('more than maxTargets (1)');
    expect(await gauge('netprobe_config_last_reload_successful')).toBe(0);
    await sleep(20);
    await daemon.reload(parseConfig(config(['keep.example'], ['127.0.0.1:1'], false), 'life.yaml'));
    expect(await gauge('netprobe_config_last_reload_successful')).toBe(1);
    expect(await gauge('netprobe_config_last_reload_success_timestamp_seconds')).toBeGreaterThan(first);
  });
});
