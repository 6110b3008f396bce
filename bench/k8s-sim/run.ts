// 5,000-node simulation: the fake API server (test/k8s/fake-apiserver.ts)
// holds a simulated cluster (cluster.ts) with churn of 50 nodes joining and 50
// leaving per minute, plus kubelet heartbeats. One daemon runs the shipped
// config (deploy/kubernetes/config.yaml; listen, kubeconfig and resolv.conf
// changed to loopback) as node-00001 against it. Per one-minute window
// (ROUNDS of them): the daemon's CPU (utime+stime) and RSS from /proc, bytes
// the API server sent it per watch, and its series count. Beside it, in the
// same run, the reference: what a node agent that watches all Nodes pays
// (full objects, and metadata-only via PartialObjectMetadata).
//
//   node bench/k8s-sim/run.ts [--nodes 5000] [--rounds 3] [--window 60]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FakeApiServer, type RecordedRequest } from '../../test/k8s/fake-apiserver.ts';
import { Cluster, DNS_VIP, NODES, nodeName, nodeObject } from './cluster.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const { values: flags } = parseArgs({
  options: {
    nodes: { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '3' },
    window: { type: 'string', default: '60' },
  },
});
const nodes = Number(flags.nodes);
const rounds = Number(flags.rounds);
const windowS = Number(flags.window);
if (!(Number.isInteger(nodes) && nodes >= 10 && nodes <= 20_000)) throw new Error(`--nodes: 10..20000, got ${flags.nodes}`);
if (!(Number.isInteger(rounds) && rounds >= 3 && rounds <= 10)) throw new Error(`--rounds: 3..10, got ${flags.rounds}`);
if (!(windowS >= 20 && windowS <= 300)) throw new Error(`--window: 20..300 s, got ${flags.window}`);
const SELF = 1;
const JOINS_PER_MINUTE = 50;
const HEARTBEAT_PERIOD_S = 300; // kubelet nodeStatusReportFrequency
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}
function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN) / 1024;
}

/** Deterministic [0, 1) so runs churn the same nodes. */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function daemonConfig(dir: string, apiUrl: string): string {
  writeFileSync(path.join(dir, 'kubeconfig'), `apiVersion: v1\nkind: Config\ncurrent-context: sim\ncontexts: [{ name: sim, context: { cluster: sim, user: sim } }]\nclusters: [{ name: sim, cluster: { server: "${apiUrl}" } }]\nusers: [{ name: sim, user: { token: sim } }]\n`);
  writeFileSync(path.join(dir, 'resolv.conf'), `nameserver ${DNS_VIP}\n`);
  let text = readFileSync(path.join(ROOT, 'deploy/kubernetes/config.yaml'), 'utf8');
  const swap = (from: string, to: string) => {
    if (!text.includes(from)) throw new Error(`deploy/kubernetes/config.yaml no longer has "${from}": update bench/k8s-sim`);
    text = text.replace(from, to);
  };
  swap('listen: 0.0.0.0:9810', `sourceNode: ${nodeName(SELF)}\nlisten: 127.0.0.1:0`);
  swap('kubernetes:\n', `kubernetes:\n  connection: kubeconfig\n  kubeconfig: ${path.join(dir, 'kubeconfig')}\n  namespace: netprobe\n  resolvConf: ${path.join(dir, 'resolv.conf')}\n`);
  swap('servers: [resolv.conf]', `servers: [resolv.conf]\n    resolvConf: ${path.join(dir, 'resolv.conf')}`);
  const file = path.join(dir, 'config.yaml');
  writeFileSync(file, text);
  return file;
}

/** A watch the bench itself holds open (the reference agent), counted by the fake under its user agent. */
async function referenceWatch(apiUrl: string, agent: string, metadataOnly: boolean, signal: AbortSignal): Promise<void> {
  const accept = metadataOnly ? 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1' : 'application/json';
  const listAccept = metadataOnly ? 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1' : 'application/json';
  const list = await fetch(`${apiUrl}${NODES}?resourceVersion=0`, { headers: { accept: listAccept, 'user-agent': `${agent}-list` }, signal });
  const { metadata } = (await list.json()) as { metadata: { resourceVersion: string } };
  const res = await fetch(`${apiUrl}${NODES}?watch=1&allowWatchBookmarks=true&resourceVersion=${metadata.resourceVersion}&timeoutSeconds=3600`, { headers: { accept, 'user-agent': agent }, signal });
  const reader = res.body!.getReader();
  try {
    for (;;) if ((await reader.read()).done) return;
  } catch {
    // aborted at the end of the run
  }
}

