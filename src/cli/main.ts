#!/usr/bin/env node
// netprobe's single entry point: the daemon and every run-once probe command.
import { buildProgram } from './program.ts';

const program = await buildProgram(process.argv.slice(2));
await program.parseAsync(process.argv);
