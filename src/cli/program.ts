// The `netprobe` command tree, built in one place so the entry point, the
// generated CLI reference (docs/cli.md) and tests all see the same commands.
import { Command } from 'commander';
import { VERSION } from '../app/version.ts';
import { diagnoseCommand } from './commands/diagnose.ts';
import { dnsCommand } from './commands/dns.ts';
import { mtuCommand } from './commands/mtu.ts';
import { runCommand } from './commands/run.ts';
import { tcpCommand } from './commands/tcp.ts';
import { traceCommand } from './commands/trace.ts';
import { validateConfigCommand } from './commands/validate-config.ts';
import { withUsageExit } from './errors.ts';

export function buildProgram(): Command {
  const program = new Command('netprobe')
    .description('continuous synthetic probes for Kubernetes pod networking: DNS, TCP connect, DF ICMP path MTU')
    .version(VERSION, '-V, --version')
    .addCommand(runCommand())
    .addCommand(validateConfigCommand())
    .addCommand(dnsCommand())
    .addCommand(tcpCommand())
    .addCommand(mtuCommand())
    .addCommand(diagnoseCommand())
    .addCommand(traceCommand());
  for (const sub of program.commands) sub.version(VERSION, '-V, --version');
  return withUsageExit(program);
}
