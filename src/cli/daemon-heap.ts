// `netprobe run` re-executes itself once with a capped young generation.
//
// V8 sizes the young generation (two semi-spaces) when the isolate starts;
// `--max-semi-space-size` set later through v8.setFlagsFromString is ignored
// (tried: RSS unchanged), unlike the old-generation flags src/app/daemon.ts
// sets at run time. At a daemon's allocation rate V8 grows each semi-space
// to its default maximum, and the young generation became the largest part
// of the RSS above the live heap. bench:scale, single rounds (2026-12-08):
// at 1,000 targets per kind RSS max 223-242 MB with V8's sizing, 173-179 MB
// at 8 MB, 159-163 MB at 4 MB, CPU within the run-to-run noise; at 5,000
// 440-465 MB against 384-393 (8 MB) and 381-389 (4 MB), but there, where one
// core is nearly used up, the extra scavenges cost 10-25 % more CPU. 8 MB is
// the gentler of the two (docs/benchmarks.md, Scale). process.execve keeps
// the PID, the open fds and the environment, so a container's PID 1 and a
// supervisor see one process; it costs one more Node start, once.
//
// A value given by the launcher (node's command line or NODE_OPTIONS) is
// kept, and so is everything else on node's command line.
export const DAEMON_SEMI_SPACE_MB = 8;

const FLAG = '--max-semi-space-size';

/** The argv for the re-exec, or undefined when a semi-space size was already given. */
export function daemonReexecArgv(execPath: string, execArgv: readonly string[], argv: readonly string[], nodeOptions: string | undefined): string[] | undefined {
  const given = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)].some((arg) => arg === FLAG || arg.startsWith(`${FLAG}=`) || arg.startsWith('--max_semi_space_size'));
  if (given) return undefined;
  return [execPath, `${FLAG}=${DAEMON_SEMI_SPACE_MB}`, ...execArgv, ...argv.slice(1)];
}

/** Re-executes this process as above when it is about to run the daemon; returns when it does not. */
export function reexecForDaemon(): void {
  if (typeof process.execve !== 'function') return;
  const argv = daemonReexecArgv(process.execPath, process.execArgv, process.argv, process.env.NODE_OPTIONS);
  if (argv) process.execve(process.execPath, argv, process.env);
}
