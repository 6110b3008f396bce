// Names for lab namespaces and links. Veths are born in the root namespace where
// names collide across parallel vitest workers, and Linux caps link names at 15
// characters, so every name is built from fixed-width parts:
//
//   "np" + file tag (4, hash of the test file name) + pid (5, base36) + index (2) + side (1) = 14
//
// Namespaces use the same stem plus a readable role ("npk3fa0009x-0-node").
// The stem lets a later run of the same file find and remove what a crashed run
// left behind, without touching other files' or live runs' objects.
import { createHash } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './exec.ts';

export const PROJECT_PREFIX = 'np';
const TAG_CHARS = 4;
const PID_CHARS = 5;
const INDEX_CHARS = 2;
export const LINK_NAME_MAX = 15;

/** Short stable tag of a test file: the same file always gets the same tag. */
export function fileTag(testFile: string): string {
  const file = testFile.startsWith('file:') ? fileURLToPath(testFile) : testFile;
  const base = path.basename(file).replace(/\.test\.[cm]?[jt]s$/, '');
  const digest = createHash('sha256').update(base).digest();
  // 4 base36 chars from the first 32 bits of the hash: 1.7 M values, collisions between files negligible.
  return (digest.readUInt32BE(0) % 36 ** TAG_CHARS).toString(36).padStart(TAG_CHARS, '0');
}

export function pidPart(pid: number): string {
  const text = pid.toString(36);
  if (text.length > PID_CHARS) throw new Error(`pid ${pid} does not fit the lab naming scheme`);
  return text.padStart(PID_CHARS, '0');
}

/** "np" + tag: every object any run of this test file creates starts with it. */
export function fileStem(testFile: string): string {
  return PROJECT_PREFIX + fileTag(testFile);
}

/** "np" + tag + pid: every object this process creates for this test file starts with it. */
export function runStem(testFile: string, pid: number = process.pid): string {
  return fileStem(testFile) + pidPart(pid);
}

/** Link names unique within a process: stem + index + side ("a"/"b"). */
export function linkName(stem: string, index: number, side: string): string {
  if (index >= 36 ** INDEX_CHARS) throw new Error(`lab: more than ${36 ** INDEX_CHARS} links in one process`);
  const name = stem + index.toString(36).padStart(INDEX_CHARS, '0') + side;
  if (name.length > LINK_NAME_MAX) throw new Error(`lab: link name ${name} is longer than ${LINK_NAME_MAX} characters`);
  return name;
}

/** The pid encoded in a lab object's name, if the name belongs to `fileStemText`. */
export function pidOfName(name: string, fileStemText: string): number | undefined {
  if (!name.startsWith(fileStemText)) return undefined;
  const text = name.slice(fileStemText.length, fileStemText.length + PID_CHARS);
  if (!/^[0-9a-z]{5}$/.test(text)) return undefined;
  return parseInt(text, 36);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function listNamespaces(): Promise<string[]> {
  const result = await run(['ip', 'netns', 'list']);
  // Lines look like "name (id: 3)" or just "name".
  return result.stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((name) => name.length > 0);
}

export async function listRootLinks(): Promise<string[]> {
  const result = await run(['ip', '-o', 'link', 'show']);
  // "12: npk3fa00090a@if11: <...>": the name ends at "@" or ":".
  return result.stdout
    .split('\n')
    .map((line) => /^\d+:\s+([^@:\s]+)/.exec(line)?.[1] ?? '')
    .filter((name) => name.length > 0);
}

/** Kills every process still inside `ns` (a DNS server, a daemon), then deletes it. */
export async function deleteNamespace(ns: string): Promise<void> {
  const pids = await run(['ip', 'netns', 'pids', ns], { allowFailure: true });
  for (const text of pids.stdout.split(/\s+/).filter(Boolean)) {
    const pid = Number(text);
    if (Number.isInteger(pid) && pid > 1 && pid !== process.pid) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  await run(['ip', 'netns', 'del', ns], { allowFailure: true });
}

/**
 * Removes namespaces and root links of earlier runs of the same test file whose
 * process is gone (a crashed or killed run). Live runs, including this process
 * and other workers, are left alone. Returns what was removed.
 */
export async function clearLeftovers(testFile: string): Promise<string[]> {
  const stem = fileStem(testFile);
  const stale = (name: string): boolean => {
    const pid = pidOfName(name, stem);
    return pid !== undefined && pid !== process.pid && !processAlive(pid);
  };
  const removed: string[] = [];
  for (const ns of (await listNamespaces()).filter(stale)) {
    await deleteNamespace(ns);
    removed.push(ns);
  }
  // Deleting a namespace also removes veths whose peer lived there; what is left
  // in the root namespace is a half-built pair or a root-side end.
  for (const link of (await listRootLinks()).filter(stale)) {
    await run(['ip', 'link', 'del', link], { allowFailure: true });
    removed.push(link);
  }
  // Lab.tmpDir() directories (configs, logs) are named with the same stem.
  for (const entry of readdirSync(os.tmpdir()).filter(stale)) {
    rmSync(path.join(os.tmpdir(), entry), { recursive: true, force: true });
    removed.push(entry);
  }
  return removed;
}
