// Every file in invalid/ is paired with the exact message it must produce,
// through the real CLI, with exit code 2.
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { EMBEDDED_DEFAULT_YAML } from '../../src/app/embedded-default.ts';
import { withStandIns } from '../../src/app/cluster-targets.ts';
import { ConfigError, parseConfig } from '../../src/config/load.ts';

const run = promisify(execFile);
const dir = 'test/config/invalid';
const cases = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();

describe('invalid configs', () => {
  it('has a paired .expected file for every case', () => {
    expect(cases.length).toBeGreaterThanOrEqual(15);
    for (const file of cases) expect(readdirSync(dir)).toContain(file.replace(/\.yaml$/, '.expected'));
  });

  it.each(cases)('%s: exact message from parseConfig', (file) => {
    const path = join(dir, file);
    const expected = readFileSync(path.replace(/\.yaml$/, '.expected'), 'utf8').trimEnd();
    let message = '';
    try {
      parseConfig(readFileSync(path, 'utf8'), path, { transform: withStandIns });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = (error as Error).message;
    }
    expect(message).toBe(expected);
  });

  // Concurrent: one CLI process per case, mostly start-up time.
  it.concurrent.each(cases)('%s: netprobe validate-config exits 2 with that message', async (file) => {
    const path = join(dir, file);
    const expected = readFileSync(path.replace(/\.yaml$/, '.expected'), 'utf8');
    const result = await run('node_modules/.bin/node', ['src/cli/main.ts', 'validate-config', path]).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(expected);
  });
});

describe('valid configs', () => {
  const valid = readdirSync('test/config/valid').filter((f) => f.endsWith('.yaml'));
  it.each(valid)('%s parses and fills defaults', (file) => {
    const config = parseConfig(readFileSync(join('test/config/valid', file), 'utf8'), file);
    expect(config.probes.length).toBeGreaterThan(0);
    expect(config.concurrency).toBeGreaterThan(0);
  });

  it('the config shipped with the DaemonSet validates (discovery refs with stand-ins)', () => {
    const file = 'deploy/kubernetes/base/config.yaml';
    const config = parseConfig(readFileSync(file, 'utf8'), file, { transform: withStandIns });
    expect(config.kubernetes?.enabled).toBe(true);
    expect(config.probes.map((p) => p.kind)).toEqual(expect.arrayContaining(['dns', 'tcp', 'icmp']));
  });

  it('the embedded default parses', () => {
    const config = parseConfig(EMBEDDED_DEFAULT_YAML, '(embedded default)');
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 9810 });
    expect(config.probes.every((p) => p.kind === 'dns' && p.servers.join() === 'embedded')).toBe(true);
  });

  it('applies schema defaults', () => {
    const config = parseConfig('probes:\n  - name: d\n    kind: dns\n    names: [example.com]\n', 'inline');
    expect(config.listen).toEqual({ host: '0.0.0.0', port: 9810 });
    expect(config.concurrency).toBe(64);
    expect(config.embedded.dns).toEqual({ port: 0, fault: 'none', answerDelay: 5 });
    const probe = config.probes[0]!;
    if (probe.kind !== 'dns') throw new Error('expected a dns probe');
    expect(probe).toMatchObject({ spread: true, servers: ['resolv.conf'], qtypes: ['A', 'AAAA'], tcpFallback: true });
    expect(probe.names).toEqual([{ name: 'example.com', class: 'external' }]);
  });
});
