// The batched restarts and the drained recycles against in-memory fakes of their ports
// (test/support/activityHarness.ts): what a drain evicts, leaves and refuses, a budget that holds it
// past its timeout, a retry that continues from the heartbeat without a second eviction wave or a
// second restart, the drain preview, the 'affected' rule and kubectl's StatefulSet rollout rule.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { affectedWorkloads } from '../activities/affected.js';
import { rolloutStatus } from '../activities/rollout.js';
import { sortPodsForDrain } from '../activities/drain.js';
import type { DeploymentState, PodInfo, StatefulSetState } from '../activities/ports.js';
import { FailureType } from '../common/failures.js';
import type { PoolNodeRef, TokenSecretRef, WorkloadRef } from '../common/types.js';
import { rejection } from './support/failures.js';
import { CLUSTER_ID, harness, type Harness } from './support/activityHarness.js';

const NODE0 = 'lke7-11-node0';

function pod(name: string, extra: Partial<PodInfo & { node: string }> = {}): PodInfo & { node: string } {
  return {
    namespace: 'app', name, uid: `uid-${name}`, labels: { app: 'web' }, controllerKind: 'ReplicaSet', mirror: false,
    finished: false, terminating: false, node: NODE0, ...extra,
  };
}

async function poolNode(h: Harness, index: number): Promise<PoolNodeRef> {
  const snapshot = await h.env().run(h.activities.snapshotCluster, { clusterId: CLUSTER_ID, restartScope: 'none' });
  return snapshot.poolNodes[index];
}

