// A fleet whose child rotation is terminated inside its credential window (Temporal Web or CLI can
// always terminate a run), end to end: a real Temporal dev server, the time-scaled simulator and the
// live worker. The child's deletes and regenerate are done and nothing delivered; whatever comes next
// over that cluster (the fleet's `retry`, or a fresh fleet after the whole fleet was terminated) must
// finish the job: its snapshot finds the cluster without working credentials and rolls forward
// (issue 10, item 1; docs/design.md, "The credential window").
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { Client } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { sendFleetControl, startFleetRotation } from '../client/index.js';
import { clusterRotationWorkflowId, fleetRotationWorkflowId } from '../common/names.js';
import type { FleetReport, FleetRotationInput, RotationReport, RotationTuning } from '../common/types.js';
import { startLocalStack, type LocalStack } from '../dev/localStack.js';
import { fleetStatusQuery } from '../workflows/definitions.js';
import { waitForRotationStatus } from './support/rotationStatus.js';
import { waitFor } from './support/waitFor.js';

Runtime.install({ logger: new DefaultLogger('ERROR') });

let stack: LocalStack;
let client: Client;

before(async () => {
  stack = await startLocalStack({
    // LKE serves the old kubeconfig for 1 s real after a regenerate, then 503 until the new one is ready
    simulator: { clusters: 3, seed: 41, timeScale: 0.002, delays: { staleKubeconfigMs: 500_000 }, rateLimit: false },
    activities: {
      pollIntervalMs: 50, tokenCacheWindowMs: 2_000, recycleResendAfterMs: 5_000, retryAfterScale: 0.01, regenerateSettleMs: 3_000,
    },
  });
  client = stack.client;
});

after(async () => {
  await stack?.stop();
});

const FAST_RETRIES: RotationTuning = { activityRetryInitialIntervalMs: 100, activityRetryMaximumIntervalMs: 500 };
const clusterIds = (): number[] => stack.sim.state.list().map(({ cluster }) => cluster.id);
const regenerates = (clusterId: number): number => stack.sim.audit.count({ clusterId, method: 'POST', path: /\/regenerate$/, applied: true });
const events = (report: RotationReport): string[] => report.timeline.map((t) => `${t.event}${t.detail ? `: ${t.detail}` : ''}`);
const fleetStatus = (name: string) => client.workflow.getHandle(fleetRotationWorkflowId(name)).query(fleetStatusQuery);

/**
 * No gates (an admin switched them off), so the first child goes straight into its window; one at a
 * time, so a failure of the first halts the fleet (no error budget) before the others start.
 */
const fleetOver = (name: string, ...clusterIds: number[]): FleetRotationInput => ({
  name, requestedBy: 'alice', selector: { clusterIds }, waves: { canary: 0 }, gatesDisabledBy: 'test-admin', concurrency: 1,
  rotation: { tuning: FAST_RETRIES }, watchIntervalMs: 300,
});

/**
 * Starts the fleet and returns once its child awaits a kubeconfig that LKE holds back (the regenerate
 * is done), with LKE already past its stale window: GET /kubeconfig answers 503 from then on.
 */
async function fleetChildInsideItsWindow(fleet: FleetRotationInput, clusterId: number): Promise<void> {
  const delays = stack.sim.state.delays;
  const readyMs = delays.kubeconfigReadyMs;
  delays.kubeconfigReadyMs = 3_600_000_000;
  try {
    await startFleetRotation(client, fleet);
    await waitForRotationStatus(client, clusterId, (s) => s.phase === 'AwaitingKubeconfig', 'the child awaiting its kubeconfig', 30_000);
  } finally {
    delays.kubeconfigReadyMs = readyMs;
  }
  assert.equal(regenerates(clusterId), 1);
  const cluster = stack.sim.state.cluster(clusterId)!;
  await waitFor('LKE past its stale window', async () => cluster.staleKubeconfigToken, (token) => token === null, 10_000, 50);
}

