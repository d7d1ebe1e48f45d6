// The credential steps against in-memory fakes of their ports (test/support/activityHarness.ts):
// snapshot, delete, regenerate, await, verify, deliver. Idempotency (run twice), 404-as-done, uid
// conflicts, heartbeat resume, cancellation and deadlines in Temporal's MockActivityEnvironment.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { stat, readFile } from 'node:fs/promises';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { createActivities } from '../activities/index.js';
import { createKubeconfigCache } from '../activities/kubeconfig/cache.js';
import { FailureType } from '../common/failures.js';
import { kubeFailure, linodeFailure, nonRetryable } from '../activities/errors.js';
import { kubeconfigFingerprint } from '../activities/kubeconfig/parse.js';
import { rejection } from './support/failures.js';
import { CLUSTER_ID, harness, assertNoSecrets, sha16, rotatedUpToRegenerate, rotatedUpToAwait, SERVICE_ACCOUNTS } from './support/activityHarness.js';

describe('snapshotCluster', () => {
  test('records references and the admin token fingerprint, never a token', async () => {
    const h = await harness();
    const snapshot = await h.env().run(h.activities.snapshotCluster, { clusterId: CLUSTER_ID, restartScope: 'all' });
    assert.equal(snapshot.label, 'shop prod');
    assert.equal(snapshot.adminTokenFingerprint, sha16(h.lke.adminToken()));
    assert.deepEqual(snapshot.tokenSecrets.map((s) => s.serviceAccount).sort(), [...SERVICE_ACCOUNTS].sort());
    assert.ok(snapshot.tokenSecrets.every((s) => !('tokenFingerprint' in s)));
    assert.equal(snapshot.nodes.length, 3);
    assert.deepEqual(snapshot.poolNodes.map((n) => n.instanceId), [1000, 1001, 1002]);
    assert.deepEqual(snapshot.workloads, [{ kind: 'Deployment', namespace: 'app', name: 'web' }]);
    const none = await h.env().run(h.activities.snapshotCluster, { clusterId: CLUSTER_ID, restartScope: 'none' });
    assert.deepEqual(none.workloads, []);
    // without a node recycle the pools are not read: a list is scarce in Linode's budget
    const listed = h.lke.calls.filter((c) => c === 'listPools').length;
    const withoutPools = await h.env().run(h.activities.snapshotCluster, { clusterId: CLUSTER_ID, restartScope: 'none', pools: false });
    assert.deepEqual(withoutPools.poolNodes, []);
    assert.equal(h.lke.calls.filter((c) => c === 'listPools').length, listed);
    assert.equal(withoutPools.nodes.length, 3, 'the Kubernetes Nodes are still read');
    assertNoSecrets(h, snapshot);
    await h.cleanup();
  });

  test('a kubeconfig not available yet (regeneration under way) is reported, not waited for; an unknown cluster fails non-retryably', async () => {
    const h = await harness();
    h.lke.kubeconfigScript = ['notReady'];
    const regenerating = await h.env().run(h.activities.snapshotCluster, { clusterId: CLUSTER_ID, restartScope: 'none' });
    assert.equal(regenerating.credentials, 'regenerating');
    assert.equal(regenerating.adminTokenFingerprint, null);
    assert.deepEqual([regenerating.tokenSecrets, regenerating.nodes, regenerating.workloads], [[], [], []]);
    assert.ok(regenerating.poolNodes.length > 0, 'the pools come from the Linode API');
    const missing = await rejection(h.env().run(h.activities.snapshotCluster, { clusterId: 99, restartScope: 'none' }));
    assert.equal(missing.type, FailureType.linodeNotFound);
    assert.equal(missing.nonRetryable, true);
    await h.cleanup();
  });
});

