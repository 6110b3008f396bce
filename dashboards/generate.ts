// Writes the Grafana dashboards as JSON from their TypeScript definitions.
//
//   npx node dashboards/generate.ts          write dashboards/*.json
//   npx node dashboards/generate.ts --check  exit 1 if a committed JSON differs from the generated one
//
// It also writes the same JSON into the grafana install flavour
// (deploy/kubernetes/overlays/grafana/dashboards/), whose configMapGenerator can
// only read files inside the overlay.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { dnsDashboard } from './dns.ts';
import { fleetDashboard } from './fleet.ts';
import { mtuDashboard } from './mtu.ts';
import { nodesDashboard } from './nodes.ts';
import { tcpDashboard } from './tcp.ts';

export const DASHBOARD_DIR = fileURLToPath(new URL('./', import.meta.url));
export const GRAFANA_OVERLAY_DIR = fileURLToPath(new URL('../deploy/kubernetes/overlays/grafana/dashboards/', import.meta.url));

/** File name (in dashboards/) -> builder. */
export const DASHBOARDS: Record<string, () => dashboard.Dashboard> = {
  'fleet.json': fleetDashboard,
  'dns.json': dnsDashboard,
  'tcp.json': tcpDashboard,
  'mtu.json': mtuDashboard,
  'nodes.json': nodesDashboard,
};

/** Stable panel ids (Grafana needs them for links and panel-level state). */
function numberPanels(d: dashboard.Dashboard): dashboard.Dashboard {
  let id = 1;
  for (const panel of d.panels ?? []) (panel as { id?: number }).id = id++;
  return d;
}

/** File name -> JSON text exactly as committed. */
export function renderDashboards(): Map<string, string> {
  const files = new Map<string, string>();
  for (const [file, build] of Object.entries(DASHBOARDS)) {
    files.set(file, `${JSON.stringify(numberPanels(build()), null, 2)}\n`);
  }
  return files;
}

function main(argv: string[]): number {
  const check = argv.includes('--check');
  let stale = 0;
  for (const [file, text] of renderDashboards()) for (const path of [DASHBOARD_DIR + file, GRAFANA_OVERLAY_DIR + file]) {
    if (check) {
      let current = '';
      try {
        current = readFileSync(path, 'utf8');
      } catch {
        // Missing counts as stale.
      }
      if (current !== text) {
        process.stderr.write(`${path} is stale: run npm run docs\n`);
        stale++;
      }
    } else {
      writeFileSync(path, text);
      process.stdout.write(`wrote ${path}\n`);
    }
  }
  return stale > 0 ? 1 : 0;
}

if (import.meta.main) process.exitCode = main(process.argv.slice(2));
