// The Kubernetes adapter on @kubernetes/client-node against the simulator's per-cluster apiservers,
// with the kubeconfig the Linode API serves.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createKubePort } from '../activities/kube/adapter.js';
import { FailureType } from '../common/failures.js';
import { useSimulator } from './support/sim.js';
import { rejection } from './support/failures.js';
import { linodeFor, kubeconfigOf } from './support/liveAdapters.js';

describe('Kubernetes adapter on @kubernetes/client-node', () => {
  const sim = useSimulator({ clusters: 3, timeScale: 0.001, seed: 5, rateLimit: false });

  test('delete with a uid precondition: conflict, deleted, then notFound', async () => {
    const linode = linodeFor(sim());
    const id = sim().state.list()[0].cluster.id;
    const kube = createKubePort(await kubeconfigOf(linode, id));
    const secrets = await kube.listTokenSecrets('kube-system');
    const victim = secrets.find((s) => s.serviceAccount !== 'lke-admin')!;
    assert.ok(victim.uid && victim.serviceAccount && victim.created && victim.tokenFingerprint);
    assert.equal(await kube.deleteSecret('kube-system', victim.name, 'not-the-uid'), 'conflict');
    assert.equal(await kube.deleteSecret('kube-system', victim.name, victim.uid), 'deleted');
    assert.equal(await kube.deleteSecret('kube-system', victim.name, victim.uid), 'notFound');
    assert.ok(!(await kube.listTokenSecrets('kube-system')).some((s) => s.uid === victim.uid));
  });

  test('restartedAt is set by a strategic merge patch and rolls out', async () => {
    const linode = linodeFor(sim());
    const id = sim().state.list()[1].cluster.id;
    const kube = createKubePort(await kubeconfigOf(linode, id));
    const [workload] = await kube.listWorkloads('all');
    const before = await kube.getWorkload(workload);
    await kube.patchRestartedAt(workload, '2026-11-29T10:30:00Z');
    const after = await kube.getWorkload(workload);
    assert.equal(after.restartedAt, '2026-11-29T10:30:00Z');
    assert.equal(after.generation, before.generation + 1);
    assert.equal(sim().state.kube(id)!.restartedAt(workload.kind, workload.namespace, workload.name), '2026-11-29T10:30:00Z');
    assert.ok((await kube.listWorkloads('kube-system')).every((w) => w.namespace === 'kube-system'));
    assert.deepEqual(await kube.listWorkloads('none'), []);
  });

  test('nodes and access checks; a kubeconfig with an unknown token is unauthorized', async () => {
    const linode = linodeFor(sim());
    const id = sim().state.list()[2].cluster.id;
    const kubeconfig = await kubeconfigOf(linode, id);
    const kube = createKubePort(kubeconfig);
    const nodes = await kube.listNodes();
    assert.ok(nodes.length > 0 && nodes.every((n) => n.ready && n.providerID?.startsWith('linode://')));
    assert.equal(await kube.checkAccess(), 'ok');
    const bogus = kubeconfig.replace(/token: \S+/, 'token: not-a-real-token');
    assert.equal(await createKubePort(bogus).checkAccess(), 'unauthorized');
    const failure = await rejection(createKubePort(bogus).listNodes());
    assert.equal(failure.type, FailureType.kubeUnauthorized);
    assert.equal(failure.nonRetryable, true);
    const broken = await rejection(Promise.resolve().then(() => createKubePort('clusters: [')));
    assert.equal(broken.type, FailureType.badKubeconfig);
  });

  test('a request slower than the timeout is abandoned and retryable', async () => {
    const linode = linodeFor(sim());
    const id = sim().state.list()[2].cluster.id;
    const kube = createKubePort(await kubeconfigOf(linode, id), { timeoutMs: 100 });
    const removeLatency = sim().faults.add({ api: 'kube', clusterId: id, kind: 'latency', ms: 1_000 });
    const started = Date.now();
    const slow = await rejection(kube.listNodes());
    removeLatency();
    assert.ok(Date.now() - started < 900, 'the client gave up at its timeout');
    assert.equal(slow.type, FailureType.kubeUnavailable);
    assert.equal(slow.nonRetryable, false);
    assert.match(slow.message, /timeout/);
  });
});
