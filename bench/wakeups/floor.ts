// The floor for bench/wakeups: N targets, each queried once a second from its
// own timer on a hashed phase (as the daemon spreads them), one fresh dgram
// socket per query (as each netprobe lookup has its own). Only 127.0.0.1.
// Prints "ready"; on "count" from stdin prints "answers N"; exits when stdin closes.
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { createInterface } from 'node:readline';
import { encode } from 'dns-packet';

const [countText, portText] = process.argv.slice(2);
const count = Number(countText);
const port = Number(portText);
if (!Number.isInteger(count) || count < 1 || count > 5000 || !Number.isInteger(port)) throw new Error('usage: floor.ts COUNT PORT');

let answers = 0;
const timers: NodeJS.Timeout[] = [];

function query(i: number): void {
  const socket = createSocket('udp4');
  const timeout = setTimeout(() => socket.close(), 1000);
  socket.on('error', () => {});
  socket.once('message', () => {
    answers++;
    clearTimeout(timeout);
    socket.close();
  });
  socket.send(encode({ id: i & 0xffff, type: 'query', flags: 256, questions: [{ name: `t${i}.netprobe.test`, type: 'A' }] }), port, '127.0.0.1');
}

for (let i = 0; i < count; i++) {
  const phase = createHash('sha256').update(`floor\0${i}`).digest().readUInt32BE(0) % 1000;
  const arm = (): void => {
    const now = Date.now();
    const next = Math.floor((now - phase) / 1000) * 1000 + phase + 1000;
    timers[i] = setTimeout(() => {
      query(i);
      arm();
    }, next - now);
  };
  arm();
}
process.stdout.write('ready\n');
const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  if (line.trim() === 'count') process.stdout.write(`answers ${answers}\n`);
});
rl.on('close', () => {
  for (const t of timers) clearTimeout(t);
  process.exit(0);
});