describe('recycleNodes: drain, then recycle', () => {
  test('cordons, evicts what kubectl drain evicts (not DaemonSet or mirror pods), then recycles', async () => {
    const h = await harness();
    h.lke.pods.push(pod('web-1'), pod('agent-x', { controllerKind: 'DaemonSet' }), pod('static-x', { mirror: true, controllerKind: 'Node' }),
      pod('other', { node: 'lke7-11-node1' }));
    const node = await poolNode(h, 0);
    const result = await h.env().run(h.activities.recycleNodes, { clusterId: CLUSTER_ID, nodes: [node] });
    assert.equal(result.interrupted, false);
    assert.equal(result.recycled.length, 1);
    assert.equal(result.recycled[0].evicted, 1);
    assert.equal(result.recycled[0].skipped, false);
    assert.ok(h.lke.cordoned.has(NODE0));
    const order = h.lke.calls.filter((c) => /^(cordon|evict|recycle)/.test(c));
    assert.deepEqual(order.slice(0, 3), [`cordon ${NODE0}`, 'evict app/web-1', order[2]]);
    assert.match(order[2], /^recycle/);
    assert.ok(h.lke.pods.some((p) => p.name === 'other'), 'pods of other nodes stay');
    await h.cleanup();
  });

  test('pods no controller recreates are refused before the cordon, unless the plan allows evicting them', async () => {
    const h = await harness();
    h.lke.pods.push(pod('bare', { controllerKind: null }), pod('done-job', { controllerKind: null, finished: true }));
    const node = await poolNode(h, 0);
    const refused = await rejection(h.env().run(h.activities.recycleNodes, { clusterId: CLUSTER_ID, nodes: [node] }));
    assert.equal(refused.type, FailureType.unmanagedPods);
    assert.match(refused.message, /app\/bare/);
    assert.equal(h.lke.cordoned.size, 0, 'a node that will not be drained keeps serving');
    const allowed = await h.env().run(h.activities.recycleNodes, { clusterId: CLUSTER_ID, nodes: [node], evictUnmanagedPods: true });
    assert.equal(allowed.recycled[0].evicted, 2);
    await h.cleanup();
  });

  test('a budget allowing no disruption holds the drain past its timeout: DrainTimedOut names the pod, the budget and the node', async () => {
    const h = await harness();
    h.lke.pods.push(pod('db-0', { labels: { app: 'db' } }));
    h.lke.budgets.push({ namespace: 'app', name: 'db-pdb', matchLabels: { app: 'db' }, disruptionsAllowed: 0, currentHealthy: 3, desiredHealthy: 3 });
    const node = await poolNode(h, 0);
    const err = await rejection(h.env().run(h.activities.recycleNodes, { clusterId: CLUSTER_ID, nodes: [node], drainTimeoutMs: 200 }));
    assert.equal(err.type, FailureType.drainTimedOut);
    assert.equal(err.nonRetryable, true);
    assert.match(err.message, /pods still on it: app\/db-0.*app\/db-pdb \(needs 3 healthy, has 3\).*retry, skip this node, or abort/);
    assert.deepEqual(err.details, [{ item: node.nodeId }]);
    assert.equal(h.lke.calls.filter((c) => c.startsWith('recycle')).length, 0, 'nothing recycled while the drain is held');
    // the budget allows a disruption again: a retry completes
    h.lke.budgets[0].disruptionsAllowed = 1;
    const retried = await h.env().run(h.activities.recycleNodes, { clusterId: CLUSTER_ID, nodes: [node], drainTimeoutMs: 200 });
    assert.equal(retried.recycled[0].evicted, 1);
    await h.cleanup();
  });

  test('a node whose guarded pods have no other schedulable node to go to is refused at once, before the cordon', async () => {
    const h = await harness();
    h.lke.pods.push(pod('db-0', { labels: { app: 'db' } }));
    h.lke.budgets.push({ namespace: 'app', name: 'db-pdb', matchLabels: { app: 'db' }, disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1 });
    h.lke.cordoned.add('lke7-11-node1');
    h.lke.cordoned.add('lke7-11-node2');
    const node = await poolNode(h, 0);
    const started = Date.now();
    const err = await rejection(h.env().run(h.activities.recycleNodes, { clusterId: CLUSTER_ID, nodes: [node], drainTimeoutMs: 60_000 }));
    assert.equal(err.type, FailureType.noRoomToDrain);
    assert.match(err.message, /only schedulable Ready node.*app\/db-pdb.*nowhere to go/);
    assert.deepEqual(err.details, [{ item: node.nodeId }]);
    assert.ok(Date.now() - started < 10_000, 'said at once, not after the drain timeout');
    assert.ok(!h.lke.cordoned.has(NODE0), 'not cordoned');
    // with room elsewhere, the same node drains
    h.lke.cordoned.delete('lke7-11-node1');
    const done = await h.env().run(h.activities.recycleNodes, { clusterId: CLUSTER_ID, nodes: [node] });
    assert.equal(done.recycled[0].evicted, 1);
    await h.cleanup();
  });

  test('a retry after a crash mid-drain continues from the heartbeat: no second eviction wave, nodes done stay done', async () => {
    const h = await harness();
    const first = await poolNode(h, 0);
    const second = await poolNode(h, 1);
    // the crashed attempt recycled node 0 and had evicted node 1's pod (gone now) before dying
    await h.env().run(h.activities.recycleNodes, { clusterId: CLUSTER_ID, nodes: [first] });
    const recycledFirst = h.lke.calls.filter((c) => c.startsWith('recycle')).length;
    const heartbeat = {
      attempts: 4,
      done: { [first.nodeId]: { nodeId: first.nodeId, oldInstanceId: 1000, newInstanceId: 9000, skipped: false, evicted: 0 } },
      current: { nodeId: second.nodeId, drainStartedAt: Date.now(), evicted: 1 },
    };
    const result = await h.env(heartbeat).run(h.activities.recycleNodes, { clusterId: CLUSTER_ID, nodes: [first, second] });
    assert.deepEqual(result.recycled.map((r) => r.nodeId), [first.nodeId, second.nodeId]);
    assert.equal(result.recycled[1].evicted, 1, 'the eviction of the crashed attempt is counted, not repeated');
    assert.equal(h.lke.calls.filter((c) => c.startsWith('evict')).length, 0);
    assert.equal(h.lke.calls.filter((c) => c.startsWith('recycle')).length, recycledFirst + 1, 'node 0 is not recycled again');
    await h.cleanup();
  });

  test('the preview names per node the pods to evict, the unmanaged ones and the budgets at zero', async () => {
    const h = await harness();
    h.lke.pods.push(pod('web-1'), pod('db-0', { labels: { app: 'db' } }), pod('bare', { controllerKind: null }));
    h.lke.budgets.push({ namespace: 'app', name: 'db-pdb', matchLabels: { app: 'db' }, disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1 });
    h.lke.budgets.push({ namespace: 'app', name: 'web-pdb', matchLabels: { app: 'web' }, disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1 });
    const nodes = [await poolNode(h, 0), await poolNode(h, 1)];
    const preview = await h.env().run(h.activities.previewDrain, { clusterId: CLUSTER_ID, nodes });
    assert.deepEqual(preview[0], {
      nodeId: nodes[0].nodeId, nodeName: NODE0, evict: ['app/web-1', 'app/db-0'], unmanaged: ['app/bare'],
      blockingBudgets: ['app/db-pdb (needs 1 healthy, has 1)'],
    });
    assert.deepEqual(preview[1].evict, []);
    assert.equal(h.lke.cordoned.size, 0, 'a preview changes nothing');
    await h.cleanup();
  });
});

