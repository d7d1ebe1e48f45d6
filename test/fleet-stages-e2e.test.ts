// A staged fleet end to end: a real Temporal dev server, the time-scaled LKE simulator and a worker
// with the live activities (@linode/api-v4 and @kubernetes/client-node over HTTP(S) to the
// simulator). During the canary stage's soak a Node of the canary cluster goes NotReady, or a
// workload the rotation restarted starts crashing; the soak's health check (checkStageHealth,
// through the real clients) finds it, and the fleet halts naming the cluster and the reason before
// the next stage starts (issue 13, item 3). The first run is the recorded fleet-stages history
// (RECORD_HISTORIES=1).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { sendFleetControl, startFleetRotation } from '../client/index.js';
import { clusterRotationWorkflowId, fleetRotationWorkflowId } from '../common/names.js';
import type { FleetReport, FleetRotationInput, FleetStatus, RotationReport } from '../common/types.js';
import { startLocalStack, type LocalStack } from '../dev/localStack.js';
import { fleetStatusQuery } from '../workflows/definitions.js';
import { recordFixture } from './support/histories.js';
import { waitFor } from './support/waitFor.js';

Runtime.install({ logger: new DefaultLogger('ERROR') });

let stack: LocalStack;
let client: Client;

before(async () => {
  stack = await startLocalStack({
    simulator: { clusters: 5, seed: 23, timeScale: 0.002, rateLimit: false },
    activities: { pollIntervalMs: 50, tokenCacheWindowMs: 2_000, recycleResendAfterMs: 5_000, retryAfterScale: 0.01 },
  });
  client = stack.client;
});

after(async () => {
  await stack?.stop();
});

const clusterIds = (): number[] => stack.sim.state.list().map(({ cluster }) => cluster.id).sort((a, b) => a - b);
const regenerates = (clusterId: number): number => stack.sim.audit.count({ clusterId, method: 'POST', path: /\/regenerate$/, applied: true });
const fleetStatus = (name: string): Promise<FleetStatus> => client.workflow.getHandle(fleetRotationWorkflowId(name)).query(fleetStatusQuery);

