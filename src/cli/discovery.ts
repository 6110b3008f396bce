// Kubernetes discovery for `netprobe run`: a config file with a `kubernetes:`
// block names discovered targets (kubernetes:dns-service, kubernetes:peers:9810...).
// Discovery starts before the first load; each load resolves the refs from
// its current sets into a plain config, and the daemon reloads (debounced)
// whenever those sets change, so departed targets lose their series.
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import type { Daemon } from '../app/daemon.ts';
import { ConfigError, parseConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { attachDiscoveryMetrics } from '../metrics/record-discovery.ts';
import {
  type Discovery,
  discoveryOptionsFromConfig,
  kubernetesSchema,
  onDiscoveredChange,
  resolveDiscoveryRefs,
  snapshotOf,
  startDiscovery,
} from '../targets/kubernetes/index.ts';
import type { Logger } from '../util/logger.ts';

/** How long the first load waits for every watch to list before going on with what it has. */
const FIRST_SYNC_MS = 10_000;

export interface ClusterTargets {
  /** Reads the file and resolves its refs from the current discovered sets. */
  load(): Config;
  /** Discovery metrics into the daemon's sink, and reload on change. */
  attach(daemon: Daemon, applyFlags: (config: Config) => Config): void;
  stop(): Promise<void>;
}

function readRaw(file: string): { text: string; raw: unknown } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError([`${file}: cannot read config file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`]);
  }
  let raw: unknown;
  try {
    raw = parse(text);
  } catch {
    raw = undefined; // parseConfig reports YAML errors with positions
  }
  return { text, raw };
}

/** Starts discovery when the file has an enabled `kubernetes:` block; undefined otherwise. */
export async function startClusterTargets(file: string, env: NodeJS.ProcessEnv, log: Logger): Promise<ClusterTargets | undefined> {
  const { raw } = readRaw(file);
  if (raw === null || typeof raw !== 'object' || !('kubernetes' in raw)) return undefined;
  const block = kubernetesSchema.safeParse((raw as { kubernetes: unknown }).kubernetes);
  if (!block.success) {
    throw new ConfigError(block.error.issues.map((i) => `${file}: kubernetes.${i.path.join('.')}: ${i.message}`));
  }
  if (!block.data.enabled) return undefined;
  const sourceNode = (raw as { sourceNode?: unknown }).sourceNode;
  const options = discoveryOptionsFromConfig(block.data, {
    env,
    readFile: (p) => readFileSync(p, 'utf8'),
    ...(typeof sourceNode === 'string' ? { sourceNode } : {}),
  });
  const discovery: Discovery = startDiscovery(options, { log: (message) => log.warn(message) });
  if (!(await discovery.synced(FIRST_SYNC_MS))) {
    log.warn('Kubernetes API not fully listed yet; starting with what is known, targets follow when it answers', {
      pending: discovery.status().filter((s) => !s.synced).map((s) => s.resource),
    });
  }
  let unsubscribe = () => {};

  const load = (): Config => {
    const { text, raw: current } = readRaw(file);
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return parseConfig(text, file);
    let resolved;
    try {
      resolved = resolveDiscoveryRefs(current as Record<string, unknown>, snapshotOf(discovery));
    } catch (error) {
      throw new ConfigError([`${file}: ${(error as Error).message}`]);
    }
    if (resolved.skipped.length) log.info('probes waiting for discovered targets', { probes: resolved.skipped });
    return parseConfig(stringify(resolved.config), file);
  };

  return {
    load,
    attach(daemon, applyFlags) {
      const detach = attachDiscoveryMetrics(daemon.prometheus, discovery);
      const off = onDiscoveredChange(discovery, () => {
        let next: Config;
        try {
          next = applyFlags(load());
        } catch (error) {
          log.error('discovered targets not applied; keeping the running config', {
            problems: error instanceof ConfigError ? error.problems : [String(error)],
          });
          return;
        }
        daemon.reload(next).catch((error: Error) => log.error('reload after discovery change failed', { error: error.message }));
      });
      unsubscribe = () => {
        off();
        detach();
      };
    },
    async stop() {
      unsubscribe();
      await discovery.stop();
    },
  };
}
