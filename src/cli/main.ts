#!/usr/bin/env node
// netprobe's single entry point: the daemon and every run-once probe command.
import { reexecForDaemon } from './daemon-heap.ts';
import { buildProgram } from './program.ts';

// Before anything else loads: the daemon's young generation is sized at start (daemon-heap.ts).
if (process.argv[2] === 'run') reexecForDaemon();
const program = await buildProgram(process.argv.slice(2));
await program.parseAsync(process.argv);
