import { Command } from 'commander';
import { ConfigError, loadConfigFile } from '../../config/load.ts';
import { PLACEHOLDER_SNAPSHOT, resolveDiscoveryRefs } from '../../targets/kubernetes/resolve.ts';
import { EXIT_USAGE, action } from '../errors.ts';

/** Discovery refs checked against one stand-in target each: no cluster needed. */
export const withStandIns = (raw: Record<string, unknown>) => resolveDiscoveryRefs(raw, PLACEHOLDER_SNAPSHOT).config;

export function validateConfigCommand(): Command {
  return new Command('validate-config')
    .description('check a config file against the schema; prints every problem as FILE:LINE:COL: key.path: message')
    .argument('<file>', 'YAML config file')
    .action(
      action('validate-config', async (file: string) => {
        try {
          const config = loadConfigFile(file, { transform: withStandIns });
          process.stdout.write(`${file}: ok (${config.probes.length} probe${config.probes.length === 1 ? '' : 's'})\n`);
          return 0;
        } catch (error) {
          if (!(error instanceof ConfigError)) throw error;
          process.stderr.write(`${error.message}\n`);
          return EXIT_USAGE;
        }
      }),
    );
}