describe('restartWorkloads: the batch', () => {
  const web: WorkloadRef = { kind: 'Deployment', namespace: 'app', name: 'web' };
  const api: WorkloadRef = { kind: 'Deployment', namespace: 'app', name: 'api' };
  const held: WorkloadRef = { kind: 'Deployment', namespace: 'app', name: 'held' };
  const restartedAt = '2026-12-04T10:00:00Z';
  const deployment = (name: string, paused = false): DeploymentState => ({
    kind: 'Deployment', namespace: 'app', name, generation: 1, observedGeneration: 1, restartedAt: null,
    paused, specReplicas: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2, progressDeadlineExceeded: false,
  });

  test('restarts each workload to rollout done, two at a time; a paused Deployment is reported and never unpaused', async () => {
    const h = await harness();
    h.lke.addWorkload(deployment('api'));
    h.lke.addWorkload(deployment('held', true));
    const result = await h.env().run(h.activities.restartWorkloads, { clusterId: CLUSTER_ID, workloads: [web, api, held], restartedAt, maxConcurrent: 2 });
    assert.equal(result.interrupted, false);
    assert.deepEqual(result.restarted.map((r) => [r.workload.name, r.patched, r.paused ?? false]), [['web', true, false], ['api', true, false], ['held', false, true]]);
    const paused = h.lke.workloads.get('Deployment/app/held') as DeploymentState;
    assert.equal(paused.paused, true);
    assert.equal(paused.restartedAt, null, 'not restarted');
    await h.cleanup();
  });

  test('a retry after a crash skips what its heartbeat says is done, and a workload in flight is not patched again', async () => {
    const h = await harness();
    h.lke.addWorkload(deployment('api'));
    // the crashed attempt finished web and had patched api
    (h.lke.workloads.get('Deployment/app/api') as DeploymentState).restartedAt = restartedAt;
    const heartbeat = { attempts: 9, done: { 'Deployment app/web': { patched: true } }, inFlight: ['Deployment app/api'] };
    const result = await h.env(heartbeat).run(h.activities.restartWorkloads, { clusterId: CLUSTER_ID, workloads: [web, api], restartedAt });
    assert.deepEqual(result.restarted.map((r) => [r.workload.name, r.patched]), [['web', true], ['api', false]]);
    assert.equal(h.lke.calls.filter((c) => c.startsWith('patch')).length, 0, 'no second restart');
    await h.cleanup();
  });

  test('with lanes in parallel, a failed workload stops the others from starting new ones before the batch answers', async () => {
    const h = await harness();
    h.lke.addWorkload({ ...deployment('bad'), progressDeadlineExceeded: true });
    for (const name of ['a', 'b', 'c']) h.lke.addWorkload(deployment(name));
    const ref = (name: string): WorkloadRef => ({ kind: 'Deployment', namespace: 'app', name });
    const err = await rejection(h.env().run(h.activities.restartWorkloads, {
      clusterId: CLUSTER_ID, workloads: ['bad', 'a', 'b', 'c'].map(ref), restartedAt, maxConcurrent: 2,
    }));
    assert.equal(err.type, FailureType.rolloutFailed);
    const patchedAfter = h.lke.calls.filter((c) => c.startsWith('patch'));
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(h.lke.calls.filter((c) => c.startsWith('patch')), patchedAfter, 'nothing patched after the batch answered');
    assert.ok(!patchedAfter.includes('patch c'), `the queue stopped: ${patchedAfter.join(', ')}`);
    await h.cleanup();
  });

  test('a failed rollout names its workload, so skip can leave out that one', async () => {
    const h = await harness();
    h.lke.addWorkload({ ...deployment('api'), progressDeadlineExceeded: true });
    const err = await rejection(h.env().run(h.activities.restartWorkloads, { clusterId: CLUSTER_ID, workloads: [api], restartedAt }));
    assert.equal(err.type, FailureType.rolloutFailed);
    assert.match(err.message, /api exceeded its progress deadline/);
    assert.deepEqual(err.details, [{ item: 'Deployment app/api' }]);
    await h.cleanup();
  });
});

