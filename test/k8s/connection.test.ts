// Credentials and transport: in-cluster service account, kubeconfig subset,
// TLS against a real https server with a CA made for the test, and the
// pure pieces (object mappings, backoff, config block).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, DiscoveryError } from '../../src/targets/kubernetes/client.ts';
import { kubernetesSchema, parseDiscoveryRef, splitRef } from '../../src/targets/kubernetes/config.ts';
import { type ConnectionEnv, inClusterConnection, kubeconfigConnection } from '../../src/targets/kubernetes/connection.ts';
import { discoveryOptionsFromConfig } from '../../src/targets/kubernetes/index.ts';
import { dnsEndpoints, nodeInfo, peerEndpoints, resolvConfNameservers, serviceVips } from '../../src/targets/kubernetes/objects.ts';
import { backoffDelay } from '../../src/targets/kubernetes/reflector.ts';
import { node, service, slice } from './fixtures.ts';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'netprobe-k8s-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function env(vars: Record<string, string>, files: Record<string, string>): ConnectionEnv {
  return {
    env: vars,
    readFile: (p) => {
      if (p in files) return files[p]!;
      throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
    },
  };
}

describe('in-cluster connection', () => {
  it('reads the service account CA and re-reads the token on each request (rotation)', () => {
    const files: Record<string, string> = { '/sa/ca.crt': 'CA-PEM', '/sa/token': 'tok-1\n' };
    const conn = inClusterConnection(env({ KUBERNETES_SERVICE_HOST: '198.19.0.1', KUBERNETES_SERVICE_PORT: '443' }, files), '/sa');
    expect(conn.server).toBe('https://198.19.0.1:443');
    expect(conn.ca).toBe('CA-PEM');
    expect(conn.token?.()).toBe('tok-1');
    files['/sa/token'] = 'tok-2';
    expect(conn.token?.()).toBe('tok-2');
    delete files['/sa/token'];
    expect(conn.token?.()).toBe('tok-2'); // mid-rotation gap: the last token is kept
  });

  it('brackets an IPv6 API host and fails clearly outside a pod', () => {
    const files = { '/sa/ca.crt': 'x', '/sa/token': 'y' };
    expect(inClusterConnection(env({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' }, files), '/sa').server).toBe('https://[fd00::1]:443');
    expect(() => inClusterConnection(env({}, files), '/sa')).toThrow(/KUBERNETES_SERVICE_HOST/);
    expect(() => inClusterConnection(env({ KUBERNETES_SERVICE_HOST: 'h', KUBERNETES_SERVICE_PORT: '1' }, {}), '/sa')).toThrow(/automountServiceAccountToken/);
  });
});

describe('kubeconfig connection', () => {
  const kubeconfig = `
apiVersion: v1
kind: Config
current-context: lab
contexts:
  - name: lab
    context: { cluster: c1, user: u1 }
  - name: other
    context: { cluster: c1, user: exec-user }
clusters:
  - name: c1
    cluster:
      server: https://127.0.0.1:6443
      certificate-authority-data: ${Buffer.from('THE-CA').toString('base64')}
users:
  - name: u1
    user:
      token: abc
      client-certificate: certs/client.crt
      client-key-data: ${Buffer.from('THE-KEY').toString('base64')}
  - name: exec-user
    user:
      exec: { command: aws }
`;

  it('reads server, CA (inline), token and client cert (file relative to the kubeconfig)', () => {
    const conn = kubeconfigConnection('/home/u/.kube/config', undefined, env({}, { '/home/u/.kube/config': kubeconfig, '/home/u/.kube/certs/client.crt': 'THE-CERT' }));
    expect(conn).toMatchObject({ server: 'https://127.0.0.1:6443', ca: 'THE-CA', cert: 'THE-CERT', key: 'THE-KEY' });
    expect(conn.token?.()).toBe('abc');
  });

  it('refuses exec plugins and unknown contexts with clear messages', () => {
    const e = env({}, { '/k': kubeconfig });
    expect(() => kubeconfigConnection('/k', 'other', e)).toThrow(/exec plugin/);
    expect(() => kubeconfigConnection('/k', 'nope', e)).toThrow(/context "nope" not found/);
  });
});

describe('TLS to the API server', () => {
  it('trusts the configured CA, sends the bearer token, and fails as "tls" without the CA', async () => {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    } catch {
      if (process.env.CI === 'true') throw new Error('openssl is needed for the TLS test');
      return;
    }
    let auth = '';
    const server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
      auth = req.headers.authorization ?? '';
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'ServiceList', metadata: { resourceVersion: '7' }, items: [service('kube-system', 'kube-dns', '198.19.0.10')] }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const options = { requestTimeoutMs: 2000, watchIdleTimeoutMs: 2000, pageSize: 100 };
    const signal = new AbortController().signal;
    try {
      const good = new ApiClient({ server: url, ca: readFileSync(cert, 'utf8'), token: () => 'sa-token' }, options);
      const list = await good.list('/api/v1/namespaces/kube-system/services', {}, signal);
      expect(list.resourceVersion).toBe('7');
      expect(list.items[0]!.metadata.name).toBe('kube-dns');
      expect(auth).toBe('Bearer sa-token');
      await good.close();
      const bad = new ApiClient({ server: url }, options);
      const error = await bad.list('/api/v1/nodes', {}, signal).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DiscoveryError);
      expect((error as DiscoveryError).reason).toBe('tls');
      await bad.close();
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('object mappings', () => {
  it('maps the Service VIP, ready CoreDNS endpoints, peers and the Node', () => {
    expect(serviceVips([service('kube-system', 'kube-dns', '198.19.0.10')]).map((t) => t.id)).toEqual(['198.19.0.10:53']);
    expect(serviceVips([service('kube-system', 'headless', 'None')])).toEqual([]);
    const dns = slice('kube-system', 's', 'kube-dns', [{ ip: '198.18.0.2', node: 'a' }, { ip: '198.18.0.3', ready: false }, { ip: '198.18.0.4', terminating: true, ready: false }], [{ name: 'metrics', port: 9153, protocol: 'TCP' }, { name: 'dns', port: 1053, protocol: 'UDP' }]);
    expect(dnsEndpoints([dns]).map((t) => [t.id, t.node])).toEqual([['198.18.0.2:1053', 'a']]);
    const peers = slice('netprobe', 'p', 'netprobe-peers', [{ ip: '198.18.1.1', node: 'a', ready: true, serving: false }, { ip: '198.18.1.2', node: 'b', terminating: true }], []);
    // Same pod listed twice (moving between slices): one target, ready wins.
    const moving = slice('netprobe', 'q', 'netprobe-peers', [{ ip: '198.18.1.1', node: 'a', serving: true }], []);
    expect(peerEndpoints([peers]).map((p) => [p.ip, p.ready])).toEqual([['198.18.1.1', false]]);
    expect(peerEndpoints([peers, moving]).map((p) => [p.ip, p.ready])).toEqual([['198.18.1.1', true]]);
    expect(nodeInfo(node('a', '2025-01-01T00:00:00Z', 'z1', false))).toEqual({ name: 'a', createdSeconds: 1735689600, zone: 'z1', ready: false });
    expect(resolvConfNameservers('search svc.cluster.local\nnameserver 198.19.0.10\n# nameserver 1.1.1.1\nnameserver fe80::1%eth0\n')).toEqual(['198.19.0.10', 'fe80::1']);
  });

  it('backs off exponentially with jitter, capped', () => {
    const o = { initialMs: 1000, maxMs: 30_000 };
    expect([1, 2, 3, 4, 5, 6, 7, 50].map((n) => backoffDelay(n, o, () => 0.999999))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(backoffDelay(3, o, () => 0)).toBe(2000);
  });
});

describe('kubernetes config block', () => {
  it('fills defaults and builds discovery options from the pod environment', () => {
    const config = kubernetesSchema.parse({ connection: 'in-cluster' });
    expect(config).toMatchObject({ dnsService: 'kube-system/kube-dns', peerService: 'netprobe-peers', peers: 8, watchTimeout: 300_000, backoff: { initial: 1000, max: 30_000 } });
    const e = env(
      { KUBERNETES_SERVICE_HOST: '198.19.0.1', KUBERNETES_SERVICE_PORT: '443', POD_NAMESPACE: 'monitoring', NODE_NAME: 'node-a' },
      { '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt': 'CA', '/var/run/secrets/kubernetes.io/serviceaccount/token': 't', '/etc/resolv.conf': 'nameserver 198.19.0.10\n' },
    );
    const options = discoveryOptionsFromConfig(config, e);
    expect(options).toMatchObject({
      dnsService: { namespace: 'kube-system', name: 'kube-dns' },
      peerService: { namespace: 'monitoring', name: 'netprobe-peers' },
      nodeName: 'node-a',
      fanout: { k: 8 },
      resolvConfNameservers: ['198.19.0.10'],
      watchTimeoutSeconds: 300,
    });
    expect(splitRef('a/b', 'x')).toEqual({ namespace: 'a', name: 'b' });
    expect(parseDiscoveryRef('kubernetes:peers:9810')).toEqual({ source: 'peers', port: 9810 });
    expect(parseDiscoveryRef('kubernetes:dns-endpoints')).toEqual({ source: 'dnsEndpoints' });
    expect(parseDiscoveryRef('kubernetes:pods')).toBeUndefined();
    expect(parseDiscoveryRef('kubernetes:peers:70000')).toBeUndefined();
    expect(parseDiscoveryRef('198.19.0.10:53')).toBeUndefined();
  });

  it('rejects bad refs and peer counts with clear messages', () => {
    const bad = kubernetesSchema.safeParse({ dnsService: 'Kube_System/dns', peers: 0 });
    expect(bad.success).toBe(false);
    const messages = bad.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(messages).toContain('dnsService: expected NAMESPACE/NAME or NAME (lowercase DNS labels)');
    expect(messages.some((m) => m.startsWith('peers:'))).toBe(true);
  });
});

