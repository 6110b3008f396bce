// The verdict contract: what the diagnosis engine says about a fault. Shared by
// the daemon's local verdicts (/api/verdicts, netprobe_verdict, the status
// page) and the fleet verdicts of `netprobe diagnose --prometheus`. Plain data:
// nothing here knows sockets, Prometheus or HTTP.

/** The failure modes of docs/diagnosis.md (F1..F9). */
export type FailureMode = 'F1' | 'F2' | 'F3' | 'F4' | 'F5' | 'F6' | 'F7' | 'F8' | 'F9';

export const FAILURE_MODES: readonly FailureMode[] = ['F1', 'F2', 'F3', 'F4', 'F5', 'F6', 'F7', 'F8', 'F9'];

/** Where a verdict applies: one node, one target (from some nodes), or the fleet. */
export type VerdictScope = 'node' | 'target' | 'fleet';

/** One signal that supports (or was checked for) a verdict. */
export interface Evidence {
  /** What was measured, e.g. "stalled lookups, mode=parallel" or a PromQL expression. */
  signal: string;
  /** The measured value (a fraction, a count, bytes, seconds). */
  value: number;
  /** The bar the value was compared with. */
  threshold: number;
  /** How value relates to threshold for this signal to hold. */
  comparison: '>=' | '<=' | '>' | '<' | '==';
  /** Unit of value/threshold for display: "ratio", "count", "bytes", "seconds". */
  unit: string;
  /** Whether this signal held (false for a rule-out that was checked and passed). */
  holds: boolean;
}

/** An exact command an engineer runs next, with the runbook anchor that explains it. */
export interface NextStep {
  command: string;
  /** Why this command, in one line. */
  why: string;
  /** Absolute or repo-relative link into docs/runbooks.md, e.g. "docs/runbooks.md#f1-conntrack-race". */
  runbook: string;
}

export interface Verdict {
  failure: FailureMode;
  /** One line: what is broken, e.g. "conntrack insert race on UDP DNS via 10.96.0.10". */
  title: string;
  scope: VerdictScope;
  source_nodes: string[];
  /** Target labels (ip:port, server) the verdict is about; empty for node-wide faults. */
  targets: string[];
  /** Wall-clock ms since the epoch when the evidence first held (this episode). */
  since: number;
  /** "firing" normally; "unknown" when data the verdict needs is missing (see `needs`). */
  status: 'firing' | 'unknown';
  /** For status "unknown": what is missing, e.g. "kube-state-metrics kube_node_created". */
  needs?: string;
  evidence: Evidence[];
  next_steps: NextStep[];
}
