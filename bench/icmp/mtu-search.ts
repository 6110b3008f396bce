// Probes and wall time to the exact path-MTU ceiling between 68 and 9000, as
// a user gets it: `netprobe mtu` as a CLI process (Node start included, the
// shipped bin/netprobe) vs a plain binary search driven with iputils
// `ping -M do -c 1 -W T -s N` (one process per step, as a script would do
// it), on a router hop at 1400 that answers frag-needed, and on the same hop
// with frag-needed dropped (black hole). Both run in the client namespace
// through `ip netns exec`, alternating, after flushing the namespace's cached
// PMTU; the bisection flushes it before every step (`ip route flush cache`,
// counted in its time), or each failing step after the first frag-needed
// would wait out its whole timeout on the kernel's "message too long".
//
//   npm run bench:mtu -- [--runs 5] [--timeout 1s]
import path from 'node:path';
import { buildRouterLab, injectPmtuBlackhole, Lab, type RouterLab } from '../../test/lab/harness/index.ts';
import { fmtRatio, fmtSpread, spread } from '../footprint/measure.ts';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};
const RUNS = Math.max(3, Number(flag('--runs', '5')));
const TIMEOUT_S = Number(flag('--timeout', '1s').replace(/s$/, ''));
const MIN = 68;
const MAX = 9000;
const NETPROBE = path.resolve(import.meta.dirname, '../../bin/netprobe');

interface Run {
  ceiling: number;
  probes: number;
  seconds: number;
  /** netprobe only: the search itself as the CLI reports it ("elapsed"). */
  searchSeconds?: number;
}

async function flushPmtu(lab: Lab, router: RouterLab): Promise<void> {
  await lab.exec(router.clientNs, ['ip', 'route', 'flush', 'cache']);
}

/** `netprobe mtu` as a process, spawn to exit. */
async function netprobeCli(lab: Lab, router: RouterLab, attempts: number): Promise<Run> {
  await flushPmtu(lab, router);
  const started = performance.now();
  const r = await lab.exec(
    router.clientNs,
    [NETPROBE, 'mtu', router.farIp, '--min', String(MIN), '--max', String(MAX), '--timeout', `${TIMEOUT_S}s`, '--attempts', String(attempts), '--socket', 'raw', '--json'],
    { allowFailure: true },
  );
  const seconds = (performance.now() - started) / 1000;
  const out = JSON.parse(r.stdout) as { ceiling_bytes: number | null; probes_sent: number; elapsed_seconds: number };
  return { ceiling: out.ceiling_bytes ?? -1, probes: out.probes_sent, seconds, searchSeconds: out.elapsed_seconds };
}

/** Binary search with one `ping -M do` process per step: the usual shell-script approach. */
async function pingSearch(lab: Lab, router: RouterLab): Promise<Run> {
  let lo = MIN - 1; // largest size known to pass
  let hi = MAX + 1; // smallest size known to fail
  let probes = 0;
  await flushPmtu(lab, router);
  const started = performance.now();
  const tryPing = async (size: number) => {
    probes++;
    await flushPmtu(lab, router);
    const r = await lab.exec(router.clientNs, ['ping', '-n', '-c', '1', '-W', String(TIMEOUT_S), '-M', 'do', '-s', String(size - 28), router.farIp], { allowFailure: true });
    return r.code === 0;
  };
  // Like a script: check the top first, then bisect.
  if (await tryPing(MAX)) lo = MAX;
  else hi = MAX;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (await tryPing(mid)) lo = mid;
    else hi = mid;
  }
  return { ceiling: lo, probes, seconds: (performance.now() - started) / 1000 };
}

const tools: [string, (lab: Lab, router: RouterLab) => Promise<Run>][] = [
  ['netprobe mtu (attempts 2, default)', (lab, r) => netprobeCli(lab, r, 2)],
  ['netprobe mtu --attempts 1', (lab, r) => netprobeCli(lab, r, 1)],
  ['ping -M do bisection + flush', pingSearch],
];
const results = new Map<string, Run[]>();
const started = performance.now();
const lab = await Lab.create(import.meta.url);
try {
  const router = await buildRouterLab(lab, { farMtu: 1400 });
  for (const pathName of ['frag-needed', 'black hole']) {
    if (pathName === 'black hole') await injectPmtuBlackhole(router);
    // Rounds alternate the tools, so each sees the same load on the shared machine.
    for (let i = 0; i < RUNS; i++) {
      for (const [tool, fn] of tools) {
        const key = `${pathName}|${tool}`;
        results.set(key, [...(results.get(key) ?? []), await fn(lab, router)]);
      }
    }
  }
} finally {
  await lab.destroy();
}

const lines = [
  `Exact path-MTU ceiling between ${MIN} and ${MAX}, router hop at 1400, per-probe timeout ${TIMEOUT_S} s, ${RUNS} rounds (min / median / max)`,
  '',
  `${'path'.padEnd(12)} ${'tool'.padEnd(36)} ${'ceiling'.padEnd(8)} ${'probes'.padStart(6)} ${'wall s, process'.padStart(24)} ${'search s (reported)'.padStart(24)}  vs ping (medians; best..worst)`,
];
for (const pathName of ['frag-needed', 'black hole']) {
  const ping = spread(results.get(`${pathName}|${tools[2]![0]}`)!.map((r) => r.seconds));
  for (const [tool] of tools) {
    const runs = results.get(`${pathName}|${tool}`)!;
    const wall = spread(runs.map((r) => r.seconds));
    const search = runs[0]!.searchSeconds === undefined ? '-' : fmtSpread(spread(runs.map((r) => r.searchSeconds!)), 3);
    const ceilings = [...new Set(runs.map((r) => r.ceiling))].join(',');
    const ratio = tool === tools[2]![0] ? '' : fmtRatio(wall, ping);
    lines.push(
      `${pathName.padEnd(12)} ${tool.padEnd(36)} ${ceilings.padEnd(8)} ${String(spread(runs.map((r) => r.probes)).median).padStart(6)} ${fmtSpread(wall, 3).padStart(24)} ${search.padStart(24)}  ${ratio}`,
    );
  }
}
lines.push('', `total ${((performance.now() - started) / 1000).toFixed(1)} s`);
console.log(lines.join('\n'));