/** Bytes sent per (user agent, what) since `since` (watch streams count as they go; lists when answered). */
function bytesBy(requests: readonly RecordedRequest[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of requests) {
    const what = r.userAgent?.startsWith('k8s-sim-') ? r.userAgent : `daemon ${r.path.replace(/^\/apis?\/(discovery\.k8s\.io\/)?v1\//, '')}${r.query.watch ? ' watch' : ' list'}`;
    out.set(what, (out.get(what) ?? 0) + r.bytes);
  }
  return out;
}

function stats(xs: number[], digits = 1): string {
  const s = [...xs].sort((a, b) => a - b);
  return `${s[0]!.toFixed(digits)} / ${s[Math.floor(s.length / 2)]!.toFixed(digits)} / ${s[s.length - 1]!.toFixed(digits)}`;
}

async function main(): Promise<void> {
  const guard = setTimeout(() => {
    process.stderr.write('k8s-sim: hard time limit reached\n');
    process.exit(1);
  }, (rounds * windowS + 180) * 1000);
  guard.unref();
  const t0 = performance.now();
  const api = await FakeApiServer.start();
  const random = lcg(42);
  const cluster = new Cluster(api, nodes);
  const nodeBytes = JSON.stringify(nodeObject(0, new Date().toISOString())).length;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'netprobe-k8s-sim-'));
  const stopRefs = new AbortController();
  let daemon: ChildProcess | undefined;
  const timers: NodeJS.Timeout[] = [];
  try {
    process.stdout.write(`k8s-sim: ${nodes} Nodes (${(nodeBytes / 1024).toFixed(1)} KiB each as JSON), DNS Service + 10 endpoints, peer Service ${nodes} endpoints in slices of 100; set up in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    // The shipped artefact, as a user runs it (npm run build makes it).
    daemon = spawn(process.execPath, [path.join(ROOT, 'dist/cli/main.js'), 'run', '--config', daemonConfig(dir, api.url), '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    daemon.stdout!.on('data', (c: Buffer) => (out += String(c)));
    daemon.stderr!.on('data', (c: Buffer) => (out += String(c).slice(0, 2000)));
    const started = performance.now();
    while (!/http:\/\/\S+\/metrics/.test(out)) {
      if (daemon.exitCode !== null || performance.now() - started > 60_000) throw new Error(`daemon did not start:\n${out}`);
      await sleep(100);
    }
    const url = /http:\/\/\S+\/metrics/.exec(out)![0];
    const pid = daemon.pid!;
    // Wait until every watch is open, then give the first runs a moment.
    for (let i = 0; i < 600; i++) {
      const text = await (await fetch(url)).text();
      if ((text.match(/netprobe_discovery_watching\{[^}]*\} 1/g) ?? []).length >= 4) break;
      await sleep(100);
    }
    void referenceWatch(api.url, 'k8s-sim-all-nodes-full', false, stopRefs.signal);
    void referenceWatch(api.url, 'k8s-sim-all-nodes-metadata', true, stopRefs.signal);
    await sleep(5000);

    // Churn: joins and leaves alternate, 50 of each a minute; heartbeats spread over 5 min.
    timers.push(setInterval(() => cluster.join(), 60_000 / JOINS_PER_MINUTE));
    await sleep(30_000 / JOINS_PER_MINUTE);
    timers.push(setInterval(() => cluster.leave(random, SELF), 60_000 / JOINS_PER_MINUTE));
    const beatsPerSecond = nodes / HEARTBEAT_PERIOD_S;
    timers.push(setInterval(() => {
      for (let i = 0; i < beatsPerSecond / 10; i++) cluster.heartbeat(random);
    }, 100));
    await sleep(15_000); // churn reaches steady state (ready / removal delays)

    // What the daemon's start cost the API server: its lists and the watches' first events.
    const startBytes = [...bytesBy(api.requests)].filter(([k]) => k.startsWith('daemon')).reduce((sum, [, v]) => sum + v, 0);
    const windows: { cpuPct: number; rss: number; bytes: Map<string, number>; series: number; peers: number; peerSeries: number }[] = [];
    let before = { cpu: cpuSeconds(pid), bytes: bytesBy(api.requests), t: performance.now() };
    for (let r = 0; r < rounds; r++) {
      await sleep(windowS * 1000);
      const now = { cpu: cpuSeconds(pid), bytes: bytesBy(api.requests), t: performance.now() };
      const minutes = (now.t - before.t) / 60_000;
      const perMinute = new Map<string, number>();
      for (const [k, v] of now.bytes) perMinute.set(k, (v - (before.bytes.get(k) ?? 0)) / minutes);
      const text = await (await fetch(url)).text();
      const lines = text.split('\n').filter((l) => l && !l.startsWith('#'));
      const peers = new Set(lines.filter((l) => l.startsWith('netprobe_peer_ready{')).map((l) => /target="([^"]+)"/.exec(l)?.[1])).size;
      const peerSeries = lines.filter((l) => /probe="peers-/.test(l)).length;
      windows.push({ cpuPct: ((now.cpu - before.cpu) / ((now.t - before.t) / 1000)) * 100, rss: rssMb(pid), bytes: perMinute, series: lines.length, peers, peerSeries });
      before = now;
    }

    const keys = [...new Set(windows.flatMap((w) => [...w.bytes.keys()]))].sort();
    const daemonKeys = keys.filter((k) => k.startsWith('daemon'));
    const daemonTotal = windows.map((w) => daemonKeys.reduce((sum, k) => sum + (w.bytes.get(k) ?? 0), 0));
    const kib = (xs: number[]) => stats(xs.map((x) => x / 1024));
    process.stdout.write(`\nOne daemon (${nodeName(SELF)}), ${rounds} windows of ${windowS} s under churn (${JOINS_PER_MINUTE} joins + ${JOINS_PER_MINUTE} leaves a minute, ${beatsPerSecond.toFixed(1)} Node heartbeats a second), min / median / max:\n\n`);
    process.stdout.write('| measure | one daemon | × fleet of ' + nodes + ' |\n|---|---|---|\n');
    const fleet = (xs: number[], unit: number, label: string) => stats(xs.map((x) => (x * nodes) / unit)) + label;
    process.stdout.write(`| CPU (% of one core, probing included) | ${stats(windows.map((w) => w.cpuPct), 2)} | |\n`);
    process.stdout.write(`| RSS | ${stats(windows.map((w) => w.rss))} MB | |\n`);
    process.stdout.write(`| peers probed (k = 8) | ${stats(windows.map((w) => w.peers), 0)} | |\n`);
    process.stdout.write(`| series on /metrics | ${stats(windows.map((w) => w.series), 0)} | ${fleet(windows.map((w) => w.series), 1e6, ' M')} |\n`);
    process.stdout.write(`|   of which peer probes (tcp + icmp), per peer | ${stats(windows.map((w) => w.peerSeries / Math.max(1, w.peers)), 0)} | |\n`);
    // Lists happen at start (counted below), quiet watches send nothing: only rows with bytes.
    for (const k of daemonKeys.filter((key) => windows.some((w) => (w.bytes.get(key) ?? 0) > 0))) process.stdout.write(`| API bytes/min: ${k} | ${kib(windows.map((w) => w.bytes.get(k) ?? 0))} KiB | ${fleet(windows.map((w) => w.bytes.get(k) ?? 0), 1024 ** 3, ' GiB')} |\n`);
    process.stdout.write(`| **API bytes/min, all of the daemon's** | ${kib(daemonTotal)} KiB | ${fleet(daemonTotal, 1024 ** 3, ' GiB')} |\n`);
    process.stdout.write(`| API bytes at start (lists, first events, 20 s of churn) | ${(startBytes / 1024 ** 2).toFixed(2)} MiB | ${((startBytes * nodes) / 1024 ** 3).toFixed(1)} GiB (a full rollout) |\n`);
    process.stdout.write(`\nReference in the same run: a node agent watching all Nodes (bytes/min per agent, × ${nodes} agents):\n\n| watch | one agent | × fleet |\n|---|---|---|\n`);
    for (const k of keys.filter((x) => x.startsWith('k8s-sim-') && !x.endsWith('-list'))) {
      const xs = windows.map((w) => w.bytes.get(k) ?? 0);
      process.stdout.write(`| ${k.replace('k8s-sim-', '')} | ${kib(xs)} KiB | ${fleet(xs, 1024 ** 3, ' GiB')} |\n`);
    }
    const listBytes = bytesBy(api.requests);
    process.stdout.write(`\nInitial list of all Nodes: full ${((listBytes.get('k8s-sim-all-nodes-full-list') ?? 0) / 1024 ** 2).toFixed(1)} MiB, metadata-only ${((listBytes.get('k8s-sim-all-nodes-metadata-list') ?? 0) / 1024 ** 2).toFixed(1)} MiB (per agent start; the daemon lists only its own Node)\n`);
  } finally {
    for (const t of timers) clearInterval(t);
    cluster.stop();
    stopRefs.abort();
    if (daemon && daemon.exitCode === null) {
      daemon.kill('SIGTERM');
      await Promise.race([once(daemon, 'exit'), sleep(5000)]);
      if (daemon.exitCode === null) daemon.kill('SIGKILL');
    }
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
