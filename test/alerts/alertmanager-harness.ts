// A real Alertmanager (Debian's prometheus-alertmanager) on 127.0.0.1 loaded with
// the shipped deploy/alertmanager/alertmanager.yaml, and a webhook receiver that
// records every notification. Only the receiver URL of the shipped file is
// changed (to the test's own receiver); routes, grouping and inhibitions are used
// as shipped. Clustering is off (no gossip port). Every wait is bounded.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { stopChild } from '../support/process.ts';

export const ALERTMANAGER_BIN = '/usr/bin/prometheus-alertmanager';
export const ALERTMANAGER_CONFIG = fileURLToPath(new URL('../../deploy/alertmanager/alertmanager.yaml', import.meta.url));

export function alertmanagerAvailable(): boolean {
  return existsSync(ALERTMANAGER_BIN);
}

interface AmConfig {
  receivers: { name: string; webhook_configs?: { url: string }[] }[];
  inhibit_rules?: unknown[];
}

/** The shipped config with every webhook URL pointed at `url`; `inhibit: false` drops the inhibitions (control runs). */
export function shippedConfigFor(url: string, options: { inhibit?: boolean } = {}): string {
  const config = parse(readFileSync(ALERTMANAGER_CONFIG, 'utf8')) as AmConfig;
  let hooks = 0;
  for (const r of config.receivers) for (const w of r.webhook_configs ?? []) (w.url = url), hooks++;
  if (hooks === 0) throw new Error('deploy/alertmanager/alertmanager.yaml: no webhook receiver to point at the test');
  if (options.inhibit === false) delete config.inhibit_rules;
  return stringify(config);
}

export interface Notification {
  at: number;
  groupKey: string;
  alerts: { labels: Record<string, string>; status: string }[];
}

export interface Webhook {
  url: string;
  notifications: Notification[];
  close(): Promise<void>;
}

export async function startWebhook(): Promise<Webhook> {
  const notifications: Notification[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      try {
        const n = JSON.parse(body) as { groupKey: string; alerts: { labels: Record<string, string>; status: string }[] };
        notifications.push({ at: Date.now(), groupKey: n.groupKey, alerts: n.alerts.map((a) => ({ labels: a.labels, status: a.status })) });
      } catch {
        // A body that is not a notification is recorded as such, so a test sees it.
        notifications.push({ at: Date.now(), groupKey: 'unparsable', alerts: [] });
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/notify`, notifications, close: () => new Promise((r) => server.close(() => r())) };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface Alertmanager {
  url: string;
  /** Posts alerts as Prometheus does (POST /api/v2/alerts). */
  post(alerts: { labels: Record<string, string>; annotations?: Record<string, string> }[]): Promise<void>;
  stop(): Promise<void>;
  output(): string;
}


export async function startAlertmanager(dir: string, configText: string): Promise<Alertmanager> {
  const port = await freePort();
  const config = join(dir, `alertmanager-${port}.yaml`);
  writeFileSync(config, configText);
  let log = '';
  const child = spawn(
    ALERTMANAGER_BIN,
    [
      `--config.file=${config}`,
      `--storage.path=${join(dir, `am-data-${port}`)}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (b: Buffer) => (log += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (log += b.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`alertmanager exited ${child.exitCode}: ${log}`);
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`alertmanager not ready after 30 s: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    async post(alerts) {
      const res = await fetch(`${url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alerts.map((a) => ({ labels: a.labels, annotations: a.annotations ?? {}, startsAt: new Date().toISOString() }))),
      });
      if (!res.ok) throw new Error(`POST /api/v2/alerts: HTTP ${res.status} ${await res.text()}`);
    },
    stop: () => stopChild(child),
    output: () => log,
  };
}
