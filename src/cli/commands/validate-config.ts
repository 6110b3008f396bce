import { Command } from 'commander';
import { checkShape } from '../../app/cluster-targets.ts';
import { ConfigError } from '../../config/load.ts';
import { EXIT_USAGE, action } from '../errors.ts';

export function validateConfigCommand(): Command {
  return new Command('validate-config')
    .description('check a config file against the schema; prints every problem as FILE:LINE:COL: key.path: message')
    .argument('<file>', 'YAML config file')
    .action(
      action('validate-config', async (file: string) => {
        try {
          const config = checkShape(file);
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
