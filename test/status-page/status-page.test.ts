// The status page's pieces without a browser: the bounded latency ring in the
// result store, escaping, the sparkline, verdict and peer-row rendering. The
// browser test (chromium during a lab fault) is in test/e2e/prometheus-alerts.test.ts.
import { describe, expect, it } from 'vitest';
import type { Verdict } from '../../src/diagnosis/types.ts';
import { HISTORY, ResultStore } from '../../src/app/results.ts';
import { escapeHtml, renderStatusPage, sparkline } from '../../src/app/status-page.ts';

const T = (label: string, kind = 'service_vip', node = '') => ({ id: `udp://${label}`, label, kind, node });

function store(): ResultStore {
  const s = new ResultStore();
  s.expect(['a', 'b', 'p1', 'p2']);
  return s;
}

describe('result store history', () => {
  it('keeps the last HISTORY runs, oldest first, and the start of the current streak', () => {
    const s = store();
    for (let i = 0; i < HISTORY + 5; i++) s.put('a', 'dns-vip', 'dns', T('10.96.0.10:53'), i < HISTORY, i < HISTORY ? 'success' : 'timeout', 1000 * i, i / 1000, null);
    const [h] = s.history();
    expect(h!.recent).toHaveLength(HISTORY);
    expect(h!.recent[0]!.seconds).toBeCloseTo(5 / 1000, 6);
    expect(h!.recent.at(-1)!.seconds).toBeCloseTo((HISTORY + 4) / 1000, 6);
    expect(h!.recent.filter((r) => !r.ok)).toHaveLength(5);
    // The failure streak began with run HISTORY, at 1000 * HISTORY ms.
    expect(h!.sinceMs).toBe(1000 * HISTORY);
    expect(h!.success).toBe(false);
  });
});

describe('status page HTML', () => {
  it('escapes what it shows', () => {
    expect(escapeHtml(`<script>"x"&'y'</script>`)).toBe('&lt;script&gt;&quot;x&quot;&amp;&#39;y&#39;&lt;/script&gt;');
  });

  it('draws failed runs as red dots in the sparkline', () => {
    const svg = sparkline([
      { seconds: 0.01, ok: true },
      { seconds: 5, ok: false },
      { seconds: 0.02, ok: true },
    ]);
    expect(svg).toMatch(/^<svg/);
    expect(svg.match(/<circle/g)).toHaveLength(1);
    expect(svg).toContain('1 failed');
  });

  it('puts verdicts first, then the peer row, then every target with its state', () => {
    const s = store();
    s.put('a', 'dns-vip', 'dns', T('10.96.0.10:53'), false, 'timeout', Date.now() - 60_000, 10, null);
    s.put('b', 'dns-endpoints', 'dns', T('10.0.1.5:53', 'endpoint'), true, 'success', Date.now(), 0.002, null);
    s.put('p1', 'peers-tcp', 'tcp', T('10.0.2.7:9810', 'peer', 'node-b'), true, 'connected', Date.now(), 0.001, null);
    s.put('p2', 'peers-tcp', 'tcp', T('10.0.3.7:9810', 'peer', 'node-c'), false, 'timeout', Date.now(), 2, null);
    const verdict: Verdict = {
      failure: 'F2',
      title: 'Service VIP 10.96.0.10:53 not translated on node-a',
      scope: 'node',
      source_nodes: ['node-a'],
      targets: ['10.96.0.10:53'],
      since: Date.now() - 60_000,
      status: 'firing',
      evidence: [{ signal: 'VIP failures', value: 1, threshold: 0.5, comparison: '>=', unit: 'ratio', holds: true }],
      next_steps: [{ command: 'iptables-save | grep 10.96.0.10', why: 'is the DNAT rule there?', runbook: 'https://github.com/netprobe/netprobe/blob/main/docs/runbooks.md#f2-vip-not-translated' }],
    };
    const html = renderStatusPage({ sourceNode: 'node-a', nowMs: Date.now(), verdicts: [verdict], targets: s.history() });
    expect(html.indexOf('data-failure="F2"')).toBeGreaterThan(0);
    expect(html.indexOf('data-failure="F2"')).toBeLessThan(html.indexOf('<h2>Peers</h2>'));
    expect(html).toContain('<code>iptables-save | grep 10.96.0.10</code>');
    expect(html).toMatch(/<tr class="fail" data-target="10\.96\.0\.10:53">[\s\S]*?FAIL timeout/);
    expect(html).toMatch(/<td class="ok">1\/1<\/td><td class="fail">0\/1<\/td>/);
    expect(html).toMatch(/<meta http-equiv="refresh"/);
    // Nothing to fetch: no external URL, no script.
    expect(html).not.toMatch(/<script|src=|https?:\/\/(?!github\.com\/netprobe)/);
  });

  it('says so when there is no verdict', () => {
    const html = renderStatusPage({ sourceNode: 'n', nowMs: 0, verdicts: [], targets: [] });
    expect(html).toContain('id="no-verdict"');
  });
});
