// Kubernetes discovery for `netprobe run`: a config file with a `kubernetes:`
// block names discovered targets (kubernetes:dns-service, kubernetes:peers:9810...).
// Discovery starts before the first load. A load checks the file (stand-ins for
// the refs, then the sets known now) and hands the daemon, beside the config,
// the live targets of the probes that name refs. A discovery change then
// re-expands those probes alone (debounced): the file is not read again, and
// the jobs and series of every other target stay as they are.
import { readFileSync } from 'node:fs';
import { ConfigError, loadConfigFile } from '../config/load.ts';
import { configSchema, type Config, type ProbeConfig } from '../config/schema.ts';
import { attachDiscoveryMetrics } from '../metrics/record-discovery.ts';
import type { DiscoverySourceName } from '../targets/kubernetes/config.ts';
import type { Discovery } from '../targets/kubernetes/discovery.ts';
// Only the ref resolution here: the API client (and its HTTP stack, a third
// of the daemon's memory) is imported when a config enables discovery.
import { onDiscoveredChange, PLACEHOLDER_SNAPSHOT, refSources, resolveDiscoveryRefs, resolveProbe, snapshotOf } from '../targets/kubernetes/resolve.ts';
import type { ProbeSources } from '../targets/types.ts';
import type { Logger } from '../util/logger.ts';
import type { Daemon } from './daemon.ts';

/** How long the first load waits for every watch to list before going on with what it has. */
const FIRST_SYNC_MS = 10_000;

/** How long discovery must be quiet before a change is applied: a rollout's burst of events becomes one. */
const DEBOUNCE_MS = 1000;

export interface LoadedConfig {
  config: Config;
  /** The live targets of the probes that name discovery refs. */
  live: ProbeSources<ProbeConfig>;
}

export interface ClusterTargets {
  /** Reads and checks the file; its probes that name refs get their targets from discovery. */
  load(): LoadedConfig;
  /** Discovery metrics into the daemon's sink. */
  attach(daemon: Daemon): void;
  stop(): Promise<void>;
}

/** Discovery refs replaced by one stand-in target each: the file's shape is checked with no cluster. */
export const withStandIns = (raw: Record<string, unknown>): Record<string, unknown> => resolveDiscoveryRefs(raw, PLACEHOLDER_SNAPSHOT).config;

/** Checks the file with one stand-in per discovery ref: positioned errors, no cluster needed (also `netprobe validate-config`). */
export function checkShape(file: string): Config {
  return loadConfigFile(file, { transform: withStandIns });
}

/**
 * The live targets of the probes in `raw` (a parsed config file) that name
 * discovery refs: each resolves from discovery's current sets when asked,
 * and onChange names the probes that use a source that changed.
 */
export function probeSourcesOf(raw: Record<string, unknown>, discovery: Discovery, options: { file: string; debounceMs?: number }): ProbeSources<ProbeConfig> {
  const { probes: rawProbes, ...top } = raw;
  const byName = new Map<string, { probe: Record<string, unknown>; sources: Set<DiscoverySourceName> }>();
  for (const probe of Array.isArray(rawProbes) ? (rawProbes as Record<string, unknown>[]) : []) {
    const sources = refSources(probe);
    if (sources.size) byName.set(String(probe.name), { probe, sources });
  }
  return {
    probes: new Set(byName.keys()),
    current(name) {
      const entry = byName.get(name);
      if (!entry) return undefined;
      let resolved: Record<string, unknown> | undefined;
      try {
        resolved = resolveProbe(entry.probe, snapshotOf(discovery));
      } catch (error) {
        throw new ConfigError([`${options.file}: ${(error as Error).message}`]);
      }
      if (!resolved) return undefined;
      // The file's own checks passed at load; this validates the targets found.
      const parsed = configSchema.safeParse({ ...top, probes: [resolved] });
      if (!parsed.success) {
        throw new ConfigError(parsed.error.issues.map((issue) => `${options.file}: probe "${name}": ${issue.path.slice(2).join('.') || 'targets'}: ${issue.message}`));
      }
      return parsed.data.probes[0];
    },
    onChange(listener) {
      return onDiscoveredChange(
        discovery,
        (sources) => {
          const changed = new Set<string>();
          for (const [name, entry] of byName) if ([...entry.sources].some((s) => sources.has(s))) changed.add(name);
          if (changed.size) listener(changed);
        },
        options.debounceMs ?? DEBOUNCE_MS,
      );
    },
  };
}

/** Starts discovery when the file has an enabled `kubernetes:` block; undefined otherwise. */
export async function startClusterTargets(file: string, env: NodeJS.ProcessEnv, log: Logger): Promise<ClusterTargets | undefined> {
  let rawProbes: unknown[] = [];
  const checked = loadConfigFile(file, {
    transform: (parsed) => {
      rawProbes = Array.isArray(parsed.probes) ? parsed.probes : [];
      return withStandIns(parsed);
    },
  });
  if (!checked.kubernetes?.enabled) return undefined;
  const { discoveryOptionsFromConfig, startDiscovery } = await import('../targets/kubernetes/index.ts');
  const readFile = (p: string) => readFileSync(p, 'utf8');
  const sourceNode = checked.sourceNode !== undefined ? { sourceNode: checked.sourceNode } : {};
  // The `kubernetes` Service is watched only for a file that probes it (a reload that adds one uses the pod's environment).
  const uses = { apiService: rawProbes.some((p) => refSources(p).has('apiService')) };
  const options = discoveryOptionsFromConfig(checked.kubernetes, { env, readFile, ...sourceNode }, uses);
  const discovery: Discovery = startDiscovery(options, { log: (message) => log.warn(message) });
  if (!(await discovery.synced(FIRST_SYNC_MS))) {
    log.warn('Kubernetes API not fully listed yet; starting with what is known, targets follow when it answers', {
      pending: discovery.status().filter((s) => !s.synced).map((s) => s.resource),
    });
  }
  let detach = () => {};

  const load = (): LoadedConfig => {
    // Validate the file's own shape first, so errors point at its lines.
    checkShape(file);
    let raw: Record<string, unknown> = {};
    let waitingForAll = false;
    // Then with the targets known now, so what they break (maxTargets) is positioned too.
    const config = loadConfigFile(file, {
      transform: (parsed) => {
        raw = parsed;
        const resolved = resolveDiscoveryRefs(parsed, snapshotOf(discovery));
        if ((resolved.config.probes as unknown[] | undefined)?.length !== 0) return resolved.config;
        // Every probe waits for discovery: run none yet rather than refuse the file.
        waitingForAll = true;
        return resolveDiscoveryRefs(parsed, PLACEHOLDER_SNAPSHOT).config;
      },
    });
    return { config: waitingForAll ? { ...config, probes: [] } : config, live: probeSourcesOf(raw, discovery, { file }) };
  };

  return {
    load,
    attach(daemon) {
      detach = attachDiscoveryMetrics(daemon.sink, discovery);
    },
    async stop() {
      detach();
      await discovery.stop();
    },
  };
}
