// ICMP RTT reported by netprobe vs iputils `ping`, same namespace path, same
// run: client -> router -> far (router lab), 84-byte packets (ping -s 56),
// alternating blocks so both see the same conditions. Prints a table.
//
//   npx node bench/icmp/rtt.ts [--count 200] [--interval 10ms]
import { IcmpEngine } from '../../src/native/icmp.ts';
import { icmpTarget } from '../../src/probes/icmp/targets.ts';
import { runIcmp } from '../../src/probes/icmp/run.ts';
import { systemClock } from '../../src/probes/types.ts';
import { summarize } from '../../src/util/stats.ts';
import { buildRouterLab, Lab } from '../../test/lab/harness/index.ts';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};
const COUNT = Number(flag('--count', '200'));
const INTERVAL_MS = Number(flag('--interval', '10ms').replace(/ms$/, ''));
const BLOCKS = 4;

const lab = await Lab.create(import.meta.url);
try {
  const router = await buildRouterLab(lab, { farMtu: 1500 });
  const engine = new IcmpEngine({ mode: 'raw', netns: `/run/netns/${router.clientNs}` });
  const netprobe: number[] = [];
  const ping: number[] = [];
  const perBlock = Math.ceil(COUNT / BLOCKS);
  for (let b = 0; b < BLOCKS; b++) {
    const r = await runIcmp(
      icmpTarget(router.farIp),
      { sizes: [84], count: perBlock, intervalMs: INTERVAL_MS, timeoutMs: 1000, search: null, expectedMtu: null, socket: 'raw', engine },
      { signal: new AbortController().signal, clock: systemClock },
    );
    netprobe.push(...r.sizes[0]!.rttSeconds.map((s) => s * 1000));
    // iputils ping: 56 bytes of data = an 84-byte IP packet, DF set; intervals under 200 ms need root.
    const pinged = await lab.exec(router.clientNs, ['ping', '-n', '-c', String(perBlock), '-i', String(INTERVAL_MS / 1000), '-s', '56', '-M', 'do', router.farIp], {
      allowFailure: true,
    });
    for (const m of pinged.stdout.matchAll(/time=([\d.]+) ms/g)) ping.push(Number(m[1]));
  }
  engine.close();
  const a = summarize(netprobe)!;
  const p = summarize(ping)!;
  const row = (name: string, s: typeof a, n: number) =>
    `| ${name.padEnd(16)} | ${String(n).padStart(5)} | ${s.p50.toFixed(4).padStart(9)} | ${s.p90.toFixed(4).padStart(9)} | ${s.min.toFixed(4).padStart(9)} | ${s.max.toFixed(4).padStart(9)} |`;
  console.log(`ICMP RTT, 84-byte packets, client -> router -> far namespaces, ${BLOCKS} alternating blocks, interval ${INTERVAL_MS} ms`);
  console.log('| tool             | n     | median ms | p90 ms    | min ms    | max ms    |');
  console.log('|------------------|-------|-----------|-----------|-----------|-----------|');
  console.log(row('netprobe (raw)', a, netprobe.length));
  console.log(row('iputils ping', p, ping.length));
  console.log(`median ratio netprobe / ping = ${(a.p50 / p.p50).toFixed(3)}`);
} finally {
  await lab.destroy();
}