describe('a staged fleet on the simulator', () => {
  test('a Node going NotReady during the canary stage\'s soak halts the fleet, naming the cluster and the reason', async () => {
    const [canary, ...rest] = clusterIds().slice(0, 3);
    const input: FleetRotationInput = {
      name: 'soak', requestedBy: 'alice', selector: { clusterIds: [canary, ...rest] }, gatesDisabledBy: 'test-admin',
      concurrency: 1, watchIntervalMs: 300,
      rotation: { restart: { scope: 'all' }, tuning: { activityRetryInitialIntervalMs: 100, activityRetryMaximumIntervalMs: 500 } },
      stages: [
        { name: 'canary', select: { count: 1 }, soakMs: 8_000 },
        { name: 'rest', select: { rest: true }, approval: true },
      ],
    };
    await startFleetRotation(client, input);

    // the soak's first check took the baseline: the restarted workloads and their ready replicas
    const soaking = await waitFor('the canary stage soaking, its baseline taken', () => fleetStatus('soak'),
      (s) => s.stages?.[0].state === 'soaking' && (s.stages[0].soak?.checks ?? 0) >= 1, 60_000, 100);
    assert.equal(soaking.phase, 'Soaking');
    assert.deepEqual(soaking.stages?.[0].soak?.findings, []);
    assert.equal(soaking.clusters.find((c) => c.id === canary)?.phase, 'Completed');
    const kube = stack.sim.state.kube(canary)!;
    const node = kube.nodeNames()[0];
    kube.setNodeReady(node, false);

    const halted = await waitFor('the fleet halted by the soak', () => fleetStatus('soak'), (s) => s.phase === 'Halted', 30_000, 100);
    assert.match(halted.haltReason ?? '', new RegExp(`^soak of stage canary: cluster ${canary}: node ${node} is NotReady`));
    assert.deepEqual(halted.stages?.map((s) => s.state), ['halted', 'pending']);
    const findings = halted.stages?.[0].soak?.findings ?? [];
    assert.ok(findings.some((f) => f.clusterId === canary && f.reason === `node ${node} is NotReady`), JSON.stringify(findings));
    // the pods of the NotReady Node are not Ready any more: a restarted workload that had one lost a ready replica
    assert.ok(findings.some((f) => /ready replicas dropped from \d+ to \d+/.test(f.reason)), JSON.stringify(findings));
    assert.ok(halted.timeline.some((e) => e.event === 'halted' && e.detail?.includes(`cluster ${canary}`)));
    const handle = client.workflow.getHandle(fleetRotationWorkflowId('soak'));
    const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    assert.match(metadata.currentDetails ?? '', new RegExp(`Soak of stage \\*\\*canary\\*\\*: cluster ${canary}: node ${node} is NotReady`));
    for (const id of rest) assert.equal(regenerates(id), 0, `cluster ${id} of the next stage untouched`);

    // the halted fleet stays put; the operators abort it, and the rest is reported not started
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.equal((await fleetStatus('soak')).phase, 'Halted');
    await sendFleetControl(client, 'soak', { update: 'abort', input: { by: 'bob', reason: 'canary node down' } });
    const report = await handle.result() as FleetReport;
    assert.equal(report.phase, 'Aborted');
    assert.deepEqual([report.counts.Completed, report.counts.NotStarted], [1, rest.length]);
    for (const id of rest) assert.equal(regenerates(id), 0);
    const history = await handle.fetchHistory();
    assert.ok(JSON.stringify(history).includes('checkStageHealth'));
    recordFixture('fleet-stages', history);
  });


  test('a restarted workload crashing during the soak halts the fleet with its ready replicas named; resume goes on to the next stage', async () => {
    const [canary, next] = clusterIds().slice(3);
    const input: FleetRotationInput = {
      name: 'crash', requestedBy: 'alice', selector: { clusterIds: [canary, next] }, gatesDisabledBy: 'test-admin',
      concurrency: 1, watchIntervalMs: 300,
      rotation: { restart: { scope: 'all' }, tuning: { activityRetryInitialIntervalMs: 100, activityRetryMaximumIntervalMs: 500 } },
      stages: [{ name: 'pilot', select: { count: 1 }, soakMs: 8_000 }, { name: 'rest', select: { rest: true } }],
    };
    await startFleetRotation(client, input);
    await waitFor('the pilot stage soaking, its baseline taken', () => fleetStatus('crash'),
      (s) => s.stages?.[0].state === 'soaking' && (s.stages[0].soak?.checks ?? 0) >= 1, 60_000, 100);
    const report = await client.workflow.getHandle(clusterRotationWorkflowId(canary)).result() as RotationReport;
    const victim = report.restarted.find((r) => r.workload.kind === 'Deployment' && !r.paused)!.workload;
    assert.ok(stack.sim.state.kube(canary)!.crashWorkload('Deployment', victim.namespace, victim.name));

    const halted = await waitFor('the fleet halted by the soak', () => fleetStatus('crash'), (s) => s.phase === 'Halted', 30_000, 100);
    const name = `Deployment ${victim.namespace}/${victim.name}`;
    assert.match(halted.haltReason ?? '', new RegExp(`^soak of stage pilot: cluster ${canary}: ${name}: ready replicas dropped from [1-9]\\d* to 0`));
    assert.deepEqual(halted.stages?.map((s) => s.state), ['halted', 'pending']);
    assert.equal(regenerates(next), 0, 'the next stage has not started');

    // the operators fixed the workload and accept the finding: the fleet goes on to the next stage
    stack.sim.state.kube(canary)!.crashWorkload('Deployment', victim.namespace, victim.name, false);
    await sendFleetControl(client, 'crash', { update: 'resume', input: { by: 'bob' } });
    const done = await client.workflow.getHandle(fleetRotationWorkflowId('crash')).result() as FleetReport;
    assert.equal(done.phase, 'Completed', JSON.stringify(done.timeline.slice(-5)));
    assert.deepEqual(done.stages?.map((s) => [s.name, s.state, s.soak?.findings.length ?? null]), [['pilot', 'done', 1], ['rest', 'done', null]]);
    assert.equal(regenerates(next), 1);
  });
});
