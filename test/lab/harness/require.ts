// Whether this machine can run lab tests. In CI (CI=true) a lab test that cannot
// run is a failure, never a silent skip; elsewhere (a laptop without root) the
// caller skips. Synchronous so a test file can decide at import time:
//
//   const lab = requireLab();            // throws first when CI=true and the lab is unavailable
//   describe.skipIf(!lab)('F1 ...', () => { ... });
import { spawnSync } from 'node:child_process';

export interface LabRequirements {
  /** Extra programs the test needs besides ip and nft (e.g. "dnsmasq", "ping"). */
  commands?: readonly string[];
}

/** Why the lab cannot run here, or [] when it can. */
export function labUnavailableReasons(requirements: LabRequirements = {}): string[] {
  const reasons: string[] = [];
  if (process.platform !== 'linux') reasons.push(`network namespaces need Linux (platform is ${process.platform})`);
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) reasons.push('not running as root (uid 0)');
  const probe = (argv: string[], why: string): void => {
    const [command, ...args] = argv;
    const result = spawnSync(command!, args, { stdio: 'ignore', timeout: 5000 });
    if (result.error || result.status !== 0) reasons.push(why);
  };
  if (reasons.length === 0) {
    probe(['ip', 'netns', 'list'], '`ip netns` (iproute2) is not available');
    probe(['nft', '--version'], '`nft` (nftables) is not available');
    for (const command of requirements.commands ?? []) {
      // `command -v` is a shell builtin; look the program up on PATH ourselves.
      if (!onPath(command)) reasons.push(`\`${command}\` is not installed`);
    }
  }
  return reasons;
}

function onPath(command: string): boolean {
  const dirs = (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').concat(['/usr/sbin', '/sbin']);
  return dirs.some((dir) => spawnSync('test', ['-x', `${dir}/${command}`]).status === 0);
}

/**
 * true when lab tests can run. When they cannot: throws if CI === 'true'
 * (a lab test is never skipped in CI), else returns false so the caller skips.
 */
export function requireLab(requirements: LabRequirements = {}): boolean {
  const reasons = labUnavailableReasons(requirements);
  if (reasons.length === 0) return true;
  const message = `lab tests cannot run here: ${reasons.join('; ')}`;
  if (process.env.CI === 'true') throw new Error(`${message} (CI=true: lab tests must run in CI; run them as root with iproute2 and nftables installed)`);
  return false;
}