describe('deleteTokenSecrets', () => {
  test('deletes every snapshot Secret, our own credential last; a second run finds them gone', async () => {
    const h = await harness();
    const snapshot = await h.env().run(h.activities.snapshotCluster, { clusterId: CLUSTER_ID, restartScope: 'none' });
    // put lke-admin first, so the order is the activity's doing
    const secrets = [...snapshot.tokenSecrets].sort((a) => (a.serviceAccount === 'lke-admin' ? -1 : 1));
    const first = await h.env().run(h.activities.deleteTokenSecrets, { clusterId: CLUSTER_ID, secrets });
    assert.equal(first.deleted.length, 4);
    assert.deepEqual(first.alreadyGone, []);
    assert.equal(h.lke.deleteOrder.at(-1), 'lke-admin');
    assert.equal(h.lke.secrets.length, 0);

    // the worker died before the result was recorded: Temporal runs it again (the kubeconfig is now dead)
    const second = await h.env().run(h.activities.deleteTokenSecrets, { clusterId: CLUSTER_ID, secrets });
    assert.deepEqual(second.deleted, []);
    assert.deepEqual(second.alreadyGone.sort(), secrets.map((s) => s.name).sort());
    assert.equal(h.lke.deleteOrder.length, 4);
    assertNoSecrets(h, first, second);
    await h.cleanup();
  });

  test('404 counts as done and a Secret replaced under the same name (uid conflict) is left alone', async () => {
    const h = await harness();
    const snapshot = await h.env().run(h.activities.snapshotCluster, { clusterId: CLUSTER_ID, restartScope: 'none' });
    const ccm = h.lke.secrets.find((s) => s.serviceAccount === 'ccm-user')!;
    const dashboard = h.lke.secrets.find((s) => s.serviceAccount === 'kubernetes-dashboard-lke-user')!;
    h.lke.secrets = h.lke.secrets.filter((s) => s !== ccm); // someone deleted it already
    dashboard.uid = h.lke.uid(); // deleted and recreated with the same name
    const result = await h.env().run(h.activities.deleteTokenSecrets, { clusterId: CLUSTER_ID, secrets: snapshot.tokenSecrets });
    assert.deepEqual(result.alreadyGone, [ccm.name]);
    assert.deepEqual(result.conflicts, [dashboard.name]);
    assert.equal(result.deleted.length, 2);
    assert.ok(h.lke.secrets.includes(dashboard), 'the replacement Secret must survive');
    await h.cleanup();
  });

  test('a transient error fails the attempt retryably; the retry deletes nothing twice', async () => {
    const h = await harness();
    const snapshot = await h.env().run(h.activities.snapshotCluster, { clusterId: CLUSTER_ID, restartScope: 'none' });
    let deletes = 0;
    h.lke.failNext('deleteSecret', 0, () => nonRetryable(FailureType.kubeUnavailable, 'x'));
    const realKube = h.deps.kube;
    const activities = createActivities({
      ...h.deps,
      kube: (yaml) => {
        const port = realKube(yaml);
        return {
          ...port,
          deleteSecret: async (ns, name, uid) => {
            if (++deletes === 2) throw kubeFailure(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'delete');
            return port.deleteSecret(ns, name, uid);
          },
        };
      },
    });
    const failure = await rejection(h.env().run(activities.deleteTokenSecrets, { clusterId: CLUSTER_ID, secrets: snapshot.tokenSecrets }));
    assert.equal(failure.type, FailureType.kubeUnavailable);
    assert.equal(failure.nonRetryable, false);
    const retry = await h.env().run(activities.deleteTokenSecrets, { clusterId: CLUSTER_ID, secrets: snapshot.tokenSecrets });
    assert.equal(retry.deleted.length + retry.alreadyGone.length, 4);
    assert.equal(retry.alreadyGone.length, 1);
    assert.equal(h.lke.deleteOrder.length, 4, 'each Secret deleted exactly once');
    await h.cleanup();
  });
});

