// Running netprobe itself inside a lab namespace: the same CLI and daemon users
// run, on Node from the project's `node` devDependency, by absolute path (inside
// `ip netns exec` there is no npx and no shell).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LabProcess, RunOptions, RunResult } from './exec.ts';
import type { Lab } from './lab.ts';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const NODE_BIN = path.join(REPO_ROOT, 'node_modules', '.bin', 'node');
const CLI_MAIN = path.join(REPO_ROOT, 'src', 'cli', 'main.ts');

/** argv for `netprobe ARGS...` without a shell. */
export function netprobeArgv(args: readonly string[]): string[] {
  if (!existsSync(NODE_BIN)) throw new Error(`lab: ${NODE_BIN} is missing (the "node" devDependency); run the project's install first`);
  if (!existsSync(CLI_MAIN)) throw new Error(`lab: ${CLI_MAIN} is missing`);
  return [NODE_BIN, CLI_MAIN, ...args];
}

/** Runs one netprobe command (e.g. `dns NAME --server VIP --json`) inside `ns` and returns its output. */
export function runNetprobe(lab: Lab, ns: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return lab.exec(ns, netprobeArgv(args), { timeoutMs: 60_000, ...options });
}

export interface NetprobeDaemon {
  process: LabProcess;
  /** The /metrics URL the daemon printed (its own listen address inside the namespace). */
  printedUrl: string;
}

/** Starts `netprobe run --config FILE` inside `ns` and waits for it to print its /metrics URL. */
export async function startNetprobeDaemon(lab: Lab, ns: string, configFile: string, timeoutMs = 20_000): Promise<NetprobeDaemon> {
  const proc = lab.spawn(ns, netprobeArgv(['run', '--config', configFile]), { ...process.env, NODE_NAME: 'lab-node' });
  const match = await proc.waitForOutput(/https?:\/\/[^\s"']+\/metrics/, timeoutMs);
  return { process: proc, printedUrl: match[0] };
}
