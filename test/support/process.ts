// Stopping a child process the tests and benches started (a real server, a
// daemon): SIGTERM, SIGKILL after 5 s; resolves once it has exited.
import type { ChildProcess } from 'node:child_process';

export function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
