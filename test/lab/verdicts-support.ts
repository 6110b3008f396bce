// Shared by the verdict lab tests (verdicts-*.test.ts): start a daemon in a
// lab namespace with a JSON config, read its /api/verdicts, and wait until the
// verdict set is exactly what a fault should give, recording every verdict
// seen on the way (so "and no other" can be asserted, not just "eventually").
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Verdict } from '../../src/diagnosis/types.ts';
import { httpGet, startNetprobeDaemon, type Lab, type NetprobeDaemon } from './harness/index.ts';

/** Per verdict wait: the spec's 60 s from injection. */
export const VERDICT_DEADLINE_MS = 60_000;

export interface LabDaemon {
  daemon: NetprobeDaemon;
  verdicts(): Promise<Verdict[]>;
}

/** `netprobe run` in `ns`; verdicts read over HTTP from the test process (root<->node veth). */
export async function startLabDaemon(lab: Lab, ns: string, listen: string, sourceNode: string, probes: object[]): Promise<LabDaemon> {
  const file = path.join(lab.tmpDir(), `${sourceNode}.yaml`);
  writeFileSync(file, JSON.stringify({ sourceNode, listen, probes }, null, 2));
  const daemon = await startNetprobeDaemon(lab, ns, file, 60_000);
  return { daemon, verdicts: async () => (JSON.parse(await httpGet(`http://${listen}/api/verdicts`)) as { verdicts: Verdict[] }).verdicts };
}

/** The same, for a namespace the test process cannot reach: verdicts read with curl inside it. */
export async function startNsDaemon(lab: Lab, ns: string, listen: string, sourceNode: string, probes: object[]): Promise<LabDaemon> {
  const file = path.join(lab.tmpDir(), `${sourceNode}.yaml`);
  writeFileSync(file, JSON.stringify({ sourceNode, listen, probes }, null, 2));
  const daemon = await startNetprobeDaemon(lab, ns, file, 60_000);
  return {
    daemon,
    verdicts: async () => {
      const r = await lab.exec(ns, ['curl', '-sS', '--max-time', '3', `http://${listen}/api/verdicts`], { timeoutMs: 5000 });
      return (JSON.parse(r.stdout) as { verdicts: Verdict[] }).verdicts;
    },
  };
}

/** "F1", or "F1?" for status unknown. */
export const labelOf = (v: Verdict): string => `${v.failure}${v.status === 'unknown' ? '?' : ''}`;

export interface Watch {
  ok: boolean;
  elapsedMs: number;
  /** Every verdict label seen in any poll. */
  seen: string[];
  last: Verdict[];
  polls: number;
}

/** Polls until the sorted verdict labels equal `want` (bounded by deadlineMs). */
export async function watchVerdicts(read: () => Promise<Verdict[]>, want: readonly string[], deadlineMs = VERDICT_DEADLINE_MS): Promise<Watch> {
  const started = performance.now();
  const seen = new Set<string>();
  const target = [...want].sort().join(',');
  let last: Verdict[] = [];
  let polls = 0;
  while (performance.now() - started < deadlineMs) {
    polls++;
    try {
      last = await read();
    } catch {
      last = [];
    }
    const labels = last.map(labelOf).sort();
    for (const l of labels) seen.add(l);
    if (labels.join(',') === target) return { ok: true, elapsedMs: performance.now() - started, seen: [...seen].sort(), last, polls };
    await new Promise((r) => setTimeout(r, 500));
  }
  return { ok: false, elapsedMs: performance.now() - started, seen: [...seen].sort(), last, polls };
}

export function describeWatch(w: Watch, extra = ''): string {
  return `after ${Math.round(w.elapsedMs)} ms (${w.polls} polls) seen ${JSON.stringify(w.seen)}; last: ${JSON.stringify(w.last.map((v) => ({ f: labelOf(v), t: v.title, targets: v.targets })))}\n${extra}`;
}
