// The process-wide ICMP engines, one per socket mode, opened on first use.
// One socket serves every ICMP probe and target of the process (requests are
// matched by sequence number), which is what keeps 1,000 targets cheap; so
// this is deliberately shared state rather than one socket per run.
import { openIcmpEngine, type IcmpEngine, type IcmpSocketMode } from '../../native/icmp.ts';

const engines = new Map<string, IcmpEngine>();

/** The shared engine for `mode`; throws a setup error naming the missing privilege. */
export function sharedIcmpEngine(mode: 'auto' | IcmpSocketMode = 'auto'): IcmpEngine {
  let engine = engines.get(mode);
  if (!engine) {
    engine = openIcmpEngine({ mode });
    engines.set(mode, engine);
  }
  return engine;
}

/** Closes the shared engines (daemon shutdown, end of a CLI command). */
export function closeSharedIcmpEngines(): void {
  for (const engine of engines.values()) engine.close();
  engines.clear();
}
