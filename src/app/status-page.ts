// The status page at `/`: what a person opening the daemon's port in a browser
// wants first. Verdicts on top, then this node's row of the peer matrix, then per
// probe the last result of every target with a sparkline of its recent runs.
// One self-contained HTML document: inline CSS and SVG, no script, nothing
// fetched (the Content-Security-Policy in http.ts forbids it), refreshed by the
// browser every REFRESH_SECONDS. /api/results and /api/verdicts stay the machine
// interface; this page is for eyes only.
import type { Verdict } from '../diagnosis/types.ts';
import type { TargetHistory } from './results.ts';

export const REFRESH_SECONDS = 10;

export interface StatusPageInput {
  sourceNode: string;
  nowMs: number;
  verdicts: readonly Verdict[];
  targets: readonly TargetHistory[];
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** "42 s", "5 min", "3 h", "2 d" ago. */
export function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}

function latency(seconds: number): string {
  return seconds < 1 ? `${(seconds * 1000).toFixed(seconds < 0.01 ? 2 : 1)} ms` : `${seconds.toFixed(2)} s`;
}

const W = 120;
const H = 24;

/** Inline SVG: the run durations as a line (scaled to the slowest), failed runs as red dots. */
export function sparkline(recent: readonly { seconds: number; ok: boolean }[]): string {
  if (recent.length === 0) return '';
  const max = Math.max(...recent.map((r) => r.seconds), 1e-6);
  const step = recent.length > 1 ? W / (recent.length - 1) : 0;
  const pts = recent.map((r, i) => [i * step, H - 2 - (r.seconds / max) * (H - 4)] as const);
  const line = pts.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ');
  const dots = recent
    .map((r, i) => (r.ok ? '' : `<circle cx="${pts[i]![0].toFixed(1)}" cy="${pts[i]![1].toFixed(1)}" r="2.5" fill="#c62828"/>`))
    .join('');
  const label = `last ${recent.length} runs, slowest ${latency(max)}, ${recent.filter((r) => !r.ok).length} failed`;
  return `<svg class="spark" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeHtml(label)}"><title>${escapeHtml(label)}</title><polyline fill="none" stroke="#1565c0" stroke-width="1.5" points="${line}"/>${dots}</svg>`;
}

function verdictBlock(v: Verdict, nowMs: number): string {
  const where = [v.source_nodes.length ? `nodes ${v.source_nodes.join(', ')}` : '', v.targets.length ? `targets ${v.targets.join(', ')}` : '']
    .filter(Boolean)
    .join('; ');
  const evidence = v.evidence
    .map(
      (e) =>
        `<li class="${e.holds ? 'holds' : 'ruled'}">${escapeHtml(e.signal)}: ${escapeHtml(String(e.value))} ${escapeHtml(e.comparison)} ${escapeHtml(String(e.threshold))} ${escapeHtml(e.unit)}${e.holds ? '' : ' (not met)'}</li>`,
    )
    .join('');
  const steps = v.next_steps
    .map((s) => `<li><code>${escapeHtml(s.command)}</code>: ${escapeHtml(s.why)} <a href="${escapeHtml(s.runbook)}">runbook</a></li>`)
    .join('');
  return `<section class="verdict ${v.status}" data-failure="${escapeHtml(v.failure)}">
<h3><span class="fm">${escapeHtml(v.failure)}</span> ${escapeHtml(v.title)}</h3>
<p>${escapeHtml(v.scope)} scope${where ? `: ${escapeHtml(where)}` : ''}; since ${escapeHtml(new Date(v.since).toISOString())} (${ago(nowMs - v.since)} ago)${v.status === 'unknown' && v.needs ? `; unknown, needs ${escapeHtml(v.needs)}` : ''}</p>
${evidence ? `<h4>Evidence</h4><ul>${evidence}</ul>` : ''}${steps ? `<h4>Next steps</h4><ol>${steps}</ol>` : ''}
</section>`;
}

