// The activities over the adapters compose() builds (activities/compose.ts), against the simulator:
// cancellation reaching requests in flight, and the whole activity sequence with faults on the way.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger, type LogEntry } from '@temporalio/worker';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { createActivities } from '../activities/index.js';
import { compose, type ActivityTuning } from '../activities/compose.js';
import { createKubePort } from '../activities/kube/adapter.js';
import { kubeconfigFingerprint } from '../activities/kubeconfig/parse.js';
import type { RegenerateInput } from '../common/activities.js';
import type { RegenerateResult } from '../common/types.js';
import { Secret } from '../config/config.js';
import type { Simulator } from '../sim/index.js';
import { useSimulator, withSimulator } from './support/sim.js';
import { RETRY_AFTER_SCALE, kubeconfigOf, issuedTokens, assertNoToken } from './support/liveAdapters.js';

/** The production composition root, pointed at a simulator. */
function composeOn(sim: Simulator, kubeconfigDir: string, activities: ActivityTuning) {
  return compose({ linode: { apiUrl: sim.linodeApiUrl, token: new Secret(sim.linodeToken) }, kubeconfigDir, activities });
}

describe('cancellation reaches requests in flight', () => {
  const sim = useSimulator({ clusters: 2, timeScale: 0.001, seed: 7, rateLimit: false });

  for (const api of ['linode', 'kube'] as const) {
    test(`a cancelled activity abandons a slow ${api} request and ends as cancelled`, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'adapters-cancel-'));
      try {
        const deps = composeOn(sim(), dir, { pollIntervalMs: 10 }).activityDeps();
        const activities = createActivities(deps);
        const clusterId = sim().state.list()[api === 'linode' ? 0 : 1].cluster.id;
        const removeLatency = sim().faults.add({ api, clusterId, kind: 'latency', ms: 5_000 });
        const env = new MockActivityEnvironment({ startToCloseTimeoutMs: 60_000 }, { logger: new DefaultLogger('ERROR') });
        const started = Date.now();
        const running = env.run(activities.snapshotCluster, { clusterId, restartScope: 'none' as const });
        setTimeout(() => env.cancel('CANCELLED'), 100);
        await assert.rejects(running, (err: unknown) => err instanceof CancelledFailure);
        assert.ok(Date.now() - started < 3_000, `took ${Date.now() - started} ms: the request was not aborted`);
        removeLatency();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});

describe('the whole activity sequence through the real adapters', () => {
  /** What the Temporal worker would do: retry retryable failures after their delay, passing the last heartbeat. */
  async function runLikeTemporal<I, O>(fn: (input: I) => Promise<O>, input: I, errors: unknown[], logger: DefaultLogger): Promise<O> {
    let details: unknown;
    for (let attempt = 1; ; attempt++) {
      const env = new MockActivityEnvironment({ attempt, heartbeatDetails: details, startToCloseTimeoutMs: 60_000 }, { logger });
      env.on('heartbeat', (d: unknown) => { details = d; });
      try {
        return await env.run(fn, input);
      } catch (err) {
        errors.push(err);
        if (!(err instanceof ApplicationFailure) || err.nonRetryable || attempt >= 10) throw err;
        await sleep(typeof err.nextRetryDelay === 'number' ? err.nextRetryDelay : 10);
      }
    }
  }

  test('snapshot, delete, regenerate, await, verify, deliver, restart, recycle with faults on the way', async () => {
    await withSimulator({ clusters: 1, timeScale: 0.001, seed: 6, rateLimit: false }, async (sim) => {
      const dir = await mkdtemp(join(tmpdir(), 'adapters-sequence-'));
      const logs: LogEntry[] = [];
      const logger = new DefaultLogger('TRACE', (entry) => { logs.push(entry); });
      const errors: unknown[] = [];
      const tokens = issuedTokens(sim);
      try {
        const deps = composeOn(sim, dir, { pollIntervalMs: 10, tokenCacheWindowMs: 2_000, retryAfterScale: RETRY_AFTER_SCALE }).activityDeps();
        const activities = createActivities(deps);
        const clusterId = sim.state.list()[0].cluster.id;
        const run = <I, O>(fn: (input: I) => Promise<O>, input: I): Promise<O> => runLikeTemporal(fn, input, errors, logger);
        const started = Date.now();

        const snapshot = await run(activities.snapshotCluster, { clusterId, restartScope: 'all' as const });
        const oldKubeconfig = await kubeconfigOf(deps.linode, clusterId);
        assert.ok(snapshot.tokenSecrets.length >= 4 && snapshot.workloads.length > 0 && snapshot.poolNodes.length > 0);

        // a dropped connection after the second delete took effect: the retry finds it gone
        sim.faults.add({ api: 'kube', clusterId, method: 'DELETE', path: '/secrets/', kind: 'sideEffectThenFail', count: 1, outcome: 'drop' });
        const deleted = await run(activities.deleteTokenSecrets, { clusterId, secrets: snapshot.tokenSecrets });
        assert.equal(deleted.deleted.length + deleted.alreadyGone.length, snapshot.tokenSecrets.length);
        assert.deepEqual(deleted.conflicts, []);
        assert.equal(sim.audit.count({ api: 'kube', clusterId, method: 'DELETE', applied: true }), snapshot.tokenSecrets.length,
          'each token Secret deleted exactly once');

        // regenerate answered 502 after it happened: the retry regenerates again, which is safe
        sim.faults.add({ api: 'linode', clusterId, path: '/regenerate', kind: 'sideEffectThenFail', count: 1, outcome: 502 });
        await run(activities.regenerateCredentials, { clusterId });
        // a burst of 429s while the kubeconfig is awaited
        sim.faults.add({ api: 'linode', clusterId, path: '/kubeconfig', kind: 'failNext', count: 3, status: 429, retryAfterSeconds: 5 });
        const awaited = await run(activities.awaitKubeconfig, { clusterId, previousFingerprint: snapshot.adminTokenFingerprint });
        assert.notEqual(awaited.fingerprint, snapshot.adminTokenFingerprint);

        const verified = await run(activities.verifyRotation, {
          clusterId, newFingerprint: awaited.fingerprint, previousFingerprint: snapshot.adminTokenFingerprint,
          nodes: snapshot.nodes, oldSecrets: snapshot.tokenSecrets,
        });
        assert.equal(verified.oldTokenRejected, true);
        assert.equal(verified.nodesReady, snapshot.nodes.length);
        assert.deepEqual(verified.serviceAccountsWithNewToken, [...new Set(snapshot.tokenSecrets.map((s) => s.serviceAccount))].sort());

        const delivered = await run(activities.deliverKubeconfig, { clusterId, label: snapshot.label, fingerprint: awaited.fingerprint });
        assert.equal((await stat(delivered.location)).mode & 0o777, 0o600);
        const deliveredYaml = await readFile(delivered.location, 'utf8');
        assert.equal(kubeconfigFingerprint(deliveredYaml), awaited.fingerprint);
        assert.equal(await createKubePort(deliveredYaml).checkAccess(), 'ok');
        assert.equal(await createKubePort(oldKubeconfig).checkAccess(), 'unauthorized');

        const restartedAt = '2026-11-29T11:00:00Z';
        for (const workload of snapshot.workloads) {
          const result = await run(activities.restartWorkload, { clusterId, workload, restartedAt });
          assert.equal(result.patched, true);
          assert.equal(sim.state.kube(clusterId)!.restartedAt(workload.kind, workload.namespace, workload.name), restartedAt);
        }
        const again = await run(activities.restartWorkload, { clusterId, workload: snapshot.workloads[0], restartedAt });
        assert.equal(again.patched, false);
        assert.equal(sim.audit.count({ api: 'kube', clusterId, method: 'PATCH' }), snapshot.workloads.length);

        for (const node of snapshot.poolNodes) {
          const recycled = await run(activities.recycleNode, { clusterId, node });
          assert.equal(recycled.skipped, false);
          assert.ok(recycled.newInstanceId !== null && recycled.newInstanceId !== node.instanceId);
        }
        const skipped = await run(activities.recycleNode, { clusterId, node: snapshot.poolNodes[0] });
        assert.equal(skipped.skipped, true);
        assert.equal(sim.audit.count({ api: 'linode', clusterId, path: '/recycle' }), snapshot.poolNodes.length);
        const elapsedMs = Date.now() - started;

        // the faults did fire, and nothing they produced names a secret
        assert.ok(errors.length >= 2, `expected the injected faults to surface, got ${errors.length}`);
        issuedTokens(sim, tokens);
        assertNoToken(tokens, errors, snapshot, deleted, awaited, verified, delivered, logs.map((l) => [l.message, l.meta]));
        assert.ok(!JSON.stringify(logs.map((l) => l.meta)).includes('certificate-authority-data'));
        process.stdout.write(`# full activity sequence: ${elapsedMs} ms, ${snapshot.workloads.length} workloads, ` +
          `${snapshot.poolNodes.length} nodes, ${errors.length} injected failures retried\n`);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
});

describe('a regenerate after an earlier one of the same rotation', () => {
  // Found by the safety property (seed 20261204, case 10): a regenerate step whose retry POSTed and
  // timed out went Blocked; the human's retry scheduled a new activity, whose attempt 1 POSTed
  // without looking, a third regenerate for one rotation.
  test('with lookFirst, even attempt 1 finds the earlier POST took and does not POST; without it, it does', async () => {
    await withSimulator({ clusters: 1, timeScale: 0.001, seed: 8, rateLimit: false }, async (sim) => {
      const dir = await mkdtemp(join(tmpdir(), 'adapters-regenerate-'));
      try {
        const deps = composeOn(sim, dir, { pollIntervalMs: 10, regenerateSettleMs: 2_000 }).activityDeps();
        const activities = createActivities(deps);
        const clusterId = sim.state.list()[0].cluster.id;
        const previousFingerprint = kubeconfigFingerprint(await kubeconfigOf(deps.linode, clusterId));
        const regenerate = async (input: RegenerateInput): Promise<RegenerateResult> => {
          const result = await new MockActivityEnvironment({ attempt: 1, startToCloseTimeoutMs: 60_000 }, { logger: new DefaultLogger('ERROR') })
            .run(activities.regenerateCredentials, input);
          assert.ok(result, 'the live activity answers what it did');
          return result as RegenerateResult;
        };
        const posts = () => sim.audit.count({ clusterId, method: 'POST', path: /\/regenerate$/, applied: true });

        assert.equal((await regenerate({ clusterId, previousFingerprint })).posted, true);
        const looked = await regenerate({ clusterId, previousFingerprint, lookFirst: true });
        assert.deepEqual([looked.posted, posts()], [false, 1]);
        assert.match(looked.reason ?? '', /a regeneration is under way|a new kubeconfig/);
        assert.equal((await regenerate({ clusterId, previousFingerprint })).posted, true);
        assert.equal(posts(), 2, 'attempt 1 without lookFirst POSTs straight away');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
});
