// Real loopback endpoints for TCP tests: a listener, a closed port, and a
// listener whose accept queue is full so the kernel drops further SYNs
// (a real timeout without root or firewall rules).
import { createHook } from 'node:async_hooks';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { once } from 'node:events';

export async function listen(host = '127.0.0.1'): Promise<{ server: net.Server; port: number }> {
  const server = net.createServer((socket) => socket.on('error', () => {}).end());
  server.listen(0, host);
  await once(server, 'listening');
  return { server, port: (server.address() as net.AddressInfo).port };
}

/** A port that was bound and released: nothing listens there, so SYN gets RST. */
export async function closedPort(host = '127.0.0.1'): Promise<number> {
  const { server, port } = await listen(host);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A listener in a child process with backlog 1 whose event loop is blocked,
 * so it never accepts: after two queued connections Linux drops new SYNs.
 * `filled` connects are made first so the next connect is the one dropped.
 */
export async function blackholeListener(): Promise<{ port: number; child: ChildProcess; stop(): void }> {
  const script = `
    const net = require('node:net');
    const s = net.createServer();
    s.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
      process.stdout.write(s.address().port + '\\n', () => {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60000);
      });
    });`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  const port = Number(String(chunk).trim());
  // Fill the accept queue (backlog 1 holds two) with connections we keep open.
  const held: net.Socket[] = [];
  for (let i = 0; i < 2; i++) {
    const s = net.connect({ host: '127.0.0.1', port });
    s.on('error', () => {});
    await once(s, 'connect');
    held.push(s);
  }
  return {
    port,
    child,
    stop() {
      for (const s of held) s.destroy();
      child.kill('SIGKILL');
    },
  };
}

const TRACKED = new Set(['TCPWRAP', 'TCPCONNECTWRAP', 'Timeout', 'GETADDRINFOREQWRAP']);

/**
 * Runs `fn` and returns the sockets, connect requests and timers created
 * while it ran that are still alive afterwards (one turn of the event loop
 * later, so closes already requested have completed). Timers are counted
 * only when `timerFrom` is on their creation stack: the test runner makes
 * timers of its own (RPC timeouts) at any moment.
 */
export async function leftoverHandles<T>(fn: () => Promise<T>, timerFrom: string): Promise<{ value: T; live: string[] }> {
  const live = new Map<number, string>();
  const stackLimit = Error.stackTraceLimit;
  const hook = createHook({
    init(asyncId, type) {
      if (!TRACKED.has(type)) return;
      if (type === 'Timeout' && !new Error().stack?.includes(timerFrom)) return;
      live.set(asyncId, type);
    },
    destroy(asyncId) {
      live.delete(asyncId);
    },
  });
  Error.stackTraceLimit = 50;
  hook.enable();
  try {
    const value = await fn();
    await new Promise((resolve) => setImmediate(resolve));
    return { value, live: [...live.values()] };
  } finally {
    hook.disable();
    Error.stackTraceLimit = stackLimit;
  }
}

/**
 * The three loopback endpoints a TCP test file needs (open, refused, dropped
 * SYN), created in beforeAll and removed in afterAll of the calling file.
 */
export function useLoopbackEndpoints(hooks: { beforeAll: (fn: () => Promise<void>) => void; afterAll: (fn: () => void) => void }) {
  const endpoints = { openPort: 0, refusedPort: 0, holePort: 0 };
  let server: net.Server | undefined;
  let hole: Awaited<ReturnType<typeof blackholeListener>> | undefined;
  hooks.beforeAll(async () => {
    ({ server, port: endpoints.openPort } = await listen());
    endpoints.refusedPort = await closedPort();
    hole = await blackholeListener();
    endpoints.holePort = hole.port;
  });
  hooks.afterAll(() => {
    server?.close();
    hole?.stop();
  });
  return endpoints;
}
