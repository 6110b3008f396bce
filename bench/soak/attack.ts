// The hostile neighbourhood of the soak: a DNS server on 127.0.0.1 that
// wraps every right answer in garbage, wrong-id and wrong-source datagrams,
// TCP listeners that accept, slowloris clients that never finish their
// headers, and scrape storms. All on loopback, all bounded by stop().
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import http from 'node:http';
import net from 'node:net';
import { pathToFileURL } from 'node:url';
import { decode, encode, type DecodedPacket, type RecordType } from 'dns-packet';

const ANSWERS: Record<string, string> = { A: '192.0.2.7', AAAA: '2001:db8::7' };

function answer(query: DecodedPacket, id = query.id!): Buffer {
  const q = query.questions![0]!;
  const data = ANSWERS[q.type];
  return encode({
    id,
    type: 'response',
    flags: 0x0100 | 0x0080,
    questions: [{ name: q.name, type: q.type as RecordType, class: 'IN' }],
    answers: data ? [{ name: q.name, type: q.type as 'A', class: 'IN', ttl: 30, data }] : [],
  });
}

/** Answers every query right, after a garbage datagram, a wrong-id answer and (every 4th) a wrong-source one. */
export class HostileDns {
  readonly port: number;
  queries = 0;
  readonly #socket: UdpSocket;
  readonly #spoofer: UdpSocket;

  private constructor(socket: UdpSocket, spoofer: UdpSocket) {
    this.#socket = socket;
    this.#spoofer = spoofer;
    this.port = socket.address().port;
    socket.on('message', (raw, from) => {
      let query: DecodedPacket;
      try {
        query = decode(raw);
      } catch {
        return;
      }
      this.queries++;
      socket.send(Buffer.from('\x00\x01garbage'), from.port, from.address);
      socket.send(answer(query, (query.id! + 1) & 0xffff), from.port, from.address);
      if (this.queries % 4 === 0) spoofer.send(answer(query), from.port, from.address);
      socket.send(answer(query), from.port, from.address);
    });
  }

  static async start(): Promise<HostileDns> {
    const bind = async () => {
      const s = createSocket('udp4');
      await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
      return s;
    };
    return new HostileDns(await bind(), await bind());
  }

  stop(): void {
    this.#socket.close();
    this.#spoofer.close();
  }
}

/** TCP listeners on 127.0.0.1 that accept and close: healthy targets. */
export async function tcpListeners(count: number): Promise<{ ports: number[]; stop(): void }> {
  const servers: net.Server[] = [];
  for (let i = 0; i < count; i++) {
    const server = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
  }
  return { ports: servers.map((s) => (s.address() as net.AddressInfo).port), stop: () => servers.forEach((s) => s.close()) };
}

/**
 * `clients` connections that send a request line and then one header line
 * every `dripMs`, never the end of the headers; each reconnects (after a
 * short pause) when the server drops it, so the pressure stays on.
 */
export function slowloris(port: number, clients: number, dripMs = 2000): { connected(): number; dropped(): number; stop(): void } {
  let stopped = false;
  let dropped = 0;
  const open = new Set<net.Socket>();
  const connect = () => {
    if (stopped) return;
    const socket = net.connect(port, '127.0.0.1');
    open.add(socket);
    let drip: NodeJS.Timeout | undefined;
    socket.on('connect', () => {
      socket.write('GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      drip = setInterval(() => socket.write(`X-Slow-${Math.floor(Math.random() * 1e6)}: a\r\n`), dripMs);
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(drip);
      open.delete(socket);
      dropped++;
      // As slowloris tools do: dropped sockets are re-opened on the next cycle
      // (the classic tool's is 15 s; 2-4 s here keeps the pressure higher).
      setTimeout(connect, 2000 + Math.random() * 2000).unref();
    });
  };
  for (let i = 0; i < clients; i++) setTimeout(connect, i % 200).unref();
  return {
    connected: () => open.size,
    dropped: () => dropped,
    stop() {
      stopped = true;
      for (const s of open) s.destroy();
    },
  };
}

export interface StormResult {
  ok: number;
  failed: number;
  maxSeconds: number;
}

/** `concurrent` scrapes of /metrics at once, each on its own connection. */
export async function scrapeStorm(port: number, concurrent: number, timeoutMs = 10_000): Promise<StormResult> {
  const result: StormResult = { ok: 0, failed: 0, maxSeconds: 0 };
  await Promise.all(
    Array.from({ length: concurrent }, async () => {
      const started = performance.now();
      const ok = await get(port, '/metrics', timeoutMs).then(
        (r) => r.status === 200,
        () => false,
      );
      result.maxSeconds = Math.max(result.maxSeconds, (performance.now() - started) / 1000);
      if (ok) result.ok++;
      else result.failed++;
    }),
  );
  return result;
}

/** One GET on a fresh connection (as kubelet and Prometheus' first scrape do). */
export function get(port: number, path: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

// Run as its own process (the soak does), so the attackers' CPU does not
// slow the soak's own /healthz checks and scrapes:
//   node bench/soak/attack.ts slowloris PORT CLIENTS   -> a JSON line a second
//   node bench/soak/attack.ts storm PORT SIZE EVERY_MS -> a JSON line per storm
// Both stop when stdin closes (the parent went away) or on SIGTERM.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [mode, portText, sizeText, everyText] = process.argv.slice(2);
  const port = Number(portText);
  const size = Number(sizeText);
  const timers: NodeJS.Timeout[] = [];
  let stopAttack = () => {};
  if (mode === 'slowloris') {
    const attack = slowloris(port, size);
    stopAttack = attack.stop;
    timers.push(setInterval(() => process.stdout.write(`${JSON.stringify({ connected: attack.connected(), dropped: attack.dropped() })}\n`), 1000));
  } else if (mode === 'storm') {
    timers.push(setInterval(() => void scrapeStorm(port, size).then((r) => process.stdout.write(`${JSON.stringify(r)}\n`)), Number(everyText)));
  } else {
    throw new Error(`usage: attack.ts slowloris|storm PORT N [EVERY_MS], got ${mode}`);
  }
  const stop = () => {
    for (const t of timers) clearInterval(t);
    stopAttack();
    process.exit(0);
  };
  process.stdin.on('end', stop);
  process.stdin.resume();
  process.on('SIGTERM', stop);
}
