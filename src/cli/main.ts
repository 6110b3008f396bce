#!/usr/bin/env node
// netprobe's single entry point: the daemon and every run-once probe command.
import { buildProgram } from './program.ts';

await buildProgram().parseAsync(process.argv);
