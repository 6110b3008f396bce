// The `netprobe` command tree, built in one place so the entry point, the
// generated CLI reference (docs/cli.md) and tests all see the same commands.
// Each command module is imported only when needed: `netprobe mtu HOST` loads
// the ICMP code and nothing of the daemon, DNS or Kubernetes discovery, which
// is most of a run-once command's start-up time.
import { Command } from 'commander';
import { VERSION } from '../app/version.ts';
import { withUsageExit } from './errors.ts';

/** Command name -> its module, in the order `netprobe --help` lists them. */
export const COMMANDS: Record<string, () => Promise<Command>> = {
  run: async () => (await import('./commands/run.ts')).runCommand(),
  'validate-config': async () => (await import('./commands/validate-config.ts')).validateConfigCommand(),
  dns: async () => (await import('./commands/dns.ts')).dnsCommand(),
  tcp: async () => (await import('./commands/tcp.ts')).tcpCommand(),
  mtu: async () => (await import('./commands/mtu.ts')).mtuCommand(),
  diagnose: async () => (await import('./commands/diagnose.ts')).diagnoseCommand(),
  trace: async () => (await import('./commands/trace.ts')).traceCommand(),
};

/**
 * The program for these arguments (process.argv without node and the script):
 * only the named command when the first argument names one, none for a bare
 * --version, every command otherwise (top-level help, `help CMD`, errors).
 */
export async function buildProgram(args?: readonly string[]): Promise<Command> {
  const first = args?.[0];
  let names = Object.keys(COMMANDS);
  if (first !== undefined && Object.hasOwn(COMMANDS, first)) names = [first];
  else if (args?.length === 1 && (first === '--version' || first === '-V')) names = [];
  const program = new Command('netprobe')
    .description('continuous synthetic probes for Kubernetes pod networking: DNS, TCP connect, DF ICMP path MTU')
    .version(VERSION, '-V, --version');
  for (const command of await Promise.all(names.map((name) => COMMANDS[name]!()))) {
    program.addCommand(command.version(VERSION, '-V, --version'));
  }
  return withUsageExit(program);
}
