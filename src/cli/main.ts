#!/usr/bin/env node
// netprobe's single entry point: the daemon and every run-once probe command.
import { Command } from 'commander';
import { VERSION } from '../app/version.ts';
import { dnsCommand } from './commands/dns.ts';
import { runCommand } from './commands/run.ts';
import { tcpCommand } from './commands/tcp.ts';
import { validateConfigCommand } from './commands/validate-config.ts';
import { withUsageExit } from './errors.ts';

const program = new Command('netprobe')
  .description('continuous synthetic probes for Kubernetes pod networking: DNS, TCP connect, DF ICMP path MTU')
  .version(VERSION, '-V, --version')
  .addCommand(runCommand())
  .addCommand(validateConfigCommand())
  .addCommand(tcpCommand())
  .addCommand(dnsCommand());

for (const sub of program.commands) sub.version(VERSION, '-V, --version');
withUsageExit(program);
await program.parseAsync(process.argv);
