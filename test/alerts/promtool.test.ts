// Runs Debian's promtool over the rules: syntax/semantics (check rules) and the
// unit tests (test rules). A rules change that breaks an expected alert fails here.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { RULES_FILE, TESTS_DIR, promtoolTestFiles } from './rules.ts';

const run = promisify(execFile);

async function promtool(args: string[], cwd?: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run('promtool', args, { cwd, timeout: 60_000 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number | string; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new Error('promtool not found: install Debian package "prometheus" (provides promtool)');
    return { code: typeof e.code === 'number' ? e.code : -1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

const scratch = mkdtempSync(join(tmpdir(), 'netprobe-promtool-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('promtool', () => {
  it('check rules accepts the rules file', async () => {
    const { code, output } = await promtool(['check', 'rules', RULES_FILE]);
    expect(output).toMatch(/SUCCESS: \d+ rules found/);
    expect(code, output).toBe(0);
  });

  // One promtool per file, side by side: together they are ~25 s of CPU.
  it('test rules passes every unit-test file', async () => {
    const files = promtoolTestFiles();
    expect(files.length).toBeGreaterThanOrEqual(3);
    const results = await Promise.all(files.map((f) => promtool(['test', 'rules', f])));
    for (const [i, { code, output }] of results.entries()) {
      expect(output, files[i]).not.toMatch(/FAILED/);
      expect(code, `${files[i]}: ${output}`).toBe(0);
    }
  }, 120_000);

  // The unit tests must be able to fail: raise F2's short-window bar so the severe
  // case no longer pages by t0+75 s and promtool has to report it.
  it('test rules fails when an alert threshold is broken', async () => {
    const rules = readFileSync(RULES_FILE, 'utf8');
    const broken = rules.replace(
      /(netprobe:dns_queries_sent:rate1m\{target_kind="service_vip", name_class!="external"\}\)\n\s+)>= 0\.25/,
      '$1>= 0.9',
    );
    expect(broken).not.toBe(rules);
    mkdirSync(join(scratch, 'tests'), { recursive: true });
    writeFileSync(join(scratch, 'netprobe-rules.yaml'), broken);
    // Only the F2 cases: the rest of the file is not what this checks.
    const cases = parse(readFileSync(join(TESTS_DIR, 'dns.test.yaml'), 'utf8')) as { tests: { name: string }[] };
    cases.tests = cases.tests.filter((t) => t.name.startsWith('F2 '));
    expect(cases.tests.length).toBeGreaterThan(0);
    writeFileSync(join(scratch, 'tests', 'dns.test.yaml'), stringify(cases));
    const { code, output } = await promtool(['test', 'rules', join(scratch, 'tests', 'dns.test.yaml')]);
    expect(code).not.toBe(0);
    expect(output).toMatch(/alertname: NetprobeDNSServiceVIPNotTranslated, time: 11m15s/);
  }, 60_000);
});
