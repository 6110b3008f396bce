// Answer-validation fuzz at scale: 10^6 seeded mutated responses (default;
// `node bench/dns/fuzz.ts [CASES] [SEED]`) through the probe's own response
// judgement (matchResponse + matchedOutcome, what the UDP and TCP exchanges
// call), each also read by the independent reference reader of
// test/dns/fuzz-cases.ts. Prints the counts per probe judgement and per
// reference verdict, and the property violations: success while the
// reference says malformed, or says a record belongs to another name/type/class.
// Exit 1 when there is any violation. No network: pure function calls.
import { runFuzz } from '../../test/dns/fuzz-cases.ts';

const cases = Number(process.argv[2] ?? 1_000_000);
const seed = Number(process.argv[3] ?? 9);
if (!Number.isInteger(cases) || cases < 1 || cases > 10_000_000) throw new Error('CASES must be 1..10^7');

const started = performance.now();
const counts = runFuzz(seed, cases);
const seconds = (performance.now() - started) / 1000;
const pct = (n: number) => `${((100 * n) / cases).toFixed(2)} %`;
console.log(`dns answer fuzz: ${cases} mutated responses, seed ${seed}, ${seconds.toFixed(1)} s (${Math.round(cases / seconds)} cases/s)`);
console.log('probe judgement:');
for (const [k, v] of Object.entries(counts.probe).sort((a, b) => b[1] - a[1])) console.log(`  ${k.padEnd(16)} ${String(v).padStart(9)}  ${pct(v)}`);
console.log('reference verdict:');
for (const [k, v] of Object.entries(counts.reference)) console.log(`  ${k.padEnd(16)} ${String(v).padStart(9)}  ${pct(v)}`);
console.log(`violations: malformed+success ${counts.malformedSuccess}, foreign+success ${counts.foreignSuccess}`);
for (const e of counts.examples) console.log(`  e.g. ${e}`);
process.exitCode = counts.malformedSuccess + counts.foreignSuccess > 0 ? 1 : 0;
