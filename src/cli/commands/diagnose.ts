// `netprobe diagnose --prometheus URL`: the fleet verdicts. Asks Prometheus
// for every netprobe's counters over a window, runs the same rules as the
// daemons, and prints one block per verdict (or JSON). Exit 0 healthy,
// 1 verdicts, 2 usage / connection errors or verdicts that are only "unknown".
import { Command } from 'commander';
import { diagnose } from '../../diagnosis/engine.ts';
import { instantQueries, observationsFromPrometheus, RANGE_QUERIES, type Answers, type RangeAnswers } from '../../diagnosis/prometheus.ts';
import type { Verdict } from '../../diagnosis/types.ts';
import { parseDuration } from '../../util/durations.ts';
import { EXIT_USAGE, UsageError, action } from '../errors.ts';
import { PrometheusApi, PrometheusError } from '../prometheus-api.ts';

interface DiagnoseFlags {
  prometheus?: string;
  window: string;
  timeout: string;
  json?: boolean;
}

export function diagnoseCommand(): Command {
  return new Command('diagnose')
    .description('fleet verdicts (F1-F9) from a Prometheus that scrapes netprobe: what is broken, where, since when, and what to run next')
    .requiredOption('--prometheus <url>', 'Prometheus base URL, e.g. http://prometheus.monitoring:9090')
    .option('--window <duration>', 'how far back to look (runs counted with increase() over it), 30s..24h', '5m')
    .option('--timeout <duration>', 'per-query HTTP timeout', '10s')
    .option('--json', 'print {"verdicts": [...]} instead of text blocks')
    .action(
      action('diagnose', async (flags: DiagnoseFlags) => {
        const { url, windowMs, timeoutMs } = parseDiagnoseFlags(flags);
        try {
          const { verdicts, nodes } = await fleetVerdicts(new PrometheusApi(url, timeoutMs), windowMs, Date.now());
          process.stdout.write(flags.json ? `${JSON.stringify({ verdicts, nodes, window_seconds: windowMs / 1000 }, null, 2)}\n` : formatVerdicts(verdicts, nodes, windowMs));
          const code = exitCode(verdicts);
          if (code === EXIT_USAGE) for (const v of verdicts) process.stderr.write(`netprobe diagnose: ${v.failure} cannot be decided: needs ${v.needs}\n`);
          return code;
        } catch (error) {
          if (error instanceof PrometheusError || error instanceof NoNetprobeSeries) {
            process.stderr.write(`netprobe diagnose: ${error.message}\n`);
            return EXIT_USAGE;
          }
          throw error;
        }
      }),
    );
}

export function parseDiagnoseFlags(flags: DiagnoseFlags): { url: string; windowMs: number; timeoutMs: number } {
  const url = flags.prometheus ?? '';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--prometheus: expected an http(s) URL such as http://prometheus:9090, got "${url}"`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError(`--prometheus: expected an http(s) URL, got "${url}"`);
  const windowMs = parseDuration(flags.window);
  if (windowMs === undefined || windowMs < 30_000 || windowMs > 86_400_000) throw new UsageError(`--window: expected a duration from 30s to 24h, got "${flags.window}"`);
  const timeoutMs = parseDuration(flags.timeout);
  if (timeoutMs === undefined || timeoutMs < 100 || timeoutMs > 300_000) throw new UsageError(`--timeout: expected a duration from 100ms to 5m, got "${flags.timeout}"`);
  return { url: url.replace(/\/+$/, ''), windowMs, timeoutMs };
}

class NoNetprobeSeries extends Error {}

/** 1 when any verdict fires; 2 when the only verdicts are "unknown" (data missing); 0 healthy. */
export function exitCode(verdicts: readonly Verdict[]): number {
  if (verdicts.some((v) => v.status === 'firing')) return 1;
  return verdicts.length > 0 ? EXIT_USAGE : 0;
}

export async function fleetVerdicts(api: PrometheusApi, windowMs: number, nowMs: number): Promise<{ verdicts: Verdict[]; nodes: string[] }> {
  const end = nowMs / 1000;
  const present = await api.instant('count(netprobe_build_info)', end);
  if (present.length === 0 || present[0]!.value === 0) {
    throw new NoNetprobeSeries('Prometheus holds no netprobe series (netprobe_build_info is absent): is netprobe scraped? (ServiceMonitor or prometheus.io/scrape annotations, docs/deploy.md)');
  }
  const w = `${Math.round(windowMs / 1000)}s`;
  const queries = instantQueries(w);
  const answers: Answers = {};
  await Promise.all(Object.entries(queries).map(async ([name, q]) => (answers[name] = await api.instant(q, end))));
  const start = end - windowMs / 1000;
  const step = Math.max(1, Math.round(windowMs / 1000 / 120));
  const ranges: RangeAnswers = {};
  await Promise.all(Object.entries(RANGE_QUERIES).map(async ([name, q]) => (ranges[name] = await api.range(q, start, end, step))));
  const obs = observationsFromPrometheus(answers, ranges, { nowMs, rangeStart: start, stepSeconds: step });
  return { verdicts: diagnose(obs), nodes: obs.nodes.map((n) => n.sourceNode) };
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s ago`;
  if (s < 7200) return `${Math.round(s / 60)}m ago`;
  return `${Math.round(s / 3600)}h ago`;
}

export function formatVerdicts(verdicts: readonly Verdict[], nodes: readonly string[], windowMs: number, nowMs = Date.now()): string {
  if (verdicts.length === 0) return `healthy: no verdict for ${nodes.length} node(s) over the last ${Math.round(windowMs / 1000)}s\n`;
  const out: string[] = [];
  for (const v of verdicts) {
    out.push(`${v.failure}${v.status === 'unknown' ? ' (unknown)' : ''}  ${v.title}`);
    out.push(`  where:    ${v.scope}; nodes ${v.source_nodes.join(', ')}${v.targets.length > 0 ? `; targets ${v.targets.join(', ')}` : ''}`);
    out.push(`  since:    ${new Date(v.since).toISOString()} (${ago(nowMs - v.since)})`);
    if (v.needs) out.push(`  needs:    ${v.needs}`);
    out.push('  evidence:');
    for (const e of v.evidence) out.push(`    ${e.holds ? '+' : '-'} ${e.signal}: ${e.value} ${e.unit} (${e.comparison} ${e.threshold})`);
    out.push('  next steps:');
    for (const s of v.next_steps) {
      out.push(`    $ ${s.command}`);
      out.push(`      ${s.why}`);
      out.push(`      ${s.runbook}`);
    }
    out.push('');
  }
  return `${out.join('\n')}`;
}
