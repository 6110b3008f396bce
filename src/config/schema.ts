// The whole config file: daemon settings plus a list of probes, each validated
// by its own kind's schema (see src/probes/<kind>/config.ts).
import cron from 'node-cron';
import * as z from 'zod/mini';
import { KIND_SCHEMAS } from '../probes/schemas.ts';
import { kubernetesSchema } from '../targets/kubernetes/config.ts';
import { describe, durationBetween, hostPort } from './common.ts';

/**
 * Default target cap. bench/scale measured 263 MB RSS for 1,000 targets run
 * every second (TCP + ICMP) and the 10^5-target attack took 1.2-1.9 GB, while
 * the DaemonSet's memory limit is 256 MiB: 1,000 is the largest measured
 * count that fits it, and far above what discovery gives one pod (k peers x
 * kinds + DNS servers x names).
 */
export const DEFAULT_MAX_TARGETS = 1000;

export const EMBEDDED_FAULTS = ['none', 'conntrack-race'] as const;
export type EmbeddedFault = (typeof EMBEDDED_FAULTS)[number];

const embeddedSchema = z.strictObject({
  dns: describe(
    z.prefault(
      z.strictObject({
        port: describe(
          z._default(z.number().check(z.int(), z.minimum(0), z.maximum(65535)), 0),
          'UDP and TCP port on 127.0.0.1; 0 picks a free one.',
        ),
        fault: describe(
          z._default(z.enum(EMBEDDED_FAULTS), 'none'),
          'conntrack-race: drop a second query on a flow (same source address and port) sent before the first was answered, as the F1 race does.',
        ),
        answerDelay: describe(
          z.prefault(durationBetween(0, 10_000), '5ms'),
          'Delay before each answer, 0s to 10s: the window in which a second query on a flow is racing.',
        ),
      }),
      {},
    ),
    'The embedded DNS responder on 127.0.0.1 (UDP and TCP): answers its own fixed test names, NXDOMAIN in its zones, REFUSED elsewhere.',
  ),
});

export const configSchema = z
  .strictObject({
    sourceNode: describe(
      z.optional(z.string().check(z.minLength(1), z.maxLength(253))),
      'The node this probe runs on (`source_node` label). Default: $NODE_NAME, else the hostname.',
    ),
    listen: describe(
      z.prefault(hostPort(9810, { allowZero: true }), '0.0.0.0:9810'),
      'HOST:PORT of the HTTP listener for /metrics, /healthz, /readyz, /api/results (port 0: any free port).',
    ),
    concurrency: describe(
      z._default(z.number().check(z.int(), z.minimum(1), z.maximum(10_000)), 64),
      'Probe runs in flight at once, across all probes.',
    ),
    maxTargets: describe(
      z._default(z.number().check(z.int(), z.minimum(1), z.maximum(100_000)), DEFAULT_MAX_TARGETS),
      'Refuse a config that expands to more targets than this, across all probes (memory and /metrics size grow with it).',
    ),
    kubernetes: describe(
      z.optional(kubernetesSchema),
      'Kubernetes discovery; probes then list kubernetes:dns-service, kubernetes:dns-endpoints or kubernetes:peers[:PORT]. See docs/deploy.md.',
    ),
    embedded: describe(
      z.prefault(embeddedSchema, {}),
      "netprobe's own loopback DNS responder, started when a dns probe lists server `embedded`.",
    ),
    probes: describe(
      z.array(z.discriminatedUnion('kind', KIND_SCHEMAS)).check(z.minLength(1, 'at least one probe is required')),
      'The probes to run; each item is validated by the schema of its `kind`.',
    ),
  })
  .check(
    z.superRefine((config, ctx) => {
      const total = config.probes.reduce((n, probe) => n + targetCount(probe), 0);
      if (total > config.maxTargets) {
        ctx.addIssue({ code: 'custom', path: ['probes'], message: tooManyTargets(total, config.maxTargets) });
      }
      const seen = new Map<string, number>();
      config.probes.forEach((probe, i) => {
        const first = seen.get(probe.name);
        if (first !== undefined) {
          ctx.addIssue({ code: 'custom', path: ['probes', i, 'name'], message: `duplicate probe name "${probe.name}" (also probes[${first}])` });
        }
        seen.set(probe.name, i);
        if (probe.every !== undefined && probe.cron !== undefined) {
          ctx.addIssue({ code: 'custom', path: ['probes', i, 'cron'], message: 'set either "every" or "cron", not both' });
        }
        if (probe.cron !== undefined && !cron.validate(probe.cron)) {
          ctx.addIssue({ code: 'custom', path: ['probes', i, 'cron'], message: `invalid cron expression "${probe.cron}"` });
        }
      });
    }),
  );

export type Config = z.output<typeof configSchema>;

/**
 * Targets a probe expands to, as far as the file tells (a "resolv.conf"
 * server counts once here; the daemon checks again after reading it).
 */
function targetCount(probe: { kind: string; servers?: unknown[]; names?: unknown[]; targets?: unknown[] }): number {
  if (probe.kind === 'dns') return (probe.servers?.length ?? 1) * (probe.names?.length ?? 0);
  return probe.targets?.length ?? 0;
}

export function tooManyTargets(total: number, max: number): string {
  return `${total} targets in total, more than maxTargets (${max}); raise maxTargets or split the probes over more pods`;
}
export type ProbeConfig = Config['probes'][number];

/** Interval used when a probe sets neither `every` nor `cron`. */
export const DEFAULT_EVERY_MS = 30_000;
