// Where the API server is and how to authenticate: the pod's service account
// (in-cluster) or a kubeconfig file (running outside, e.g. on a laptop).
// Only the kubeconfig subset netprobe needs is read: server, CA, bearer
// token (inline or file) and client certificate; exec plugins and auth
// providers are refused with a clear message rather than half-supported.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';

export interface ApiConnection {
  /** https://host:port (http:// only for tests against a local fake). */
  server: string;
  ca?: string;
  cert?: string;
  key?: string;
  insecureSkipTlsVerify?: boolean;
  /** Called per request: bound service-account tokens rotate on disk. */
  token?: () => string | undefined;
}

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface ConnectionEnv {
  env: Record<string, string | undefined>;
  readFile(path: string): string;
}

const realEnv: ConnectionEnv = { env: process.env, readFile: (p) => readFileSync(p, 'utf8') };

export function inClusterAvailable(env: ConnectionEnv = realEnv): boolean {
  return Boolean(env.env.KUBERNETES_SERVICE_HOST && env.env.KUBERNETES_SERVICE_PORT);
}

/** The pod's own service account, as client-go's rest.InClusterConfig reads it. */
export function inClusterConnection(env: ConnectionEnv = realEnv, dir = SERVICE_ACCOUNT_DIR): ApiConnection {
  const host = env.env.KUBERNETES_SERVICE_HOST;
  const port = env.env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) {
    throw new Error('in-cluster Kubernetes config needs KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT (not running in a pod?)');
  }
  const tokenPath = `${dir}/token`;
  let ca: string;
  try {
    ca = env.readFile(`${dir}/ca.crt`);
    env.readFile(tokenPath);
  } catch (error) {
    throw new Error(`in-cluster Kubernetes config: cannot read the service account token or CA under ${dir} (automountServiceAccountToken off?): ${(error as Error).message}`);
  }
  let cached = '';
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    ca,
    token: () => {
      try {
        cached = env.readFile(tokenPath).trim();
      } catch {
        // Mid-rotation the file can vanish for a moment; the previous token is still valid.
      }
      return cached;
    },
  };
}

interface KubeconfigFile {
  'current-context'?: string;
  contexts?: { name: string; context: { cluster: string; user: string } }[];
  clusters?: { name: string; cluster: Record<string, unknown> }[];
  users?: { name: string; user: Record<string, unknown> }[];
}

/** Default kubeconfig path: $KUBECONFIG (first entry), else ~/.kube/config. */
export function defaultKubeconfigPath(env: Record<string, string | undefined> = process.env): string {
  const first = env.KUBECONFIG?.split(':').find(Boolean);
  return first ?? resolve(homedir(), '.kube', 'config');
}

export function kubeconfigConnection(path: string, context?: string, env: ConnectionEnv = realEnv): ApiConnection {
  let doc: KubeconfigFile;
  try {
    doc = parse(env.readFile(path)) as KubeconfigFile;
  } catch (error) {
    throw new Error(`kubeconfig ${path}: ${(error as Error).message}`);
  }
  const base = dirname(path);
  const fail = (what: string): never => {
    throw new Error(`kubeconfig ${path}: ${what}`);
  };
  const contextName = context ?? doc?.['current-context'] ?? fail('no current-context and no context given');
  const ctx = doc.contexts?.find((c) => c.name === contextName)?.context ?? fail(`context "${contextName}" not found`);
  const cluster = doc.clusters?.find((c) => c.name === ctx.cluster)?.cluster ?? fail(`cluster "${ctx.cluster}" not found`);
  const user = doc.users?.find((u) => u.name === ctx.user)?.user ?? {};
  if (user.exec || user['auth-provider']) {
    fail(`user "${ctx.user}" uses an exec plugin or auth provider, which netprobe does not run; use a token or client certificate`);
  }
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  const fileOrData = (file: unknown, data: unknown): string | undefined => {
    if (str(data)) return Buffer.from(str(data)!, 'base64').toString('utf8');
    if (str(file)) return env.readFile(resolve(base, str(file)!));
    return undefined;
  };
  const server = str(cluster.server) ?? fail(`cluster "${ctx.cluster}" has no server`);
  const conn: ApiConnection = { server };
  const ca = fileOrData(cluster['certificate-authority'], cluster['certificate-authority-data']);
  if (ca) conn.ca = ca;
  if (cluster['insecure-skip-tls-verify'] === true) conn.insecureSkipTlsVerify = true;
  const cert = fileOrData(user['client-certificate'], user['client-certificate-data']);
  const key = fileOrData(user['client-key'], user['client-key-data']);
  if (cert) conn.cert = cert;
  if (key) conn.key = key;
  const token = str(user.token);
  const tokenFile = str(user.tokenFile);
  if (token) conn.token = () => token;
  else if (tokenFile) conn.token = () => env.readFile(resolve(base, tokenFile)).trim();
  return conn;
}