/** LKE finishes the regeneration it held back. */
const releaseKubeconfig = (clusterId: number) => stack.sim.state.setKubeconfigNeverReady(clusterId, false);

async function assertWorkingKubeconfigDelivered(clusterId: number): Promise<void> {
  const files = (await readdir(stack.kubeconfigDir)).filter((f) => f.includes(String(clusterId)));
  assert.equal(files.length, 1, `one kubeconfig file for the cluster: ${files.join(', ')}`);
  const kc = new KubeConfig();
  kc.loadFromString(await readFile(join(stack.kubeconfigDir, files[0]), 'utf8'));
  assert.equal(kc.getCurrentUser()?.token, stack.sim.state.kube(clusterId)!.adminToken(), 'the current admin token');
  const nodes = await kc.makeApiClient(CoreV1Api).listNode();
  assert.ok(nodes.items.length > 0, 'the delivered kubeconfig works');
}

describe('a fleet over a cluster left inside its credential window', () => {
  test("the fleet's retry of a child terminated inside its window rolls forward and delivers", async () => {
    const [clusterId, next] = clusterIds();
    const name = 'retry-terminated';
    await fleetChildInsideItsWindow(fleetOver(name, clusterId, next), clusterId);
    await client.workflow.getHandle(clusterRotationWorkflowId(clusterId)).terminate('terminated from Temporal Web');

    // no error budget: the terminated child halts the fleet, which waits for a human
    const halted = await waitFor('the fleet halted', () => fleetStatus(name), (s) => s.phase === 'Halted', 30_000, 100);
    assert.equal(halted.clusters.find((c) => c.id === clusterId)?.phase, 'Failed');
    await sendFleetControl(client, name, { update: 'retry', input: { by: 'bob' } });
    const rolling = await waitForRotationStatus(client, clusterId,
      (s) => s.plan?.rollForward !== undefined && s.phase === 'AwaitingKubeconfig', 'the retried child rolling forward', 30_000);
    assert.match(rolling.plan!.rollForward!, /^a regeneration is under way/);
    releaseKubeconfig(clusterId);

    const report = await client.workflow.getHandle(fleetRotationWorkflowId(name)).result() as FleetReport;
    assert.equal(report.phase, 'Completed', JSON.stringify(report.timeline));
    const child = await client.workflow.getHandle(clusterRotationWorkflowId(clusterId)).result() as RotationReport;
    assert.equal(child.phase, 'Completed', events(child).join('\n'));
    assert.ok(events(child).some((e) => e.startsWith('regenerate: not sent')), events(child).join('\n'));
    assert.equal(regenerates(clusterId), 1, 'the regeneration under way was awaited, not repeated');
    await assertWorkingKubeconfigDelivered(clusterId);
  });

  test('a fresh fleet over a cluster whose fleet and child were both terminated rolls forward and delivers', async () => {
    const clusterId = clusterIds()[2];
    await fleetChildInsideItsWindow(fleetOver('terminated-fleet', clusterId), clusterId);
    // children are abandoned when their fleet closes (they outlive it), so the operator terminates both
    await client.workflow.getHandle(clusterRotationWorkflowId(clusterId)).terminate('terminated from the Temporal CLI');
    await client.workflow.getHandle(fleetRotationWorkflowId('terminated-fleet')).terminate('terminated from the Temporal CLI');

    await startFleetRotation(client, fleetOver('fresh-fleet', clusterId));
    await waitForRotationStatus(client, clusterId,
      (s) => s.plan?.rollForward !== undefined && s.phase === 'AwaitingKubeconfig', 'the fresh child rolling forward', 30_000);
    releaseKubeconfig(clusterId);

    const report = await client.workflow.getHandle(fleetRotationWorkflowId('fresh-fleet')).result() as FleetReport;
    assert.equal(report.phase, 'Completed', JSON.stringify(report.timeline));
    assert.equal(regenerates(clusterId), 1);
    await assertWorkingKubeconfigDelivered(clusterId);
  });
});