describe('the rules', () => {
  const secret = (name: string, serviceAccount: string, owner: 'lke' | 'user'): TokenSecretRef => ({
    namespace: 'kube-system', name, uid: `uid-${name}`, serviceAccount, created: '', owner,
  });
  const deleted = [secret('ci-token', 'ci', 'user'), secret('konnectivity-agent-user-token-abcde', 'konnectivity-agent-user', 'lke')];
  const template = (name: string, namespace: string, secretRefs: { name: string; via: string }[], serviceAccountName: string | null = null) =>
    ({ ref: { kind: 'Deployment' as const, namespace, name }, serviceAccountName, secretRefs });

  test("'affected' is exactly the workloads that use a deleted token Secret, by any of the four ways or LKE's service account", () => {
    const affected = affectedWorkloads([
      template('by-volume', 'kube-system', [{ name: 'ci-token', via: 'secret volume' }]),
      template('by-projected', 'kube-system', [{ name: 'ci-token', via: 'projected volume' }]),
      template('by-env', 'kube-system', [{ name: 'ci-token', via: 'env' }]),
      template('by-envfrom', 'kube-system', [{ name: 'ci-token', via: 'envFrom' }]),
      template('konnectivity-agent', 'kube-system', [], 'konnectivity-agent-user'),
      template('other-secret', 'kube-system', [{ name: 'tls-cert', via: 'secret volume' }]),
      template('same-name-elsewhere', 'shop', [{ name: 'ci-token', via: 'secret volume' }]),
      template('user-account', 'kube-system', [], 'ci'),
    ], deleted);
    assert.deepEqual(affected.map((w) => [w.name, w.uses]), [
      ['by-volume', ['secret volume ci-token']], ['by-projected', ['projected volume ci-token']], ['by-env', ['env ci-token']],
      ['by-envfrom', ['envFrom ci-token']],
      ['konnectivity-agent', ["service account konnectivity-agent-user (its token is replaced by LKE's regenerate)"]],
    ]);
  });

  test('kubectl drain leaves DaemonSet, mirror and terminating pods; a finished bare pod is evicted', () => {
    const { evict, unmanaged } = sortPodsForDrain([
      pod('a'), pod('ds', { controllerKind: 'DaemonSet' }), pod('m', { mirror: true }), pod('t', { terminating: true }),
      pod('bare', { controllerKind: null }), pod('finished', { controllerKind: null, finished: true }),
    ], false);
    assert.deepEqual(evict.map((p) => p.name), ['a', 'finished']);
    assert.deepEqual(unmanaged.map((p) => p.name), ['bare']);
  });

  test("a StatefulSet without a rollingUpdate block is done only when currentRevision == updateRevision (kubectl's rule)", () => {
    const sts: StatefulSetState = {
      kind: 'StatefulSet', namespace: 'db', name: 'pg', generation: 2, observedGeneration: 2, restartedAt: null,
      updateStrategy: 'RollingUpdate', partition: 0, partitioned: false, specReplicas: 3, readyReplicas: 3, updatedReplicas: 3,
      currentRevision: 'pg-1', updateRevision: 'pg-2',
    };
    assert.equal(rolloutStatus(sts).state, 'progressing');
    assert.equal(rolloutStatus({ ...sts, currentRevision: 'pg-2' }).state, 'done');
    // with a rollingUpdate block kubectl reads updatedReplicas against the partition, not the revisions
    assert.equal(rolloutStatus({ ...sts, partitioned: true, partition: 1, updatedReplicas: 2 }).state, 'done');
    assert.equal(rolloutStatus({ ...sts, partitioned: true, partition: 0, updatedReplicas: 2 }).state, 'progressing');
  });
});
