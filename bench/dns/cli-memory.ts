// Peak memory of `netprobe dns --count N --json` against a fuzzing server:
// flat with N, because --json streams one object per lookup and keeps only
// latencies. The CLI runs as a process (as a user runs it) under
// /usr/bin/time, which reports its peak RSS; the reference beside it is the
// same command with a small count (N=100), so the ratio is the growth.
//
//   npx node bench/dns/cli-memory.ts [N=10000] [ROUNDS=3]
//
// The server (loopback only) answers every query three times: a copy with one
// to three random bytes changed after the question, a copy with a wrong id,
// then the real answer: what a fuzzing neighbour adds to a real server.
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { decode, encode, type RecordType } from 'dns-packet';
import { rng } from '../../test/dns/fuzz-cases.ts';

const N = Number(process.argv[2] ?? 10_000);
const ROUNDS = Number(process.argv[3] ?? 3);
if (!Number.isInteger(N) || N < 1 || N > 10_000) throw new Error('N must be 1..10000 (the CLI maximum)');
if (!Number.isInteger(ROUNDS) || ROUNDS < 1 || ROUNDS > 10) throw new Error('ROUNDS must be 1..10');
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

const r = rng(10);
const server = createSocket('udp4');
server.on('message', (msg, from) => {
  let q;
  try {
    q = decode(msg);
  } catch {
    return;
  }
  const question = q.questions?.[0];
  if (!question) return;
  const data = question.type === 'AAAA' ? '2001:db8::7' : '192.0.2.7';
  const answer = encode({
    id: q.id,
    type: 'response',
    flags: 0x0180,
    questions: [{ name: question.name, type: question.type as RecordType, class: 'IN' }],
    answers: [{ name: question.name, type: question.type as 'A', class: 'IN', ttl: 30, data }],
  });
  // Garbage first (a mutated copy, a stray id), then the real answer: every
  // lookup completes at once, but the CLI reads and rejects the junk.
  const junk = Buffer.from(answer);
  for (let i = 0, n = 1 + Math.floor(r() * 3); i < n; i++) {
    const at = msg.length + Math.floor(r() * Math.max(1, junk.length - msg.length));
    if (at < junk.length) junk[at] = Math.floor(r() * 256);
  }
  const stray = Buffer.from(answer);
  stray.writeUInt16BE((q.id! + 1) & 0xffff, 0);
  server.send(junk, from.port, from.address);
  server.send(stray, from.port, from.address);
  server.send(answer, from.port, from.address);
});
await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
const port = server.address().port;

function peakRssMb(count: number): Promise<{ mb: number; lines: number }> {
  const args = ['-f', 'maxrss_kb=%M', process.execPath, MAIN, 'dns', 'a.netprobe.test', '-s', `127.0.0.1:${port}`];
  args.push('--count', String(count), '--interval', '0s', '--timeout', '100ms', '--attempts', '1', '--json');
  return new Promise((resolve, reject) => {
    execFile('/usr/bin/time', args, { maxBuffer: 1 << 30, timeout: 600_000 }, (error, stdout, stderr) => {
      const m = /maxrss_kb=(\d+)/.exec(stderr);
      if (!m) return reject(new Error(`no maxrss from /usr/bin/time (${error?.message}): ${stderr.slice(-500)}`));
      resolve({ mb: Number(m[1]) / 1024, lines: stdout.trim().split('\n').length });
    });
  });
}

const small: number[] = [];
const large: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  small.push((await peakRssMb(100)).mb);
  const run = await peakRssMb(N);
  if (run.lines !== N + 1) throw new Error(`expected ${N + 1} JSON lines, got ${run.lines}`);
  large.push(run.mb);
}
server.close();
const mmm = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return `${s[0]!.toFixed(1)}/${s[Math.floor(s.length / 2)]!.toFixed(1)}/${s.at(-1)!.toFixed(1)}`;
};
const ratios = large.map((l, i) => l / small[i]!);
console.log(`netprobe dns --json against a fuzzing server, peak RSS MB min/median/max over ${ROUNDS} rounds`);
console.log(`  --count 100:   ${mmm(small)}`);
console.log(`  --count ${N}: ${mmm(large)}`);
console.log(`  ratio ${N}/100: ${mmm(ratios)}`);
