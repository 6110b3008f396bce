// Reading a netprobe daemon's /metrics from the test process (over the
// root<->node veth), and waiting on what it says. Just enough of the Prometheus
// text format for lab assertions: name, labels, value.
import http from 'node:http';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** Samples of metric `name` whose labels include every pair of `match`. */
export function seriesOf(samples: readonly Sample[], name: string, match: Record<string, string> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
}

export function sumOf(samples: readonly Sample[], name: string, match: Record<string, string> = {}): number {
  return seriesOf(samples, name, match).reduce((total, s) => total + s.value, 0);
}

/** GET a URL over plain HTTP (bounded by timeoutMs); rejects on non-200. */
export function httpGet(url: string, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`GET ${url}: HTTP ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

export async function scrape(url: string): Promise<Sample[]> {
  return parsePrometheusText(await httpGet(url));
}

export interface PollOptions {
  /** Give up after this long (default 30 s: lab tests share a busy machine). */
  deadlineMs?: number;
  intervalMs?: number;
}

export interface PollResult {
  ok: boolean;
  /** The last scrape (empty if none succeeded). */
  samples: Sample[];
  elapsedMs: number;
  scrapes: number;
  lastError?: string;
}

/**
 * Scrapes `url` until `condition(samples)` holds or the deadline passes. Never
 * throws on a failed scrape (the daemon may still be starting): the result says
 * whether the condition was met, so the caller asserts with its own message.
 */
export async function pollMetrics(url: string, condition: (samples: Sample[]) => boolean, options: PollOptions = {}): Promise<PollResult> {
  const deadlineMs = options.deadlineMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 250;
  const started = performance.now();
  let samples: Sample[] = [];
  let scrapes = 0;
  let lastError: string | undefined;
  const maxScrapes = Math.ceil(deadlineMs / intervalMs) + 1;
  while (scrapes < maxScrapes) {
    try {
      samples = await scrape(url);
      lastError = undefined;
      scrapes++;
      if (condition(samples)) return { ok: true, samples, elapsedMs: performance.now() - started, scrapes };
    } catch (error) {
      scrapes++;
      lastError = (error as Error).message;
    }
    if (performance.now() - started >= deadlineMs) break;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return { ok: false, samples, elapsedMs: performance.now() - started, scrapes, ...(lastError ? { lastError } : {}) };
}
