// TCP connect outcomes against a real target namespace (F9, docs/lab.md
// "Failure modes"): a listener (connected), a closed port (refused), SYNs
// dropped by nftables in the target namespace (timeout), ICMP unreachable
// replies and a missing route (unreachable). netprobe runs inside the client namespace, as the CLI and as
// the daemon whose /metrics are scraped from inside that namespace.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, NODE_BIN, requireLab, runNetprobe, startNetprobeDaemon, type NetprobeDaemon } from './harness/index.ts';

const labAvailable = requireLab();

// Only inside this file's namespaces: the client has no default route, so
// nothing here can leave the lab.
const CLIENT = '198.18.40.1';
const SERVER = '198.18.40.2';
const NO_ROUTE = '198.19.40.1';
const UNREACHABLE_ROUTE = '198.19.41.1';
const PORT = { open: 8080, closed: 8081, dropped: 8082, hostUnreach: 8083, netUnreach: 8084, reset: 8085 } as const;

// Each rule and closing brace on its own line (nft's parser wants that).
const SERVER_RULES = `table ip nptcp {
  chain input {
    type filter hook input priority 0; policy accept;
    tcp dport ${PORT.dropped} drop
    tcp dport ${PORT.hostUnreach} reject with icmp type host-unreachable
    tcp dport ${PORT.netUnreach} reject with icmp type net-unreachable
    tcp dport ${PORT.reset} reject with tcp reset
  }
}
`;

const LISTENER = `
  const net = require('node:net');
  const s = net.createServer((c) => c.on('error', () => {}).end());
  s.listen(${PORT.open}, '${SERVER}', () => console.log('listening'));`;

interface TcpJson {
  count: number;
  connected: number;
  refused: number;
  timeout: number;
  unreachable: number;
  error: number;
  loss_ratio: number;
  connects: { result: string; seconds: number; errno?: string }[];
}

describe.skipIf(!labAvailable)('tcp probe in the lab', () => {
  let lab: Lab;
  let client: string;
  let daemon: NetprobeDaemon | undefined;

  beforeAll(async () => {
    lab = await Lab.create(import.meta.url);
    client = await lab.addNamespace('client');
    const server = await lab.addNamespace('server');
    await lab.addVeth({ ns: client, address: `${CLIENT}/30` }, { ns: server, address: `${SERVER}/30` });
    await lab.exec(client, ['ip', 'route', 'add', 'unreachable', '198.19.41.0/24']);
    await lab.nft(server, SERVER_RULES);
    await lab.spawn(server, [NODE_BIN, '-e', LISTENER]).waitForOutput(/listening/, 10_000);
  });

  afterAll(async () => {
    await daemon?.process.stop(2000);
    await lab?.destroy();
  });

  const tcp = async (target: string): Promise<{ code: number | null; out: TcpJson }> => {
    const result = await runNetprobe(lab, client, ['tcp', target, '-c', '2', '--interval', '0s', '--timeout', '500ms', '--json'], {
      allowFailure: true,
    });
    expect(result.stderr).toBe('');
    return { code: result.code, out: JSON.parse(result.stdout) as TcpJson };
  };

  const cases = [
    { name: 'a listening port', target: `${SERVER}:${PORT.open}`, outcome: 'connected', errno: undefined },
    { name: 'a closed port', target: `${SERVER}:${PORT.closed}`, outcome: 'refused', errno: 'ECONNREFUSED' },
    { name: 'a port whose firewall answers RST', target: `${SERVER}:${PORT.reset}`, outcome: 'refused', errno: 'ECONNREFUSED' },
    { name: 'SYNs dropped by nft in the target namespace', target: `${SERVER}:${PORT.dropped}`, outcome: 'timeout', errno: undefined },
    { name: 'ICMP host-unreachable from the target', target: `${SERVER}:${PORT.hostUnreach}`, outcome: 'unreachable', errno: 'EHOSTUNREACH' },
    { name: 'ICMP net-unreachable from the target', target: `${SERVER}:${PORT.netUnreach}`, outcome: 'unreachable', errno: 'ENETUNREACH' },
    { name: 'no route at all', target: `${NO_ROUTE}:80`, outcome: 'unreachable', errno: 'ENETUNREACH' },
    { name: 'an unreachable route', target: `${UNREACHABLE_ROUTE}:80`, outcome: 'unreachable', errno: 'EHOSTUNREACH' },
  ] as const;

  it.each(cases)('reports $outcome for $name', async ({ target, outcome, errno }) => {
    const { code, out } = await tcp(target);
    expect(code).toBe(outcome === 'connected' ? 0 : 1);
    expect(out.count).toBe(2);
    expect(out[outcome]).toBe(2);
    expect(out.loss_ratio).toBe(outcome === 'connected' ? 0 : 1);
    for (const c of out.connects) {
      expect(c.result).toBe(outcome);
      expect(c.errno).toBe(errno);
      // Margins for a loaded machine: 10 % under the 500 ms timer, and fast outcomes below the timeout.
      if (outcome === 'timeout') expect(c.seconds).toBeGreaterThanOrEqual(0.45);
      else expect(c.seconds).toBeLessThan(0.45);
    }
  });

  it('exports connects by result from the daemon inside the client namespace', async () => {
    const config = path.join(lab.tmpDir(), 'tcp.yaml');
    const targets = [`${SERVER}:${PORT.open}`, `${SERVER}:${PORT.closed}`, `${SERVER}:${PORT.dropped}`, `${NO_ROUTE}:80`];
    writeFileSync(
      config,
      [
        'listen: 127.0.0.1:0',
        'probes:',
        '  - name: lab_tcp',
        '    kind: tcp',
        '    every: 1s',
        '    count: 2',
        '    interval: 100ms',
        '    timeout: 300ms',
        `    targets: [${targets.map((t) => `"${t}"`).join(', ')}]`,
        '',
      ].join('\n'),
    );
    daemon = await startNetprobeDaemon(lab, client, config);
    const scrape = `fetch(${JSON.stringify(daemon.printedUrl)}).then((r) => r.text()).then((t) => process.stdout.write(t))`;
    const series = (text: string, target: string, result: string): number => {
      const line = text.split('\n').find((l) => l.startsWith('netprobe_tcp_connects_total{') && l.includes(`target="${target}"`) && l.includes(`result="${result}"`));
      return line === undefined ? -1 : Number(line.slice(line.lastIndexOf(' ') + 1));
    };
    const expected: [string, string][] = [
      [targets[0]!, 'connected'],
      [targets[1]!, 'refused'],
      [targets[2]!, 'timeout'],
      [targets[3]!, 'unreachable'],
    ];
    let text = '';
    for (let i = 0; i < 20; i++) {
      text = (await lab.exec(client, [NODE_BIN, '-e', scrape])).stdout;
      if (expected.every(([t, r]) => series(text, t, r) >= 2)) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    for (const [target, result] of expected) {
      expect(series(text, target, result), `${target} ${result}`).toBeGreaterThanOrEqual(2);
      expect(series(text, target, result) % 2, `${target}: whole runs of two connects`).toBe(0);
      for (const other of ['connected', 'refused', 'timeout', 'unreachable', 'error'].filter((r) => r !== result)) {
        expect(series(text, target, other), `${target} ${other}`).toBe(0);
      }
    }
    expect(text).toMatch(new RegExp(`netprobe_tcp_connect_duration_seconds_count\\{[^}]*target="${targets[0]}"[^}]*\\} [1-9]`));
  });
});
