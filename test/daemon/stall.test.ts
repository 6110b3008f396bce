// A daemon that stands still (here: the event loop blocked for 1.5 s, as CPU
// starvation or a long GC would) must not report the timeouts that stall
// causes: the answer arrived in time, but the timeout timer fired first.
import { afterEach, expect, it } from 'vitest';
import type { Daemon } from '../../src/app/daemon.ts';
import { sample, sleep, startDaemon } from './helpers.ts';

let daemon: Daemon | undefined;
afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
});

it('a failed run during which the event loop stalled is skipped as daemon_stalled, not counted as a timeout', async () => {
  daemon = await startDaemon(`sourceNode: stall
listen: 127.0.0.1:0
embedded:
  dns:
    answerDelay: 200ms
probes:
  - name: slow-answers
    kind: dns
    every: 1s
    spread: false
    servers: [embedded]
    names: [kubernetes.default.svc.cluster.local]
    mode: single
    timeout: 400ms
    attempts: 1
`);
  // The first run starts at once; its answer is due in 200 ms. Block the loop past its 400 ms timeout.
  await sleep(50);
  const until = performance.now() + 1500;
  while (performance.now() < until) {}
  await sleep(2500);
  const metrics = await daemon.prometheus.render();
  expect(sample(metrics, 'netprobe_probe_skipped_total', { reason: 'daemon_stalled' })).toBeGreaterThanOrEqual(1);
  expect(sample(metrics, 'netprobe_daemon_errors_total', { reason: 'event_loop_stalled' })).toBeGreaterThanOrEqual(1);
  expect(sample(metrics, 'netprobe_probe_runs_total', { result: 'timeout' }) ?? 0).toBe(0);
  expect(sample(metrics, 'netprobe_probe_runs_total', { result: 'success' })).toBeGreaterThanOrEqual(1);
});
