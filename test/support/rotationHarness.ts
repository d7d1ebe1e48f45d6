// The clusterRotation tests' helpers: a dev server for the file, a worker per test serving one
// FakeCluster, the input every test starts from, waiting for a phase, and the assertions the
// tests share (refused controls, no destructive call, no secret in history).
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { Client } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { ControlRefusedError } from '../../client/index.js';
import type { RotationPhase } from '../../common/names.js';
import type { ClusterRotationWorkflowInput, RotationStatus } from '../../common/types.js';
import type { FakeCluster } from './fakeActivities.js';
import { asAdmin } from './gates.js';
import { waitForRotationStatus } from './rotationStatus.js';
import { useTemporal, type TemporalHarness, type UseTemporalOptions } from './temporal.js';

export interface RotationHarness {
  readonly temporal: TemporalHarness;
  readonly client: Client;
  /** Runs `body` with a worker serving the fake cluster on its own task queue (stopped when the test ends). */
  withWorker<T>(t: TestContext, cluster: FakeCluster, body: (taskQueue: string) => Promise<T>): Promise<T>;
  waitFor(clusterId: number, ready: (s: RotationStatus) => boolean, what: string, timeoutMs?: number): Promise<RotationStatus>;
  waitForPhase(clusterId: number, phase: RotationPhase): Promise<RotationStatus>;
}

/** Call at the top level of a test file: one Temporal server for the file's tests. */
export function useRotationHarness(options: UseTemporalOptions = {}): RotationHarness {
  // Worker state chatter drowns the test report; warnings and errors still show.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const temporal = useTemporal(options);
  const harness: RotationHarness = {
    temporal,
    get client() {
      return temporal.client;
    },
    async withWorker(t, cluster, body) {
      const { taskQueue } = await temporal.startWorker(t, { activities: cluster.activities() });
      return body(taskQueue);
    },
    waitFor: (clusterId, ready, what, timeoutMs) => waitForRotationStatus(temporal.client, clusterId, ready, what, timeoutMs),
    waitForPhase: (clusterId, phase) => harness.waitFor(clusterId, (s) => s.phase === phase, `phase ${phase}`),
  };
  return harness;
}

/** What every test starts: restarts and a rolling recycle, with fast retries that give up after two attempts. */
export function rotationInput(cluster: FakeCluster, extra: Partial<ClusterRotationWorkflowInput> = {}): ClusterRotationWorkflowInput {
  return asAdmin({
    clusterId: cluster.clusterId,
    requestedBy: 'alice',
    restart: { scope: 'all' },
    recycle: { mode: 'rolling' },
    tuning: { activityRetryInitialIntervalMs: 50, activityRetryMaximumIntervalMs: 100, activityMaximumAttempts: 2 },
    ...extra,
  });
}

/** The control was refused by its validator, with a reason matching `reason`. */
export async function refused(promise: Promise<unknown>, reason: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof ControlRefusedError, `expected ControlRefusedError, got ${String(err)}`);
    assert.match(err.reason, reason);
    return true;
  });
}

const DESTRUCTIVE = ['deleteTokenSecrets', 'regenerateCredentials', 'deliverKubeconfig', 'restartWorkload', 'recycleNode'] as const;

/** Calls that change the cluster: zero means nothing was changed. */
export const destructiveCalls = (cluster: FakeCluster): number => DESTRUCTIVE.reduce((n, name) => n + cluster.count(name), 0);

export function assertNoSecrets(historyText: string, cluster: FakeCluster): void {
  assert.ok(cluster.issuedTokens.length > 0);
  // Secret names (not values) are in the snapshot payload: seeing one proves payloads were decoded.
  assert.ok(historyText.includes('lke-admin-token-1x'), 'history payloads are readable');
  for (const token of cluster.issuedTokens) assert.ok(!historyText.includes(token), 'a token issued by the fake cluster reached history');
}
