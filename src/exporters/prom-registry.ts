// prom-client's Registry class alone. prom-client's index also loads every
// metric class, the default process metrics and, through them,
// @opentelemetry/api: 13 MB of RSS in a daemon that uses none of them (its
// series are prom-series.ts, rendered inside this Registry). Same class
// object as `require('prom-client').Registry`, so tests that mix the two agree.
import type { Registry as PromClientRegistry } from 'prom-client';
import RegistryClass from 'prom-client/lib/registry.js';

export const Registry: typeof PromClientRegistry = RegistryClass;
export type Registry = PromClientRegistry;
