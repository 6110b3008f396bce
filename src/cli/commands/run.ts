import { Command, Option } from 'commander';
import { Daemon } from '../../app/daemon.ts';
import { EMBEDDED_DEFAULT_YAML } from '../../app/embedded-default.ts';
import { parseHostPort } from '../../config/common.ts';
import type { ClusterTargets, LoadedConfig } from '../../app/cluster-targets.ts';
import { ConfigError, loadConfigFile, parseConfig } from '../../config/load.ts';
import type { Config } from '../../config/schema.ts';
import { createLogger, type Level } from '../../util/logger.ts';
import { EXIT_USAGE, UsageError, action } from '../errors.ts';

const IN_CLUSTER_CONFIG = '/etc/netprobe/config.yaml';
const STOP_GRACE_MS = 5000;

interface RunFlags {
  config?: string;
  listen?: string;
  fault?: 'none' | 'conntrack-race';
  logLevel: Level;
}

export function runCommand(): Command {
  return new Command('run')
    .description(
      'run the probe daemon. Without --config outside a cluster it probes only its own DNS responder on 127.0.0.1 (the embedded default).',
    )
    .option('-c, --config <file>', `YAML config (in a cluster default ${IN_CLUSTER_CONFIG}, or $NETPROBE_CONFIG)`)
    .option('--listen <host:port>', 'override the HTTP listen address (e.g. 127.0.0.1:0 for a free port)')
    .addOption(new Option('--fault <fault>', 'embedded responder fault (reproduces F1 locally)').choices(['none', 'conntrack-race']))
    .addOption(new Option('--log-level <level>', 'log level').choices(['debug', 'info', 'warn', 'error']).default('info'))
    .action(action('run', (flags: RunFlags) => runDaemon(flags)));
}

async function runDaemon(flags: RunFlags): Promise<number> {
  const log = createLogger(flags.logLevel);
  const file = flags.config ?? process.env.NETPROBE_CONFIG ?? (process.env.KUBERNETES_SERVICE_HOST ? IN_CLUSTER_CONFIG : undefined);
  // A `kubernetes:` block starts discovery first: it feeds the targets of the probes that name refs.
  let cluster: ClusterTargets | undefined;
  try {
    cluster = file ? await (await import('../../app/cluster-targets.ts')).startClusterTargets(file, process.env, log) : undefined;
  } catch (error) {
    process.stderr.write(error instanceof ConfigError ? `${error.message}\n` : `netprobe run: ${file}: ${(error as Error).message}\n`);
    return EXIT_USAGE;
  }
  const load = (): Partial<LoadedConfig> & { config: Config } => {
    const loaded = cluster ? cluster.load() : { config: file ? loadConfigFile(file) : parseConfig(EMBEDDED_DEFAULT_YAML, '(embedded default)') };
    return { ...loaded, config: applyFlags(loaded.config, flags) };
  };
  let loaded: ReturnType<typeof load>;
  try {
    loaded = load();
  } catch (error) {
    await cluster?.stop();
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return EXIT_USAGE;
  }
  if (!file) log.info('no config given and not in a cluster: using the embedded default (loopback only)');

  let daemon: Daemon;
  try {
    daemon = await Daemon.start({ ...loaded, env: process.env, log });
  } catch (error) {
    // Target expansion (resolv.conf without nameservers, bad server) and listen errors.
    await cluster?.stop();
    process.stderr.write(`netprobe run: ${file ?? '(embedded default)'}: ${(error as Error).message}\n`);
    return EXIT_USAGE;
  }
  process.stdout.write(`netprobe ${file ? `(${file})` : '(embedded default)'}: metrics at ${daemon.url}/metrics\n`);
  cluster?.attach(daemon);
  if (daemon.embeddedDns) {
    process.stdout.write(`embedded DNS responder on ${daemon.embeddedDns.host}:${daemon.embeddedDns.port} (udp+tcp), fault: ${loaded.config.embedded.dns.fault}\n`);
  }

  process.on('SIGHUP', () => {
    try {
      const next = load();
      daemon.reload(next.config, next.live).then(
        () => log.info('config reloaded', { file: file ?? '(embedded default)' }),
        (error: Error) => log.error('config reload failed; targets of the running config kept', { error: error.message }),
      );
    } catch (error) {
      // Keep running on the last good config: a typo must not take probing down.
      daemon.reloadRejected();
      log.error('config reload rejected; keeping the running config', {
        problems: error instanceof ConfigError ? error.problems : [String(error)],
      });
    }
  });

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info('stopping', { signal });
      const force = setTimeout(() => {
        log.error('stop took too long; exiting');
        process.exit(1);
      }, STOP_GRACE_MS);
      force.unref();
      void daemon
        .stop()
        .then(() => cluster?.stop())
        .then(resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}

function applyFlags(config: Config, flags: RunFlags): Config {
  let next = config;
  if (flags.listen !== undefined) {
    const listen = parseHostPort(flags.listen, 9810, { allowZero: true });
    if (!listen) throw new UsageError(`--listen: expected HOST:PORT, got "${flags.listen}"`);
    next = { ...next, listen };
  }
  if (flags.fault !== undefined) next = { ...next, embedded: { dns: { ...next.embedded.dns, fault: flags.fault } } };
  return next;
}
