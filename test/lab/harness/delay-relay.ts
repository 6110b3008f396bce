// A latency shim in front of a lab DNS server: UDP and TCP on LISTEN, each
// query (TCP: each chunk, in order) forwarded to BACKEND after DELAY_MS, the
// answer sent back from the listening address. Run inside a namespace:
//
//   node delay-relay.ts LISTEN_IP:PORT BACKEND_IP:PORT DELAY_MS
//
// Why it exists: a real DNS pod sits a network hop away (hundreds of µs or
// more), while a resolver's A and AAAA leave one socket microseconds apart, so
// the second query always reaches the server before the first is answered. On
// veths in one machine dnsmasq can answer A before AAAA arrives, which would make
// the F1 reproduction depend on scheduling luck. The usual tool, tc netem, is
// not built into this kernel; this shim adds the hop's delay in user space.
// It prints "relay ready" once both sockets listen. Bounded: at most
// MAX_IN_FLIGHT UDP queries pending, each backend wait capped at BACKEND_TIMEOUT_MS.
import { createSocket } from 'node:dgram';
import net from 'node:net';

const MAX_IN_FLIGHT = 512;
const BACKEND_TIMEOUT_MS = 3000;

function parseEndpoint(text: string | undefined): { host: string; port: number } {
  const match = /^(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(text ?? '');
  if (!match) throw new Error(`delay-relay: expected IPv4:PORT, got "${text}"`);
  return { host: match[1]!, port: Number(match[2]) };
}

const listen = parseEndpoint(process.argv[2]);
const backend = parseEndpoint(process.argv[3]);
const delayMs = Number(process.argv[4]);
if (!Number.isFinite(delayMs) || delayMs < 0) throw new Error(`delay-relay: bad delay "${process.argv[4]}"`);

let inFlight = 0;
const udp = createSocket('udp4');
udp.on('message', (query, client) => {
  if (inFlight >= MAX_IN_FLIGHT) return;
  inFlight++;
  setTimeout(() => {
    // One backend socket per query: answers map back to their client without parsing DNS.
    const upstream = createSocket('udp4');
    const finish = (): void => {
      clearTimeout(timer);
      upstream.close();
      inFlight--;
    };
    const timer = setTimeout(finish, BACKEND_TIMEOUT_MS);
    upstream.on('error', finish);
    upstream.once('message', (answer) => {
      udp.send(answer, client.port, client.address);
      finish();
    });
    upstream.send(query, backend.port, backend.host);
  }, delayMs);
});

const tcp = net.createServer((client) => {
  const upstream = net.connect(backend.port, backend.host);
  // Chunks keep their order: each leaves no earlier than delayMs after it arrived.
  let nextDue = 0;
  client.on('data', (chunk) => {
    const due = Math.max(performance.now() + delayMs, nextDue);
    nextDue = due;
    setTimeout(() => upstream.write(chunk), due - performance.now());
  });
  upstream.pipe(client);
  const close = (): void => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close);
  upstream.on('error', close);
  client.on('end', () => setTimeout(() => upstream.end(), delayMs));
  upstream.on('end', () => client.end());
});

let listening = 0;
const ready = (): void => {
  if (++listening === 2) process.stdout.write(`relay ready ${listen.host}:${listen.port} -> ${backend.host}:${backend.port} delay ${delayMs}ms\n`);
};
udp.bind(listen.port, listen.host, ready);
tcp.listen(listen.port, listen.host, ready);
process.on('SIGTERM', () => process.exit(0));
