// Probes and wall time to the exact path-MTU ceiling between 68 and 9000:
// netprobe's search vs a plain binary search driven with iputils
// `ping -M do -c 1 -W T -s N` (one process per step, as a script would do it),
// on a router hop at 1400 that answers frag-needed, and on the same hop with
// frag-needed dropped (black hole). Prints a table.
//
//   npx node bench/icmp/mtu-search.ts [--runs 5] [--timeout 1s]
import { IcmpEngine } from '../../src/native/icmp.ts';
import { icmpTarget } from '../../src/probes/icmp/config.ts';
import { runIcmp } from '../../src/probes/icmp/run.ts';
import { systemClock } from '../../src/probes/types.ts';
import { buildRouterLab, injectPmtuBlackhole, Lab, type RouterLab } from '../../test/lab/harness.ts';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};
const RUNS = Number(flag('--runs', '5'));
const TIMEOUT_S = Number(flag('--timeout', '1s').replace(/s$/, ''));
const MIN = 68;
const MAX = 9000;

interface Row {
  tool: string;
  path: string;
  ceilings: number[];
  probes: number[];
  seconds: number[];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

async function netprobeSearch(engine: IcmpEngine, router: RouterLab, attempts: number) {
  const r = await runIcmp(
    icmpTarget(router.farIp),
    { sizes: [], count: 1, intervalMs: 0, timeoutMs: TIMEOUT_S * 1000, search: { min: MIN, max: MAX, parallel: 8, attempts }, expectedMtu: null, socket: 'raw', engine },
    { signal: new AbortController().signal, clock: systemClock },
  );
  return { ceiling: r.ceilingBytes ?? -1, probes: r.probesSent, seconds: r.durationSeconds };
}

/** Binary search with one `ping -M do` process per step: the usual shell-script approach. */
async function pingSearch(lab: Lab, router: RouterLab) {
  let lo = MIN - 1; // largest size known to pass
  let hi = MAX + 1; // smallest size known to fail
  let probes = 0;
  const started = performance.now();
  // Like a script: check the top first, then bisect.
  const tryPing = async (size: number) => {
    probes++;
    const r = await lab.exec(router.clientNs, ['ping', '-n', '-c', '1', '-W', String(TIMEOUT_S), '-M', 'do', '-s', String(size - 28), router.farIp], { allowFailure: true });
    return r.code === 0;
  };
  if (await tryPing(MAX)) lo = MAX;
  else hi = MAX;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (await tryPing(mid)) lo = mid;
    else hi = mid;
  }
  return { ceiling: lo, probes, seconds: (performance.now() - started) / 1000 };
}

const rows: Row[] = [];
const lab = await Lab.create(import.meta.url);
try {
  const router = await buildRouterLab(lab, { farMtu: 1400 });
  const engine = new IcmpEngine({ mode: 'raw', netns: `/run/netns/${router.clientNs}` });
  for (const path of ['frag-needed', 'black hole']) {
    if (path === 'black hole') await injectPmtuBlackhole(router);
    const tools: [string, () => Promise<{ ceiling: number; probes: number; seconds: number }>][] = [
      ['netprobe (attempts 2)', () => netprobeSearch(engine, router, 2)],
      ['netprobe (attempts 1)', () => netprobeSearch(engine, router, 1)],
      ['ping -M do bisect', () => pingSearch(lab, router)],
    ];
    for (const [tool, fn] of tools) {
      const row: Row = { tool, path, ceilings: [], probes: [], seconds: [] };
      for (let i = 0; i < RUNS; i++) {
        const r = await fn();
        row.ceilings.push(r.ceiling);
        row.probes.push(r.probes);
        row.seconds.push(r.seconds);
      }
      rows.push(row);
    }
  }
  engine.close();
} finally {
  await lab.destroy();
}

console.log(`Exact path-MTU ceiling between ${MIN} and ${MAX}, router hop at 1400, per-probe timeout ${TIMEOUT_S} s, ${RUNS} runs each (median, [min..max])`);
console.log('| path        | tool                  | ceilings found | probes (median) | wall time s (median) | wall time s range |');
console.log('|-------------|-----------------------|----------------|-----------------|----------------------|-------------------|');
for (const r of rows) {
  const found = [...new Set(r.ceilings)].join(',');
  const range = `${Math.min(...r.seconds).toFixed(3)}..${Math.max(...r.seconds).toFixed(3)}`;
  console.log(`| ${r.path.padEnd(11)} | ${r.tool.padEnd(21)} | ${found.padEnd(14)} | ${String(median(r.probes)).padStart(15)} | ${median(r.seconds).toFixed(4).padStart(20)} | ${range.padStart(17)} |`);
}