/** This node's row of the peer matrix: per target node, how many of its peer probe targets answer. */
function peerRow(sourceNode: string, targets: readonly TargetHistory[]): string {
  const byNode = new Map<string, { ok: number; all: number }>();
  for (const t of targets) {
    if (t.target.kind !== 'peer' || !t.target.node) continue;
    const cell = byNode.get(t.target.node) ?? { ok: 0, all: 0 };
    cell.all++;
    if (t.success) cell.ok++;
    byNode.set(t.target.node, cell);
  }
  if (byNode.size === 0) return '<p class="none">No peer targets on this node (peer discovery off or no peers yet).</p>';
  const nodes = [...byNode.keys()].sort();
  const head = nodes.map((n) => `<th>${escapeHtml(n)}</th>`).join('');
  const cells = nodes
    .map((n) => {
      const c = byNode.get(n)!;
      return `<td class="${c.ok === c.all ? 'ok' : 'fail'}">${c.ok}/${c.all}</td>`;
    })
    .join('');
  return `<table class="matrix"><tr><th>from \\ to</th>${head}</tr><tr><th>${escapeHtml(sourceNode)}</th>${cells}</tr></table>`;
}

function probeTable(probe: string, rows: readonly TargetHistory[], nowMs: number): string {
  const body = rows
    .map((t) => {
      const state = t.success ? 'ok' : `FAIL ${t.reason}`;
      // DNS targets are (server, name): the name tells the rows of one server apart.
      const name = (t.target as { name?: unknown }).name;
      return `<tr class="${t.success ? 'ok' : 'fail'}" data-target="${escapeHtml(t.target.label)}">
<td>${escapeHtml(t.target.label)}${typeof name === 'string' ? ` <small>${escapeHtml(name)}</small>` : ''}</td><td>${escapeHtml(t.target.kind)}${t.target.node ? ` on ${escapeHtml(t.target.node)}` : ''}</td>
<td class="state">${escapeHtml(state)}</td><td>${latency(t.durationSeconds)}</td>
<td title="${escapeHtml(new Date(t.sinceMs).toISOString())}">${ago(nowMs - t.sinceMs)}</td><td>${sparkline(t.recent)}</td></tr>`;
    })
    .join('\n');
  return `<h3>${escapeHtml(probe)} <small>${escapeHtml(rows[0]?.kind ?? '')}</small></h3>
<table class="probe"><tr><th>target</th><th>kind</th><th>state</th><th>last run</th><th>since</th><th>recent runs</th></tr>
${body}</table>`;
}

const CSS = `body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}h1{font-size:1.3em}h2{font-size:1.1em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin-bottom:1em}td,th{padding:2px 8px;text-align:left;border-bottom:1px solid #eee}
tr.fail td.state,td.fail{color:#c62828;font-weight:bold}td.ok,tr.ok td.state{color:#2e7d32}
.verdict{border-left:4px solid #c62828;padding:0 1em;margin-bottom:1em;background:#fff5f5}.verdict.unknown{border-color:#f9a825;background:#fffbe6}
.fm{background:#c62828;color:#fff;padding:0 6px;border-radius:3px}.ruled{color:#777}.none{color:#2e7d32}code{background:#f3f3f3;padding:0 3px}`;

export function renderStatusPage(input: StatusPageInput): string {
  const { sourceNode, nowMs, verdicts, targets } = input;
  const failing = targets.filter((t) => !t.success).length;
  const byProbe = new Map<string, TargetHistory[]>();
  for (const t of targets) byProbe.set(t.probe, [...(byProbe.get(t.probe) ?? []), t]);
  const verdictHtml =
    verdicts.length === 0
      ? '<p class="none" id="no-verdict">No verdict: no failure mode detected on this node.</p>'
      : verdicts.map((v) => verdictBlock(v, nowMs)).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="${REFRESH_SECONDS}">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>netprobe ${escapeHtml(sourceNode)}: ${verdicts.length ? verdicts.map((v) => v.failure).join(' ') : 'healthy'}</title>
<style>${CSS}</style></head>
<body>
<h1>netprobe on ${escapeHtml(sourceNode)}</h1>
<p>${targets.length} targets, ${failing} failing. Generated ${escapeHtml(new Date(nowMs).toISOString())}; refreshes every ${REFRESH_SECONDS} s.
Machine interface: <a href="/api/verdicts">/api/verdicts</a>, <a href="/api/results">/api/results</a>, <a href="/metrics">/metrics</a>.</p>
<h2>Verdicts</h2>
<div id="verdicts">${verdictHtml}</div>
<h2>Peers</h2>
${peerRow(sourceNode, targets)}
<h2>Probes</h2>
${[...byProbe].map(([probe, rows]) => probeTable(probe, rows, nowMs)).join('\n')}
</body></html>
`;
}
