// The config file the DaemonSet ships with (deploy/kubernetes/base/config.yaml):
// valid for the daemon once discovery fills its refs, and covering the failure
// modes the product promises.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { kubernetesSchema, parseDiscoveryRef } from '../../src/targets/kubernetes/config.ts';
import { resolveDiscoveryRefs } from '../../src/targets/kubernetes/resolve.ts';
import { BASE_DIR } from './kustomize.ts';

describe('the default config', () => {
  const text = readFileSync(join(BASE_DIR, 'config.yaml'), 'utf8');
  const config = parse(text) as { kubernetes: unknown; probes: Record<string, any>[] };

  /** Discovery refs replaced by addresses of the benchmarking range, for the per-kind schemas as they stand. */
  function withRefsResolved(): unknown {
    const copy = structuredClone(config) as Record<string, any>;
    delete copy.kubernetes;
    for (const p of copy.probes) {
      const swap = (entry: string) => {
        const ref = parseDiscoveryRef(entry);
        if (!ref) return entry;
        const ip = ref.source === 'dnsService' ? '198.19.0.10' : ref.source === 'dnsEndpoints' ? '198.18.0.2' : '198.18.0.3';
        return ref.port ? `${ip}:${ref.port}` : ip;
      };
      if (p.servers) p.servers = p.servers.map(swap);
      if (p.targets) p.targets = p.targets.map(swap);
    }
    return copy;
  }

  it('has a valid kubernetes block and probes valid for their kinds', () => {
    const k = kubernetesSchema.parse(config.kubernetes);
    expect(k).toMatchObject({ dnsService: 'kube-system/kube-dns', peers: 8 });
    const parsed = configSchema.safeParse(withRefsResolved());
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
  });

  it('covers the VIP, every CoreDNS endpoint, resolv.conf, cluster and external names, peers over TCP and MTU', () => {
    const servers = config.probes.flatMap((p) => p.servers ?? []);
    expect(servers).toEqual(expect.arrayContaining(['kubernetes:dns-service', 'kubernetes:dns-endpoints', 'resolv.conf']));
    const names: string[] = config.probes.flatMap((p) => p.names ?? []);
    expect(names.some((n) => n.endsWith('.cluster.local'))).toBe(true);
    expect(names.some((n) => !n.endsWith('.cluster.local'))).toBe(true);
    const modes = config.probes.filter((p) => p.kind === 'dns').map((p) => p.mode ?? p.transport);
    expect(modes).toEqual(expect.arrayContaining(['parallel', 'reopen', 'tcp']));
    const tcp = config.probes.find((p) => p.kind === 'tcp')!;
    expect(tcp.targets).toEqual(['kubernetes:peers:9810']);
    const icmp = config.probes.find((p) => p.kind === 'icmp')!;
    expect(icmp.targets).toEqual(['kubernetes:peers']);
    expect([1500, 1480, 1450, 1440]).toContain(icmp.expectedMtu);
    for (const documented of ['1500', '1480', '1450']) expect(text).toContain(documented);
  });

  it('after discovery fills the refs, parses whole with the daemon schema (resolveDiscoveryRefs)', () => {
    const vip = { id: '198.19.0.10:53', label: '198.19.0.10:53', kind: 'service_vip' as const, node: '', server: { host: '198.19.0.10', port: 53 } };
    const peer = { id: '198.18.0.3', label: '198.18.0.3', kind: 'peer' as const, node: 'n3', ip: '198.18.0.3', pod: 'p', ready: true };
    const { config: resolved, skipped } = resolveDiscoveryRefs(config as Record<string, unknown>, { dnsService: [vip], dnsEndpoints: [{ ...vip, kind: 'endpoint' }], peers: [peer] });
    expect(skipped).toEqual([]);
    const parsed = configSchema.safeParse(resolved);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
  });
});
