// What one discovery change costs the daemon, as a process. The shipped
// bundle (dist/cli/main.js of --root, default this checkout) runs against the
// fake API server with a config of STATIC static tcp targets (the bulk of the
// scheduled set, every 60 s so their runs cost little) and one peers-tcp
// probe over PEERS discovered peers. After a quiet window that measures the
// idle CPU, one peer leaves or comes back every 1.5 s (the daemon debounces
// by 1 s), CHANGES times; the CPU (utime+stime from /proc) of that window
// minus the idle one, per change, is the cost. Every address is loopback
// (127.0.0.1 ports nobody listens on, peers 127.10.0.x).
//
//   node bench/k8s-sim/change-cost.ts [--root DIR] [--static 900] [--peers 50] [--changes 20]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FakeApiServer } from '../../test/k8s/fake-apiserver.ts';
import { NODES, SLICES, node, slice } from '../../test/k8s/fixtures.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const { values: flags } = parseArgs({
  options: {
    root: { type: 'string', default: path.resolve(HERE, '../..') },
    static: { type: 'string', default: '900' },
    peers: { type: 'string', default: '50' },
    changes: { type: 'string', default: '20' },
  },
});
const statics = Number(flags.static);
const peerCount = Number(flags.peers);
const changes = Number(flags.changes);
if (!(statics >= 0 && statics <= 5000 && peerCount >= 2 && peerCount <= 250 && changes >= 2 && changes <= 200)) throw new Error('--static 0..5000, --peers 2..250, --changes 2..200');
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100;
const STEP_MS = 1500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cpuMs = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(f[11]) + Number(f[12])) / CLK_TCK) * 1000;
};

const api = await FakeApiServer.start();
const dir = mkdtempSync(path.join(os.tmpdir(), 'netprobe-change-cost-'));
const peers = Array.from({ length: peerCount }, (_, i) => ({ ip: `127.10.0.${i + 1}`, node: `n${i + 2}` }));
const setPeers = (list: typeof peers) => api.upsert(SLICES('netprobe'), slice('netprobe', 'peers', 'netprobe-peers', list, []));
api.upsert(NODES, node('n1', '2026-01-01T00:00:00Z', 'zone-a', true));
setPeers(peers);
writeFileSync(path.join(dir, 'kubeconfig'), `apiVersion: v1\nkind: Config\ncurrent-context: b\ncontexts: [{ name: b, context: { cluster: b, user: b } }]\nclusters: [{ name: b, cluster: { server: "${api.url}" } }]\nusers: [{ name: b, user: { token: b } }]\n`);
const staticTargets = Array.from({ length: statics }, (_, i) => `"127.0.0.1:${20000 + i}"`).join(', ');
writeFileSync(
  path.join(dir, 'config.yaml'),
  [
    'sourceNode: n1',
    'listen: 127.0.0.1:0',
    `maxTargets: ${statics + peerCount + 10}`,
    'kubernetes:',
    '  connection: kubeconfig',
    `  kubeconfig: ${path.join(dir, 'kubeconfig')}`,
    '  peerService: netprobe/netprobe-peers',
    `  peers: ${peerCount}`,
    `  resolvConf: ${path.join(dir, 'none')}`,
    'probes:',
    '  - { name: peers-tcp, kind: tcp, every: 60s, targets: ["kubernetes:peers:9"], count: 1, timeout: 1s }',
    ...(statics ? [`  - { name: static-tcp, kind: tcp, every: 60s, targetKind: static, count: 1, timeout: 1s, targets: [${staticTargets}] }`] : []),
    '',
  ].join('\n'),
);
const daemon = spawn(process.execPath, [path.join(flags.root, 'dist/cli/main.js'), 'run', '--config', path.join(dir, 'config.yaml'), '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
let out = '';
daemon.stdout!.on('data', (c: Buffer) => (out += String(c)));
daemon.stderr!.on('data', (c: Buffer) => (out += String(c).slice(0, 2000)));
try {
  for (let i = 0; i < 300 && !/metrics at http/.test(out); i++) {
    if (daemon.exitCode !== null) throw new Error(`daemon exited: ${out}`);
    await sleep(100);
  }
  const url = /http:\/\/\S+\/metrics/.exec(out)?.[0];
  if (!url) throw new Error(`daemon did not start: ${out}`);
  const targets = async () => Number(/netprobe_targets\{[^}]*probe="peers-tcp"[^}]*\} (\d+)/.exec(await (await fetch(url)).text())?.[1] ?? 0);
  for (let i = 0; i < 100 && (await targets()) !== peerCount; i++) await sleep(100);
  await sleep(3000); // start-up runs settle
  const pid = daemon.pid!;
  const window = changes * STEP_MS;
  let t = cpuMs(pid);
  await sleep(window);
  const idle = cpuMs(pid) - t;
  t = cpuMs(pid);
  for (let i = 0; i < changes; i++) {
    setPeers(i % 2 === 0 ? peers.slice(1) : peers);
    await sleep(STEP_MS);
  }
  const busy = cpuMs(pid) - t;
  const after = await targets();
  const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
  process.stdout.write(
    `change-cost: ${flags.root}: ${statics} static + ${peerCount} peer targets; ${changes} changes in ${(window / 1000).toFixed(0)} s: ` +
      `CPU ${busy.toFixed(0)} ms vs ${idle.toFixed(0)} ms idle -> ${((busy - idle) / changes).toFixed(1)} ms per change; RSS ${rss.toFixed(0)} MB; peers-tcp targets at the end ${after}\n`,
  );
} finally {
  daemon.kill('SIGTERM');
  await api.close();
  rmSync(dir, { recursive: true, force: true });
}
