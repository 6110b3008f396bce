// Kubernetes discovery for `netprobe run`: a config file with a `kubernetes:`
// block names discovered targets (kubernetes:dns-service, kubernetes:peers:9810...).
// Discovery starts before the first load; each load resolves the refs from
// its current sets into a plain config, and the daemon reloads (debounced)
// whenever those sets change, so departed targets lose their series.
import { readFileSync } from 'node:fs';
import type { Daemon } from '../app/daemon.ts';
import { ConfigError, loadConfigFile } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { attachDiscoveryMetrics } from '../metrics/record-discovery.ts';
import type { Discovery } from '../targets/kubernetes/discovery.ts';
// Only the ref resolution here: the API client (and its HTTP stack, a third
// of the daemon's memory) is imported when a config enables discovery.
import { onDiscoveredChange, PLACEHOLDER_SNAPSHOT, resolveDiscoveryRefs, snapshotOf } from '../targets/kubernetes/resolve.ts';
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

/** Checks the file with one stand-in per discovery ref: positioned errors, no cluster needed. */
function checkShape(file: string): Config {
  return loadConfigFile(file, { transform: (raw) => resolveDiscoveryRefs(raw, PLACEHOLDER_SNAPSHOT).config });
}

/** Starts discovery when the file has an enabled `kubernetes:` block; undefined otherwise. */
export async function startClusterTargets(file: string, env: NodeJS.ProcessEnv, log: Logger): Promise<ClusterTargets | undefined> {
  const checked = checkShape(file);
  if (!checked.kubernetes?.enabled) return undefined;
  const { discoveryOptionsFromConfig, startDiscovery } = await import('../targets/kubernetes/index.ts');
  const options = discoveryOptionsFromConfig(checked.kubernetes, {
    env,
    readFile: (p) => readFileSync(p, 'utf8'),
    ...(checked.sourceNode !== undefined ? { sourceNode: checked.sourceNode } : {}),
  });
  const discovery: Discovery = startDiscovery(options, { log: (message) => log.warn(message) });
  if (!(await discovery.synced(FIRST_SYNC_MS))) {
    log.warn('Kubernetes API not fully listed yet; starting with what is known, targets follow when it answers', {
      pending: discovery.status().filter((s) => !s.synced).map((s) => s.resource),
    });
  }
  let unsubscribe = () => {};

  const load = (): Config => {
    // Validate the file's own shape first, so errors point at its lines.
    checkShape(file);
    let waitingForAll = false;
    const config = loadConfigFile(file, {
      transform: (raw) => {
        const resolved = resolveDiscoveryRefs(raw, snapshotOf(discovery));
        if (resolved.skipped.length) log.info('probes waiting for discovered targets', { probes: resolved.skipped });
        if ((resolved.config.probes as unknown[] | undefined)?.length !== 0) return resolved.config;
        // Every probe waits for discovery: run none yet rather than refuse the file.
        waitingForAll = true;
        return resolveDiscoveryRefs(raw, PLACEHOLDER_SNAPSHOT).config;
      },
    });
    return waitingForAll ? { ...config, probes: [] } : config;
  };

  return {
    load,
    attach(daemon, applyFlags) {
      const detach = attachDiscoveryMetrics(daemon.sink, discovery);
      const off = onDiscoveredChange(discovery, () => {
        let next: Config;
        try {
          next = applyFlags(load());
        } catch (error) {
          daemon.reloadRejected();
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
