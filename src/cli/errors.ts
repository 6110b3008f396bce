import { Command, CommanderError } from 'commander';

/** Exit codes: 0 fine, 1 probe failures, 2 bad usage or bad config. */
export const EXIT_USAGE = 2;

/** A bad flag value: reported as "netprobe CMD: --flag: problem", exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Commander's own usage errors (unknown option, missing argument) exit 2 too. */
export function withUsageExit(command: Command): Command {
  command.exitOverride((error: CommanderError) => {
    process.exit(error.exitCode === 0 ? 0 : EXIT_USAGE);
  });
  for (const sub of command.commands) withUsageExit(sub);
  return command;
}

/** Runs a command action; UsageError -> message + exit 2. */
export function action<A extends unknown[]>(name: string, fn: (...args: A) => Promise<number | void>) {
  return async (...args: A): Promise<void> => {
    try {
      const code = await fn(...args);
      if (typeof code === 'number') process.exitCode = code;
    } catch (error) {
      if (error instanceof UsageError) {
        process.stderr.write(`netprobe ${name}: ${error.message}\n`);
        process.exitCode = EXIT_USAGE;
        return;
      }
      throw error;
    }
  };
}