describe('awaitKubeconfig', () => {
  test('polls through 503, the old kubeconfig and a control plane still rejecting the new token', async () => {
    const h = await harness();
    h.lke.tokenCacheChecks = 100; // the old token still works for a while: only its fingerprint tells it apart
    const snapshot = await rotatedUpToRegenerate(h);
    h.lke.kubeconfigScript = ['notReady', 'notReady', 'old'];
    h.lke.newTokenWarmup = 2;
    const result = await h.env().run(h.activities.awaitKubeconfig, {
      clusterId: CLUSTER_ID, previousFingerprint: snapshot.adminTokenFingerprint,
    });
    assert.equal(result.fingerprint, sha16(h.lke.adminToken()));
    assert.notEqual(result.fingerprint, snapshot.adminTokenFingerprint);
    assert.equal(result.attempts, 6);
    assert.deepEqual(h.heartbeats.slice(-6), [1, 2, 3, 4, 5, 6].map((attempts) => ({ attempts })));
    assertNoSecrets(h, result);
    await h.cleanup();
  });

  test('resumes its attempt count from the last heartbeat, and a run after success returns the same fingerprint', async () => {
    const h = await harness();
    const snapshot = await rotatedUpToRegenerate(h);
    const input = { clusterId: CLUSTER_ID, previousFingerprint: snapshot.adminTokenFingerprint };
    const resumedRun = await h.env({ attempts: 41 }).run(h.activities.awaitKubeconfig, input);
    assert.equal(resumedRun.attempts, 42);
    const again = await h.env().run(h.activities.awaitKubeconfig, input);
    assert.equal(again.fingerprint, resumedRun.fingerprint);
    await h.cleanup();
  });

  test('cancellation ends the wait', async () => {
    const h = await harness({ pollIntervalMs: 20 });
    const snapshot = await rotatedUpToRegenerate(h);
    h.lke.kubeconfigScript = Array.from({ length: 1000 }, () => 'notReady' as const);
    const env = h.env();
    const running = env.run(h.activities.awaitKubeconfig, { clusterId: CLUSTER_ID, previousFingerprint: snapshot.adminTokenFingerprint });
    setTimeout(() => env.cancel('CANCELLED'), 60);
    await assert.rejects(running, (err: unknown) => err instanceof CancelledFailure);
    await h.cleanup();
  });

  test('transient errors are polled through, but not forever', async () => {
    const h = await harness({ maxConsecutiveTransientErrors: 3 });
    const snapshot = await rotatedUpToRegenerate(h);
    const input = { clusterId: CLUSTER_ID, previousFingerprint: snapshot.adminTokenFingerprint };
    const serverError = (): ApplicationFailure => linodeFailure({ response: { status: 502, data: { errors: [{ reason: 'Bad gateway' }] } } }, 'GET kubeconfig');
    h.lke.failNext('getKubeconfig', 2, serverError);
    assert.ok((await h.env().run(h.activities.awaitKubeconfig, input)).fingerprint);
    h.lke.failNext('getKubeconfig', 3, serverError);
    const failure = await rejection(h.env().run(h.activities.awaitKubeconfig, input));
    assert.equal(failure.type, FailureType.linodeServerError);
    assert.equal(failure.nonRetryable, false);
    await h.cleanup();
  });
});

describe('waits that cannot finish in time', () => {
  test('fail just before start-to-close with a retryable failure that says what they waited for', async () => {
    const h = await harness({ pollIntervalMs: 10 });
    const snapshot = await rotatedUpToRegenerate(h);
    h.lke.kubeconfigScript = Array.from({ length: 10_000 }, () => 'notReady' as const);
    const started = Date.now();
    const kubeconfig = await rejection(h.env(undefined, { startToCloseTimeoutMs: 300 }).run(h.activities.awaitKubeconfig, {
      clusterId: CLUSTER_ID, previousFingerprint: snapshot.adminTokenFingerprint,
    }));
    assert.ok(Date.now() - started < 300, 'gave up before the timeout');
    assert.equal(kubeconfig.type, FailureType.kubeconfigNotReady);
    assert.equal(kubeconfig.nonRetryable, false);
    assert.match(kubeconfig.message, /503, kubeconfig not yet available/);

    h.lke.kubeconfigScript = [];
    const awaited = await h.env().run(h.activities.awaitKubeconfig, { clusterId: CLUSTER_ID, previousFingerprint: snapshot.adminTokenFingerprint });
    h.lke.nodes[1].ready = false;
    const verify = await rejection(h.env(undefined, { startToCloseTimeoutMs: 300 }).run(h.activities.verifyRotation, {
      clusterId: CLUSTER_ID, newFingerprint: awaited.fingerprint, previousFingerprint: snapshot.adminTokenFingerprint,
      nodes: snapshot.nodes, oldSecrets: snapshot.tokenSecrets,
    }));
    assert.equal(verify.type, FailureType.verifyIncomplete);
    assert.match(verify.message, new RegExp(`Nodes not Ready: ${h.lke.nodes[1].name}`));
    assertNoSecrets(h, kubeconfig, verify);
    await h.cleanup();
  });
});

