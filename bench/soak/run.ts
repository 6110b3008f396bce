// Soak bench (issue 10): N minutes of churn, hostile DNS answers and HTTP
// abuse against one daemon process at a low `nofile`; prints fds, RSS,
// series count, false results, schedule lag and /healthz time every tick,
// then a JSON summary. Exit 1 when a false result, stale series, counter
// decrease, /healthz error, /healthz p95 over 1 s or one over 5 s (or over
// twice an unattacked control server's, on a loaded machine) was seen.
// Loopback only.
//
//   node bench/soak/run.ts [--minutes 30] [--nofile 1024] [--slow-clients 1000] [--storm 200] [--bulk-names 200]
import { parseArgs } from 'node:util';
import { runSoak } from './soak.ts';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '2' },
    nofile: { type: 'string', default: '1024' },
    'slow-clients': { type: 'string', default: '1000' },
    storm: { type: 'string', default: '200' },
    'bulk-names': { type: 'string', default: '200' },
    tick: { type: 'string', default: '5' },
    churn: { type: 'string', default: '10' },
  },
});
const num = (name: keyof typeof values, min: number, max: number): number => {
  const n = Number(values[name]);
  if (!(n >= min && n <= max)) throw new Error(`--${name}: ${min}..${max}, got ${values[name]}`);
  return n;
};
const report = await runSoak({
  seconds: num('minutes', 0.25, 120) * 60,
  nofile: num('nofile', 256, 65536),
  slowClients: num('slow-clients', 0, 5000),
  stormSize: num('storm', 0, 1000),
  bulkNames: num('bulk-names', 0, 900),
  tickMs: num('tick', 1, 60) * 1000,
  churnMs: num('churn', 2, 600) * 1000,
  stormMs: 5000,
});
const { ticks, ...summary } = report;
process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
const bad =
  report.falseResults > 0 || report.staleSeries.length > 0 || report.counterDecreases.length > 0 || report.healthz.errors > 0 ||
  report.healthz.p95Seconds >= Math.max(1, 2 * report.control.p95Seconds) ||
  report.healthz.maxSeconds >= Math.max(5, 2 * report.control.maxSeconds) || report.reloadGaugeWrong.length > 0;
process.exitCode = bad ? 1 : 0;
