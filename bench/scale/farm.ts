// Target farm for the scale bench, run as its own process so its accept work
// is not charged to the daemon: listeners on loopback aliases 127.1.x.y (all
// of 127.0.0.0/8 is local on Linux, no `ip addr add` needed). Prints
// "ready N" once every listener is up; exits when stdin closes.
import net from 'node:net';

/** The i-th bench target address: 127.1.1.1, 127.1.1.2, ... 250 per third octet. */
export function farmAddress(i: number): string {
  return `127.1.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`;
}

async function main(): Promise<void> {
  const [listenCountText, portText] = process.argv.slice(2);
  const listenCount = Number(listenCountText);
  const port = Number(portText);
  if (!Number.isInteger(listenCount) || listenCount < 0 || listenCount > 60_000 || !Number.isInteger(port)) {
    throw new Error('usage: farm.ts LISTEN_COUNT PORT');
  }
  const servers: net.Server[] = [];
  await Promise.all(
    Array.from({ length: listenCount }, (_, i) => {
      // Accept and close at once: the probe sends no data and closes first.
      const server = net.createServer((socket) => socket.on('error', () => {}).destroy());
      servers.push(server);
      return new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port, host: farmAddress(i), backlog: 511 }, () => resolve());
      });
    }),
  );
  process.stdout.write(`ready ${servers.length}\n`);
  process.stdin.resume();
  process.stdin.once('end', () => {
    for (const server of servers) server.close();
    process.exit(0);
  });
}

if (import.meta.main) await main();
