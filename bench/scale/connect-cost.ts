// The floor under the scale bench's TCP figure: CPU per loopback connect of
// the tcp prober (connectOnce, through the connector addon as the daemon
// runs it, and through node:net as it runs for TLS and host names) vs a bare
// net.connect + destroy, in this process, against the bench's target farm in another process. The kernel's
// handshake work on loopback (both ends) is charged to the connecting
// process, so `system` is most of it.
//
//   npx node bench/scale/connect-cost.ts [--connects 20000]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { connectOnce } from '../../src/probes/tcp/run.ts';
import { systemClock } from '../../src/probes/types.ts';
import { farmAddress } from './farm.ts';

const PORT = 9411;
const ADDRESSES = 10;
const { values } = parseArgs({ options: { connects: { type: 'string', default: '20000' } } });
const connects = Number(values.connects);
if (!Number.isInteger(connects) || connects < 1000 || connects > 200_000) throw new Error(`--connects: 1000..200000, got ${values.connects}`);

function bare(host: string): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port: PORT });
    socket.on('error', () => {});
    socket.once('connect', () => socket.destroy());
    socket.once('close', () => resolve());
  });
}

const ctx = { signal: new AbortController().signal, clock: systemClock };
const viaNet = { ...ctx, connect: (options: { host: string; port: number }) => net.connect(options) };
const variants: Record<string, (host: string) => Promise<unknown>> = {
  'net.connect + destroy': bare,
  'connectOnce, node:net': (host) => connectOnce({ host, port: PORT }, 1, 1000, viaNet),
  'connectOnce, addon': (host) => connectOnce({ host, port: PORT }, 1, 1000, ctx),
};

async function measure(fn: (host: string) => Promise<unknown>, n: number): Promise<{ user: number; system: number; wall: number }> {
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn(farmAddress(i % ADDRESSES));
  const used = process.cpuUsage(cpu);
  return { user: used.user / n, system: used.system / n, wall: ((performance.now() - t0) * 1000) / n };
}

const farm = spawn(process.execPath, [path.join(path.dirname(fileURLToPath(import.meta.url)), 'farm.ts'), String(ADDRESSES), String(PORT)], {
  stdio: ['pipe', 'pipe', 'inherit'],
});
try {
  await once(farm.stdout!, 'data');
  process.stdout.write(`CPU per sequential loopback connect, ${connects} connects per variant (two rounds, interleaved)\n\n`);
  process.stdout.write(`${'variant'.padEnd(26)}${'user µs'.padStart(9)}${'system µs'.padStart(11)}${'total µs'.padStart(10)}${'wall µs'.padStart(9)}\n`);
  for (let round = 0; round < 2; round++) {
    for (const [name, fn] of Object.entries(variants)) {
      await measure(fn, 1000); // warm-up: JIT, ephemeral ports
      const r = await measure(fn, connects);
      process.stdout.write(
        `${name.padEnd(26)}${r.user.toFixed(1).padStart(9)}${r.system.toFixed(1).padStart(11)}${(r.user + r.system).toFixed(1).padStart(10)}${r.wall.toFixed(1).padStart(9)}\n`,
      );
    }
  }
} finally {
  farm.stdin!.end();
  farm.kill('SIGTERM');
}