describe('verifyRotation', () => {
  test('waits for recreated token Secrets and proves the old token dead through the token cache', async () => {
    const h = await harness();
    h.lke.tokenCacheChecks = 3;
    h.lke.secretsRecreateAfterLists = 3;
    const { verifyInput } = await rotatedUpToAwait(h);
    const result = await h.env().run(h.activities.verifyRotation, verifyInput);
    assert.equal(result.oldTokenRejected, true);
    assert.equal(result.nodesReady, 3);
    assert.deepEqual(result.serviceAccountsWithNewToken, [...SERVICE_ACCOUNTS].sort());
    assert.equal(result.newFingerprint, verifyInput.newFingerprint);
    assertNoSecrets(h, result);
    await h.cleanup();
  });

  test('an old token still accepted past the cache window fails non-retryably', async () => {
    const h = await harness({ tokenCacheWindowMs: 30 });
    h.lke.tokenCacheChecks = 1_000_000;
    const { verifyInput } = await rotatedUpToAwait(h);
    const failure = await rejection(h.env().run(h.activities.verifyRotation, verifyInput));
    assert.equal(failure.type, FailureType.oldTokenStillAccepted);
    assert.equal(failure.nonRetryable, true);
    assertNoSecrets(h, failure);
    await h.cleanup();
  });

  test('after a worker restart (empty cache) the old token is unchecked unless the sink holds it', async () => {
    const h = await harness();
    const { verifyInput, snapshot } = await rotatedUpToAwait(h);
    const restarted = createActivities({ ...h.deps, kubeconfigCache: createKubeconfigCache() });
    const unchecked = await h.env().run(restarted.verifyRotation, verifyInput);
    assert.equal(unchecked.oldTokenRejected, 'unchecked');

    await h.deps.sink.write(CLUSTER_ID, snapshot.label, h.lke.previousKubeconfig!);
    const restartedAgain = createActivities({ ...h.deps, kubeconfigCache: createKubeconfigCache() });
    const checked = await h.env().run(restartedAgain.verifyRotation, verifyInput);
    assert.equal(checked.oldTokenRejected, true);
    await h.cleanup();
  });

  test('a kubeconfig rotated again since await fails as KubeconfigChanged', async () => {
    const h = await harness();
    const { verifyInput } = await rotatedUpToAwait(h);
    h.lke.regenerate();
    const restarted = createActivities({ ...h.deps, kubeconfigCache: createKubeconfigCache() });
    const failure = await rejection(h.env().run(restarted.verifyRotation, verifyInput));
    assert.equal(failure.type, FailureType.kubeconfigChanged);
    assert.equal(failure.nonRetryable, true);
    await h.cleanup();
  });
});

describe('deliverKubeconfig', () => {
  test('writes the new kubeconfig 0600 and overwrites on a second run', async () => {
    const h = await harness();
    const { awaited, snapshot } = await rotatedUpToAwait(h);
    const input = { clusterId: CLUSTER_ID, label: snapshot.label, fingerprint: awaited.fingerprint };
    const first = await h.env().run(h.activities.deliverKubeconfig, input);
    const second = await h.env().run(h.activities.deliverKubeconfig, input);
    assert.equal(first.location, second.location);
    assert.match(first.location, /lke-7-shop_prod\.kubeconfig\.yaml$/);
    assert.equal((await stat(first.location)).mode & 0o777, 0o600);
    assert.equal(kubeconfigFingerprint(await readFile(first.location, 'utf8')), awaited.fingerprint);
    assertNoSecrets(h, first);
    await h.cleanup();
  });
});
