import { describe, expect, it } from 'vitest';
import { tcpProbeSchema } from '../../src/probes/tcp/config.ts';
import { tcpDeadlineMs } from '../../src/probes/tcp/kind.ts';
import { tcpOptions, tcpTargets } from '../../src/probes/tcp/targets.ts';

describe('tcp probe config', () => {
  it('applies the paping defaults: count 3, interval 1s, timeout 2s, static targets', () => {
    const config = tcpProbeSchema.parse({ name: 'web', kind: 'tcp', targets: ['127.0.0.1:8080'] });
    expect(tcpOptions(config)).toEqual({ count: 3, intervalMs: 1000, timeoutMs: 2000 });
    expect(tcpTargets(config)).toEqual([
      { id: 'tcp://127.0.0.1:8080', label: '127.0.0.1:8080', kind: 'static', node: '', host: '127.0.0.1', port: 8080 },
    ]);
    expect(config.spread).toBe(true);
  });

  it('takes names, bracketed IPv6, objects with a node, and the target kind', () => {
    const config = tcpProbeSchema.parse({
      name: 'peers',
      kind: 'tcp',
      targets: ['api.example.test:443', '[::1]:9810', { address: '198.18.0.2:22', node: 'node-b' }],
      count: 5,
      interval: '250ms',
      timeout: '1.5s',
      targetKind: 'peer',
      every: '10s',
    });
    expect(tcpOptions(config)).toEqual({ count: 5, intervalMs: 250, timeoutMs: 1500 });
    expect(tcpTargets(config).map((t) => [t.label, t.host, t.port, t.kind, t.node])).toEqual([
      ['api.example.test:443', 'api.example.test', 443, 'peer', ''],
      ['[::1]:9810', '::1', 9810, 'peer', ''],
      ['198.18.0.2:22', '198.18.0.2', 22, 'peer', 'node-b'],
    ]);
    expect(config.every).toBe(10_000);
  });

  // Each invalid config is paired with the exact message it must produce.
  it.each([
    [{ targets: [] }, 'targets', 'at least one target is required'],
    [{ targets: ['127.0.0.1'] }, 'targets.0', 'expected HOST:PORT with a port from 1 to 65535, got "127.0.0.1"'],
    [{ targets: ['127.0.0.1:0'] }, 'targets.0', 'expected HOST:PORT with a port from 1 to 65535, got "127.0.0.1:0"'],
    [{ targets: ['127.0.0.1:65536'] }, 'targets.0', 'expected HOST:PORT with a port from 1 to 65535, got "127.0.0.1:65536"'],
    [{ targets: ['127.0.0.1:80', '127.0.0.1:80'] }, 'targets.1', 'duplicate target "127.0.0.1:80"'],
    [{ count: 0 }, 'count', 'Too small: expected number to be >=1'],
    [{ count: 2.5 }, 'count', 'Invalid input: expected int, received number'],
    [{ timeout: '0s' }, 'timeout', 'must be from 10ms to 60s, got "0s"'],
    [{ interval: '1' }, 'interval', 'expected a duration such as "5s" or "250ms", got "1"'],
    [{ targetKind: 'Peer!' }, 'targetKind', 'must be 1-32 characters of a-z or "_"'],
    [{ port: 80 }, '', 'Unrecognized key: "port"'],
  ])('rejects %o at %s with "%s"', (fields, path, message) => {
    const result = tcpProbeSchema.safeParse({ name: 'bad', kind: 'tcp', targets: ['127.0.0.1:80'], ...fields });
    expect(result.success).toBe(false);
    const issues = result.error!.issues.map((i) => [i.path.join('.'), i.message]);
    expect(issues).toContainEqual([path, message]);
  });

  it('bounds a run by count x timeout plus the intervals between starts', () => {
    expect(tcpDeadlineMs({ count: 3, intervalMs: 1000, timeoutMs: 2000 })).toBe(2 * 1000 + 3 * 2000 + 1000);
    expect(tcpDeadlineMs({ count: 1, intervalMs: 1000, timeoutMs: 500 })).toBe(1500);
  });
});

describe('tcp target objects', () => {
  it.each([
    [{ address: '127.0.0.1' }, 'expected HOST:PORT with a port from 1 to 65535, got "127.0.0.1"'],
    [{ address: '127.0.0.1:80', node: 'Node_B' }, 'must be a Kubernetes node name (lowercase a-z, 0-9, "-", "."), got "Node_B"'],
  ])('rejects %o with "%s"', (entry, message) => {
    const result = tcpProbeSchema.safeParse({ name: 'bad', kind: 'tcp', targets: [entry] });
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error!.issues)).toContain(JSON.stringify(message));
  });
});
