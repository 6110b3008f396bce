// The process-wide ICMP engines, one per socket mode and address family, opened on first use.
// One socket serves every ICMP probe and target of the process (requests are
// matched by sequence number), which is what keeps 1,000 targets cheap; so
// this is deliberately shared state rather than one socket per run.
import { openIcmpEngine, type IcmpEngine, type IcmpSocketMode } from '../../native/icmp.ts';

// What the run-once commands (mtu, trace) need of the native engine: they reach it through the kind.
export { MAX_PACKET, MIN_PACKET, MIN_PACKET6, openIcmpEngine, type IcmpEngine } from '../../native/icmp.ts';

const engines = new Map<string, IcmpEngine>();

/** The shared engine for `mode` and address family; throws a setup error naming the missing privilege. */
export function sharedIcmpEngine(mode: 'auto' | IcmpSocketMode = 'auto', family: 4 | 6 = 4): IcmpEngine {
  const key = `${mode}/${family}`;
  let engine = engines.get(key);
  if (!engine) {
    engine = openIcmpEngine({ mode, family });
    engines.set(key, engine);
  }
  return engine;
}

/** Closes the shared engines (daemon shutdown, end of a CLI command). */
export function closeSharedIcmpEngines(): void {
  for (const engine of engines.values()) engine.close();
  engines.clear();
}
