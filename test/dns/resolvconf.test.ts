// resolv.conf parsing, search-list expansion and config -> targets/options.
// Fixture text lives in the test: the machine's own /etc/resolv.conf is never read.
import { describe, expect, it } from 'vitest';
import { dnsProbeSchema } from '../../src/probes/dns/config.ts';
import { parseResolvConf, type ResolvConf } from '../../src/probes/dns/resolvconf.ts';
import { searchCandidates } from '../../src/probes/dns/search.ts';
import { dnsOptions, dnsTargets } from '../../src/probes/dns/targets.ts';

const base: ResolvConf = { servers: [], search: [], ndots: 1, timeoutMs: 5000, attempts: 2 };
const ns = (host: string) => ({ host, port: 53 });

describe('parseResolvConf', () => {
  const cases: [string, string, ResolvConf][] = [
    ['empty file: glibc defaults', '', base],
    [
      'kubernetes pod',
      'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n',
      { ...base, servers: [ns('10.96.0.10')], search: ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], ndots: 5 },
    ],
    [
      'at most three nameservers, IPv6 too, bad addresses skipped',
      'nameserver 198.18.0.1\nnameserver not-an-ip\nnameserver ::1\nnameserver 198.18.0.2\nnameserver 198.18.0.3\n',
      { ...base, servers: [ns('198.18.0.1'), ns('::1'), ns('198.18.0.2')] },
    ],
    ['comments and blank lines', '# nameserver 198.18.0.9\n; search nope\n\n  nameserver 198.18.0.1 # trailing\n', { ...base, servers: [ns('198.18.0.1')] }],
    ['domain then search: the last wins', 'domain a.example\nsearch b.example c.example\n', { ...base, search: ['b.example', 'c.example'] }],
    ['search then domain: the last wins', 'search b.example c.example\ndomain a.example\n', { ...base, search: ['a.example'] }],
    ['timeout and attempts', 'options timeout:1 attempts:3\n', { ...base, timeoutMs: 1000, attempts: 3 }],
    ['limits as glibc clamps them', 'options timeout:99 attempts:9 ndots:40\n', { ...base, timeoutMs: 30_000, attempts: 5, ndots: 15 }],
    ['zero timeout/attempts raised to 1', 'options timeout:0 attempts:0 ndots:0\n', { ...base, timeoutMs: 1000, attempts: 1, ndots: 0 }],
    ['junk values ignored', 'options timeout:x attempts: ndots:-1\n', base],
    ['single-request', 'options single-request\n', { ...base, mode: 'sequential' }],
    ['single-request-reopen', 'options single-request-reopen rotate edns0\n', { ...base, mode: 'reopen' }],
    ['both: reopen wins', 'options single-request\noptions single-request-reopen\n', { ...base, mode: 'reopen' }],
    ['use-vc', 'options use-vc\n', { ...base, transport: 'tcp' }],
  ];
  it.each(cases)('%s', (_name, text, expected) => {
    expect(parseResolvConf(text)).toEqual(expected);
  });
});

describe('searchCandidates (glibc order)', () => {
  const search = ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'];
  const cases: [string, string[], number, string[]][] = [
    ['kubernetes', search, 5, ['kubernetes.default.svc.cluster.local', 'kubernetes.svc.cluster.local', 'kubernetes.cluster.local', 'kubernetes']],
    ['example.com', search, 5, ['example.com.default.svc.cluster.local', 'example.com.svc.cluster.local', 'example.com.cluster.local', 'example.com']],
    ['example.com', search, 1, ['example.com', 'example.com.default.svc.cluster.local', 'example.com.svc.cluster.local', 'example.com.cluster.local']],
    ['example.com.', search, 5, ['example.com.']],
    ['example.com', [], 5, ['example.com']],
    ['host', ['.a.example.', ''], 1, ['host.a.example', 'host']],
    [`${'x'.repeat(240)}.y`, ['long-suffix.example'], 5, [`${'x'.repeat(240)}.y`]],
  ];
  it.each(cases)('%s with %j ndots %i', (name, list, ndots, expected) => {
    expect(searchCandidates(name, list, ndots)).toEqual(expected);
  });
});

