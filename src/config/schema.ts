// The whole config file: daemon settings plus a list of probes, each validated
// by its own kind's schema (see src/probes/<kind>/config.ts).
import cron from 'node-cron';
import { z } from 'zod';
import { KIND_SCHEMAS } from '../probes/schemas.ts';
import { kubernetesSchema } from '../targets/kubernetes/config.ts';
import { duration, hostPort } from './common.ts';

export const EMBEDDED_FAULTS = ['none', 'conntrack-race'] as const;
export type EmbeddedFault = (typeof EMBEDDED_FAULTS)[number];

const embeddedSchema = z.strictObject({
  dns: z
    .strictObject({
      port: z.number().int().min(0).max(65535).default(0).describe('UDP and TCP port on 127.0.0.1; 0 picks a free one.'),
      fault: z
        .enum(EMBEDDED_FAULTS)
        .default('none')
        .describe('conntrack-race: drop a second query on a flow (same source address and port) sent before the first was answered, as the F1 race does.'),
      answerDelay: duration.prefault('5ms').describe('Delay before each answer: the window in which a second query on a flow is racing.'),
    })
    .prefault({}),
});

export const configSchema = z
  .strictObject({
    sourceNode: z
      .string()
      .min(1)
      .max(253)
      .optional()
      .describe('The node this probe runs on (`source_node` label). Default: $NODE_NAME, else the hostname.'),
    listen: hostPort(9810, { allowZero: true })
      .prefault('0.0.0.0:9810')
      .describe('HOST:PORT of the HTTP listener for /metrics, /healthz, /readyz, /api/results (port 0: any free port).'),
    concurrency: z.number().int().min(1).max(10_000).default(64).describe('Probe runs in flight at once, across all probes.'),
    kubernetes: kubernetesSchema
      .optional()
      .describe('Kubernetes discovery; probes then list kubernetes:dns-service, kubernetes:dns-endpoints or kubernetes:peers[:PORT]. See docs/deploy.md.'),
    embedded: embeddedSchema.prefault({}).describe("netprobe's own loopback DNS responder, started when a dns probe lists server `embedded`."),
    probes: z
      .array(z.discriminatedUnion('kind', KIND_SCHEMAS))
      .min(1, 'at least one probe is required')
      .describe('The probes to run; each item is validated by the schema of its `kind`.'),
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
