// The floor for bench/dns/cpu.ts, as its own process: RATE DNS queries a
// second to 127.0.0.1:PORT, evenly paced, each on a fresh UDP socket (open,
// send, receive, close: what any resolver-like lookup costs in Node, with no
// validation, metrics or scheduling). Prints the cumulative count of answered
// queries once a second; runs until SIGTERM (or 10 minutes at most).
//
//   node bench/dns/bare-paced.ts PORT RATE NAME
import { createSocket } from 'node:dgram';
import { encode } from 'dns-packet';

const [port, rate, name] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4] ?? 'a.netprobe.test'];
const query = encode({ id: 1, type: 'query', flags: 0x0100, questions: [{ name, type: 'A' }] });
let answered = 0;
let inFlight = 0;

function one(): void {
  if (inFlight >= 100) return; // bounded: a stalled server must not pile up sockets
  inFlight++;
  const socket = createSocket('udp4');
  const done = (): void => {
    clearTimeout(timer);
    socket.close();
    inFlight--;
  };
  const timer = setTimeout(done, 2000);
  socket.once('message', () => {
    answered++;
    done();
  });
  socket.send(query, port, '127.0.0.1');
}

// Due times on a fixed grid, like a scheduler's: catch up after a late tick,
// never drift, one timer wake-up per query.
const period = 1000 / rate;
const start = performance.now();
let next = 0;
function tick(): void {
  const now = performance.now() - start;
  while (next * period <= now) {
    one();
    next++;
  }
  setTimeout(tick, Math.max(0, next * period - (performance.now() - start)));
}
tick();
setInterval(() => process.stdout.write(`answered ${answered}\n`), 1000);
process.on('SIGTERM', () => process.exit(0));
setTimeout(() => process.exit(0), 600_000).unref();
