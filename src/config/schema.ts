// The whole config file: daemon settings plus a list of probes, each validated
// by its own kind's schema (see src/probes/<kind>/config.ts).
import cron from 'node-cron';
import { z } from 'zod';
import { KIND_SCHEMAS } from '../probes/schemas.ts';
import { duration, hostPort } from './common.ts';

export const EMBEDDED_FAULTS = ['none', 'conntrack-race'] as const;
export type EmbeddedFault = (typeof EMBEDDED_FAULTS)[number];

const embeddedSchema = z.strictObject({
  dns: z
    .strictObject({
      /** UDP and TCP port on 127.0.0.1; 0 picks a free one. */
      port: z.number().int().min(0).max(65535).default(0),
      /**
       * conntrack-race: drop a second query arriving on a flow (same source
       * address and port) before the first was answered, as the F1 race does.
       */
      fault: z.enum(EMBEDDED_FAULTS).default('none'),
      /** Delay before each answer; the race window of the fault. */
      answerDelay: duration.prefault('5ms'),
    })
    .prefault({}),
});

export const configSchema = z
  .strictObject({
    /** The node this probe runs on (`source_node` label). Default: $NODE_NAME, else the hostname. */
    sourceNode: z.string().min(1).max(253).optional(),
    /** HTTP listener for /metrics, /healthz, /readyz, /api/results. */
    listen: hostPort(9810, { allowZero: true }).prefault('0.0.0.0:9810'),
    /** Probe runs in flight at once, across all probes. */
    concurrency: z.number().int().min(1).max(10_000).default(64),
    embedded: embeddedSchema.prefault({}),
    probes: z.array(z.discriminatedUnion('kind', KIND_SCHEMAS)).min(1, 'at least one probe is required'),
  })
  .superRefine((config, ctx) => {
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
  });

export type Config = z.output<typeof configSchema>;
export type ProbeConfig = Config['probes'][number];

/** Interval used when a probe sets neither `every` nor `cron`. */
export const DEFAULT_EVERY_MS = 30_000;
