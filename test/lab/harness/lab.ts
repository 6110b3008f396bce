// The lab: network namespaces, veth pairs, addresses, routes, sysctls and
// nftables rulesets built with iproute2 and nft, plus commands and long-running
// processes inside namespaces. One Lab per test file (or per topology); destroy()
// in afterAll removes everything it made, even after a failed test.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inNamespace, LabProcess, run, type RunOptions, type RunResult } from './exec.ts';
import { clearLeftovers, deleteNamespace, linkName, runStem } from './names.ts';

/** null = the root namespace (where the test process itself lives). */
export type NamespaceRef = string | null;

export interface VethEnd {
  ns: NamespaceRef;
  /** CIDR, e.g. "198.18.0.1/30". */
  address?: string;
  mtu?: number;
}

export interface VethPair {
  a: string;
  b: string;
}

// Process-wide counters: several Labs in one file must still get distinct names.
let nextLinkIndex = 0;
let nextLabIndex = 0;
const liveProcesses = new Set<LabProcess>();

// If the worker exits without afterAll (crash, timeout), at least the servers it
// started die with it; namespaces are cleared by the next run of the same file.
process.once('exit', () => {
  for (const proc of liveProcesses) proc.child.kill('SIGKILL');
});

function ipArgs(ns: NamespaceRef): string[] {
  return ns === null ? ['ip'] : ['ip', '-n', ns];
}

export class Lab {
  readonly testFile: string;
  /** Every name this Lab makes starts with this (fits the 15-character link limit). */
  readonly stem: string;
  readonly index: number;
  private readonly namespaces: string[] = [];
  private readonly rootLinks: string[] = [];
  private readonly processes: LabProcess[] = [];
  private tmp: string | undefined;
  private destroyed = false;

  private constructor(testFile: string) {
    this.testFile = testFile;
    this.stem = runStem(testFile);
    this.index = nextLabIndex++;
  }

  /**
   * Clears leftovers of crashed runs of `testFile` (pass import.meta.url or the
   * file path), then returns an empty lab.
   */
  static async create(testFile: string): Promise<Lab> {
    await clearLeftovers(testFile);
    return new Lab(testFile);
  }

  /** Creates a namespace with loopback up; returns its name. */
  async addNamespace(role: string): Promise<string> {
    if (!/^[a-z0-9]{1,12}$/.test(role)) throw new Error(`lab: namespace role "${role}" must be 1-12 of a-z0-9`);
    const ns = `${this.stem}-${this.index}-${role}`;
    await run(['ip', 'netns', 'add', ns]);
    this.namespaces.push(ns);
    await run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    return ns;
  }

  /**
   * A veth pair with each end created directly in its namespace, addressed and up.
   * Ends in the root namespace get IPv6 disabled so they send nothing on their own.
   */
  async addVeth(a: VethEnd, b: VethEnd): Promise<VethPair> {
    const index = nextLinkIndex++;
    const pair = { a: linkName(this.stem, index, 'a'), b: linkName(this.stem, index, 'b') };
    const netnsArgs = (ns: NamespaceRef): string[] => (ns === null ? [] : ['netns', ns]);
    await run(['ip', 'link', 'add', pair.a, ...netnsArgs(a.ns), 'type', 'veth', 'peer', 'name', pair.b, ...netnsArgs(b.ns)]);
    for (const [end, name] of [
      [a, pair.a],
      [b, pair.b],
    ] as const) {
      if (end.ns === null) {
        this.rootLinks.push(name);
        await this.sysctl(null, `net.ipv6.conf.${name}.disable_ipv6`, '1');
      }
      if (end.mtu !== undefined) await run([...ipArgs(end.ns), 'link', 'set', name, 'mtu', String(end.mtu)]);
      if (end.address !== undefined) await this.addAddress(end.ns, name, end.address);
      await run([...ipArgs(end.ns), 'link', 'set', name, 'up']);
    }
    return pair;
  }

  async addAddress(ns: NamespaceRef, dev: string, cidr: string): Promise<void> {
    await run([...ipArgs(ns), 'address', 'add', cidr, 'dev', dev]);
  }

  /** `ip route add DST [via GW] [dev DEV]` in `ns`. */
  async addRoute(ns: NamespaceRef, dst: string, via: { gateway?: string; dev?: string }): Promise<void> {
    await run([...ipArgs(ns), 'route', 'add', dst, ...routeTail(via)]);
  }

  async deleteRoute(ns: NamespaceRef, dst: string): Promise<void> {
    await run([...ipArgs(ns), 'route', 'del', dst]);
  }

  async setMtu(ns: NamespaceRef, dev: string, mtu: number): Promise<void> {
    await run([...ipArgs(ns), 'link', 'set', dev, 'mtu', String(mtu)]);
  }

  async sysctl(ns: NamespaceRef, key: string, value: string): Promise<void> {
    const argv = ['sysctl', '-q', '-w', `${key}=${value}`];
    await run(ns === null ? argv : inNamespace(ns, argv));
  }

  /**
   * Loads an nftables ruleset in `ns` with `nft -f -`. nft wants each rule and
   * each closing brace on its own line; pass the ruleset written that way.
   */
  async nft(ns: string, ruleset: string): Promise<void> {
    await run(inNamespace(ns, ['nft', '-f', '-']), { input: ruleset.endsWith('\n') ? ruleset : ruleset + '\n' });
  }

  /** `nft ARGS...` in `ns`, e.g. ['delete', 'table', 'ip', 'kp']. */
  async nftCommand(ns: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    return run(inNamespace(ns, ['nft', ...args]), options);
  }

  /** Runs a command inside `ns` (no shell), bounded by options.timeoutMs (default 10 s). */
  exec(ns: string, argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    return run(inNamespace(ns, argv), options);
  }

  /** Starts a long-running command inside `ns`; stopped by destroy() if still running. */
  spawn(ns: string, argv: readonly string[], env?: NodeJS.ProcessEnv): LabProcess {
    const proc = new LabProcess(inNamespace(ns, argv), env);
    this.processes.push(proc);
    liveProcesses.add(proc);
    void proc.exited.then(() => liveProcesses.delete(proc));
    return proc;
  }

  /** A private temporary directory (configs, logs), removed by destroy(). */
  tmpDir(): string {
    this.tmp ??= mkdtempSync(path.join(os.tmpdir(), `${this.stem}-`));
    return this.tmp;
  }

  /** Stops processes, deletes namespaces and root links. Safe to call twice and after a failed build. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    const failures: string[] = [];
    await Promise.all(this.processes.map((proc) => proc.stop(1000)));
    for (const ns of this.namespaces.reverse()) {
      await deleteNamespace(ns).catch((error: Error) => failures.push(`${ns}: ${error.message}`));
    }
    for (const link of this.rootLinks) {
      // Usually already gone with its peer's namespace.
      await run(['ip', 'link', 'del', link], { allowFailure: true });
    }
    if (this.tmp) rmSync(this.tmp, { recursive: true, force: true });
    if (failures.length > 0) throw new Error(`lab cleanup failed:\n${failures.join('\n')}`);
  }
}

function routeTail(via: { gateway?: string; dev?: string }): string[] {
  const tail: string[] = [];
  if (via.gateway !== undefined) tail.push('via', via.gateway);
  if (via.dev !== undefined) tail.push('dev', via.dev);
  if (tail.length === 0) throw new Error('lab: a route needs a gateway or a device');
  return tail;
}
