// The metrics, scraped during a real rotation (dev server, the simulator, a worker with the live
// activities): the worker's product metrics move (started, ended, phase and gate-wait histograms,
// Linode and Kubernetes calls), the SDK's own temporal_* metrics are exported, the API counts its
// requests, and every metric the Grafana dashboard queries is one of these.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { createApiLogger } from '../api/logging.js';
import { startApiServer, type RunningApi } from '../api/server.js';
import { startRotation } from '../client/index.js';
import type { RotationReport } from '../common/types.js';
import { loadConfig } from '../config/config.js';
import { startLocalStack, type LocalStack } from '../dev/localStack.js';
import { createWorkerMetrics, serveMetrics } from '../worker/metrics.js';
import { approveUpdate } from '../workflows/definitions.js';
import { freePort } from './support/ports.js';
import { scrape, total } from './support/prometheus.js';

describe('metrics', { timeout: 240_000 }, () => {
  let stack: LocalStack;
  let api: RunningApi;
  let workerUrl: string;
  let sdkUrl: string;
  let closeWorkerMetrics: () => void;
  const token = 'metrics-viewer-token-0123456789';

  before(async () => {
    // the SDK's exporter is part of the runtime, which is installed once per process, before any connection
    const sdkPort = await freePort();
    Runtime.install({ logger: new DefaultLogger('WARN'), telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${sdkPort}` } } } });
    sdkUrl = `http://127.0.0.1:${sdkPort}/metrics`;
    const metrics = createWorkerMetrics();
    const served = await serveMetrics(metrics.registry, 0, '127.0.0.1');
    workerUrl = served.url;
    closeWorkerMetrics = () => served.server.close();
    stack = await startLocalStack({
      simulator: { clusters: 1, seed: 3, timeScale: 0.002, tokenCacheMs: 0, rateLimit: false },
      activities: { pollIntervalMs: 20, tokenCacheWindowMs: 50, retryAfterScale: 0.002 },
      metrics,
    });
    api = await startApiServer({
      config: loadConfig({ API_PORT: '0' }), composition: stack.composition, client: stack.client, port: 0,
      tokens: [{ name: 'vera', token, roles: ['viewer'] }], logger: createApiLogger({ level: 'silent' }),
    });
  });
  after(async () => {
    await api?.close();
    await stack?.stop();
    closeWorkerMetrics?.();
  });

  test('a rotation moves the worker\'s figures, the SDK exports its own, and the API counts requests', async () => {
    const beforeRun = await scrape(workerUrl);
    const clusterId = stack.sim.state.list()[0].cluster.id;
    const { handle } = await startRotation(stack.client, { clusterId, requestedBy: 'alice' });
    for (let i = 0; ; i++) {
      const view = await fetch(`${api.url}/v1/rotations/${clusterId}`, { headers: { authorization: `Bearer ${token}` } });
      const body = await view.json() as { status?: { pendingGate: unknown } };
      if (body.status?.pendingGate) break;
      assert.ok(i < 200, 'the rotation reached its gate');
      await new Promise((r) => setTimeout(r, 100));
    }
    const waiting = await scrape(workerUrl);
    assert.equal(total(waiting, 'lke_rotator_rotations_started_total') - total(beforeRun, 'lke_rotator_rotations_started_total'), 1);
    await handle.executeUpdate(approveUpdate, { args: [{ by: 'bob' }] });
    const report = await handle.result() as RotationReport;
    assert.equal(report.phase, 'Completed');

    const afterRun = await scrape(workerUrl);
    const moved = (name: string, where: Record<string, string> = {}) => total(afterRun, name, where) - total(beforeRun, name, where);
    assert.equal(moved('lke_rotator_rotations_ended_total', { phase: 'Completed' }), 1);
    assert.equal(total(afterRun, 'lke_rotator_rotations_blocked'), 0);
    assert.ok(moved('lke_rotator_phase_duration_seconds', { phase: 'AwaitingKubeconfig' }) >= 1, 'phase durations observed');
    assert.equal(moved('lke_rotator_gate_wait_seconds', { gate: 'beforeDelete' }), 1);
    assert.ok(moved('lke_rotator_api_calls_total', { api: 'linode', endpoint: 'regenerate', outcome: 'ok' }) >= 1);
    assert.ok(moved('lke_rotator_api_calls_total', { api: 'linode', endpoint: 'getKubeconfig' }) >= 2);
    assert.ok(moved('lke_rotator_api_calls_total', { api: 'kube', endpoint: 'deleteSecret', outcome: 'ok' }) >= 1);
    assert.ok(afterRun.families.has('lke_rotator_verify_failures_total'));

    const sdk = await scrape(sdkUrl);
    assert.ok([...sdk.families].some((name) => name.startsWith('temporal_')), 'the SDK exports temporal_* metrics');
    assert.ok(total(sdk, 'temporal_workflow_completed') + total(sdk, 'temporal_workflow_completed_total') >= 1, 'the completed workflow counted by the SDK');

    const apiMetrics = await scrape(`${api.url}/metrics`);
    assert.ok(total(apiMetrics, 'lke_rotator_api_requests_total', { route: '/v1/rotations/:clusterId', status_code: '200', method: 'GET' }) >= 1);
    assert.ok(total(apiMetrics, 'lke_rotator_api_request_duration_seconds', { route: '/v1/rotations/:clusterId' }) >= 1);

    // the dashboard queries only what is exported
    const dashboard = JSON.parse(await readFile(join(import.meta.dirname, '..', 'deploy', 'grafana', 'lke-rotator.json'), 'utf8')) as
      { panels: { title: string; targets: { expr: string }[] }[] };
    const exported = new Set<string>();
    for (const scraped of [afterRun, sdk, apiMetrics]) for (const name of scraped.families) exported.add(name);
    const used = dashboard.panels.flatMap((p) => p.targets.flatMap((t) => [...t.expr.matchAll(/\b((?:lke_rotator|temporal)_[a-z_]+?)(?:_bucket|_sum|_count)?\b(?=[{[(\s)]|$)/g)].map((m) => m[1])));
    assert.ok(used.length >= 8, `the dashboard queries metrics (${used.length})`);
    for (const name of used) assert.ok(exported.has(name), `the dashboard queries ${name}, which nothing exports`);
  });
});