describe('dnsTargets / dnsOptions', () => {
  const resolv = 'search ns.svc.cluster.local svc.cluster.local\nnameserver 198.18.0.10\nnameserver ::1\noptions ndots:5 timeout:1 attempts:3 use-vc\n';
  const env = { readFile: (path: string) => (path === '/fixture/resolv.conf' ? resolv : `unexpected read of ${path}`) };
  const parse = (extra: Record<string, unknown>) =>
    dnsProbeSchema.parse({ name: 'dns', kind: 'dns', resolvConf: '/fixture/resolv.conf', names: ['kubernetes.default.svc.cluster.local', 'example.com'], ...extra });

  it('one target per server x name, stable ids and labels', () => {
    const targets = dnsTargets(parse({ servers: ['127.0.0.1:5353', '[::1]:53', '198.18.0.1'], targetKind: 'endpoint' }), env);
    expect(targets.map((t) => [t.id, t.label, t.kind, t.nameClass])).toEqual([
      ['udp://127.0.0.1:5353/kubernetes.default.svc.cluster.local', '127.0.0.1:5353', 'endpoint', 'cluster'],
      ['udp://127.0.0.1:5353/example.com', '127.0.0.1:5353', 'endpoint', 'external'],
      ['udp://[::1]:53/kubernetes.default.svc.cluster.local', '[::1]:53', 'endpoint', 'cluster'],
      ['udp://[::1]:53/example.com', '[::1]:53', 'endpoint', 'external'],
      ['udp://198.18.0.1:53/kubernetes.default.svc.cluster.local', '198.18.0.1:53', 'endpoint', 'cluster'],
      ['udp://198.18.0.1:53/example.com', '198.18.0.1:53', 'endpoint', 'external'],
    ]);
    expect(targets[2]!.server).toEqual({ host: '::1', port: 53 });
  });

  it('explicit servers ignore resolv.conf entirely', () => {
    const o = dnsOptions(parse({ servers: ['127.0.0.1'] }), { readFile: () => { throw new Error('must not read'); } });
    expect(o).toEqual({ transport: 'udp', mode: 'parallel', qtypes: ['A', 'AAAA'], timeoutMs: 5000, attempts: 2, tcpFallback: true, search: [], ndots: 1 });
  });

  it('"resolv.conf" servers: its nameservers, kind resolv_conf, its options', () => {
    const config = parse({ servers: ['resolv.conf'] });
    expect(dnsTargets(config, env).map((t) => t.id)).toEqual([
      'tcp://198.18.0.10:53/kubernetes.default.svc.cluster.local',
      'tcp://198.18.0.10:53/example.com',
      'tcp://[::1]:53/kubernetes.default.svc.cluster.local',
      'tcp://[::1]:53/example.com',
    ]);
    expect(new Set(dnsTargets(config, env).map((t) => t.kind))).toEqual(new Set(['resolv_conf']));
    expect(dnsOptions(config, env)).toMatchObject({ transport: 'tcp', timeoutMs: 1000, attempts: 3, search: [], ndots: 1 });
  });

  it('the config overrides resolv.conf; search: true brings its search list and ndots', () => {
    const o = dnsOptions(parse({ servers: ['resolv.conf'], transport: 'udp', mode: 'sequential', timeout: '250ms', attempts: 1, search: true }), env);
    expect(o).toMatchObject({ transport: 'udp', mode: 'sequential', timeoutMs: 250, attempts: 1, search: ['ns.svc.cluster.local', 'svc.cluster.local'], ndots: 5 });
  });

  it('"embedded" uses the responder the daemon started', () => {
    const targets = dnsTargets(parse({ servers: ['embedded'], targetKind: 'loopback' }), { ...env, embeddedDns: { host: '127.0.0.1', port: 40053 } });
    expect(targets.map((t) => [t.label, t.kind])).toEqual([
      ['127.0.0.1:40053', 'loopback'],
      ['127.0.0.1:40053', 'loopback'],
    ]);
  });

  it.each([
    [{ servers: ['embedded'] }, env, 'probe "dns": server "embedded" needs netprobe\'s embedded DNS responder, which is not running'],
    [{ servers: ['resolv.conf'] }, { readFile: () => 'search x\n' }, 'probe "dns": no nameserver in /fixture/resolv.conf'],
    [{ servers: ['resolv.conf'] }, { readFile: () => { throw new Error('ENOENT: gone'); } }, 'probe "dns": cannot read /fixture/resolv.conf: ENOENT: gone'],
    [{ servers: ['127.0.0.1'], names: ['bad..name'] }, env, 'invalid DNS name "bad..name": every label must be 1-63 bytes'],
  ])('setup error %#: %j', (extra, e, message) => {
    expect(() => dnsTargets(parse(extra), e)).toThrow(message);
  });

  // A host name or a bad port is refused by the schema already (validate-config), not at start.
  it.each(['dns.example:53', '127.0.0.1:99999'])('schema refuses server %s', (server) => {
    const result = dnsProbeSchema.safeParse({ name: 'dns', kind: 'dns', names: ['example.com'], servers: [server] });
    expect(result.error?.issues.map((i) => i.message)).toEqual([`expected IP[:PORT], "resolv.conf" or "embedded", got "${server}" (host names are not resolved)`]);
  });
});
