// The simulator's Kubernetes side through the real client: rollouts of each workload kind,
// controllers, watches, kube-system regeneration and nodes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Watch, type V1Deployment
} from '@kubernetes/client-node';
import { RESTARTED_AT_ANNOTATION } from '../common/names.js';
import { lkeTokenServiceAccounts } from '../sim/kube/index.js';
import { apiError, clients, mergePatch, rawRequest, rolloutDone, strategic, TOKEN_SELECTOR } from './support/kubeClientHelpers.js';
import { startTestKube, type TestKube } from './support/simKube.js';
import { waitFor } from './support/waitFor.js';

describe('simulated Kubernetes API through @kubernetes/client-node: workloads', () => {
  let kube: TestKube;
  // tokenCacheMs 0: these tests expect a deleted Secret's token to be refused at once
  before(async () => { kube = await startTestKube({ clusterIds: [101, 102], timeScale: 0.001, rolloutStepMs: 2_000, tokenCacheMs: 0 }); });
  after(async () => { await kube.stop(); });

  test('patching restartedAt rolls a Deployment out pod by pod until kubectl would call it done', async () => {
    const cluster = kube.clusters.get(101)!;
    const { apps, core } = clients(kube.kubeConfig(101));
    const before = await apps.readNamespacedDeployment({ name: 'coredns', namespace: 'kube-system' });
    assert.ok(rolloutDone('Deployment', before));
    const oldPods = (await core.listNamespacedPod({ namespace: 'kube-system', labelSelector: 'k8s-app=coredns' })).items.map((p) => p.metadata!.name);
    assert.equal(oldPods.length, 2);

    const events: string[] = [];
    const watching = await new Watch(kube.kubeConfig(101)).watch('/apis/apps/v1/namespaces/kube-system/deployments',
      { fieldSelector: 'metadata.name=coredns', resourceVersion: before.metadata!.resourceVersion },
      (type: string, object: V1Deployment) => {
        const s = object.status!;
        events.push(`${type} gen=${object.metadata!.generation} observed=${s.observedGeneration} ${s.updatedReplicas}/${s.replicas}/${s.availableReplicas}`);
      }, () => undefined);
    const restartedAt = '2026-01-01T00:00:00Z';
    const patched = await apps.patchNamespacedDeployment({
      name: 'coredns', namespace: 'kube-system',
      body: { spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: restartedAt } } } } },
    }, strategic);
    assert.equal(patched.metadata!.generation, before.metadata!.generation! + 1);
    assert.equal(patched.status!.observedGeneration, before.metadata!.generation, 'the controller has not caught up yet');
    assert.equal(patched.spec!.template.spec!.containers[0].name, 'coredns', 'a strategic merge keeps the containers');
    assert.equal(cluster.restartedAt('Deployment', 'kube-system', 'coredns'), restartedAt);
    assert.ok(!rolloutDone('Deployment', patched));

    const done = await waitFor('the coredns rollout',
      () => apps.readNamespacedDeployment({ name: 'coredns', namespace: 'kube-system' }), (d) => rolloutDone('Deployment', d));
    // the watch is another connection: its last event may arrive after the read that saw the end
    await waitFor('the last watch event', async () => events.at(-1), (last) => last?.endsWith('2/2/2') ?? false, 2_000);
    watching.abort();
    // one pod at a time (maxSurge 1): new pod, Ready, old pod gone; seen through a watch
    // (the status stays the old one until the controller observes the new generation)
    assert.deepEqual(events, [
      'MODIFIED gen=2 observed=1 2/2/2',
      'MODIFIED gen=2 observed=2 1/3/2', 'MODIFIED gen=2 observed=2 1/3/3', 'MODIFIED gen=2 observed=2 1/2/2',
      'MODIFIED gen=2 observed=2 2/3/2', 'MODIFIED gen=2 observed=2 2/3/3', 'MODIFIED gen=2 observed=2 2/2/2',
    ]);
    assert.equal(done.status!.observedGeneration, done.metadata!.generation);
    assert.equal(done.status!.conditions!.find((c) => c.type === 'Progressing')!.reason, 'NewReplicaSetAvailable');
    assert.equal(done.status!.conditions!.find((c) => c.type === 'Available')!.status, 'True');
    const newPods = (await core.listNamespacedPod({ namespace: 'kube-system', labelSelector: 'k8s-app=coredns' })).items;
    assert.equal(newPods.length, 2);
    for (const pod of newPods) {
      assert.ok(!oldPods.includes(pod.metadata!.name), `${pod.metadata!.name} is a new pod`);
      assert.equal(pod.metadata!.annotations?.[RESTARTED_AT_ANNOTATION], restartedAt);
    }
  });

  test('StatefulSets and DaemonSets roll out too, with their own status fields', async () => {
    const { apps, core } = clients(kube.kubeConfig(101));
    const body = { spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: '2026-01-02T00:00:00Z' } } } } };
    const oldSts = (await core.listNamespacedPod({ namespace: 'kube-system', labelSelector: 'app.kubernetes.io/name=csi-linode-controller' })).items[0];
    await apps.patchNamespacedStatefulSet({ name: 'csi-linode-controller', namespace: 'kube-system', body }, strategic);
    await apps.patchNamespacedDaemonSet({ name: 'calico-node', namespace: 'kube-system', body }, strategic);
    const sts = await waitFor('the StatefulSet rollout',
      () => apps.readNamespacedStatefulSet({ name: 'csi-linode-controller', namespace: 'kube-system' }), (s) => rolloutDone('StatefulSet', s));
    assert.equal(sts.status!.currentRevision, sts.status!.updateRevision);
    const newSts = (await core.listNamespacedPod({ namespace: 'kube-system', labelSelector: 'app.kubernetes.io/name=csi-linode-controller' })).items[0];
    assert.equal(newSts.metadata!.name, 'csi-linode-controller-0');
    assert.notEqual(newSts.metadata!.uid, oldSts.metadata!.uid);
    const ds = await waitFor('the DaemonSet rollout',
      () => apps.readNamespacedDaemonSet({ name: 'calico-node', namespace: 'kube-system' }), (d) => rolloutDone('DaemonSet', d));
    assert.equal(ds.status!.desiredNumberScheduled, 3);
    assert.equal(ds.status!.updatedNumberScheduled, 3);
  });

  test('a failed rollout reports ProgressDeadlineExceeded and never completes', async () => {
    const cluster = kube.clusters.get(102)!;
    const { apps } = clients(kube.kubeConfig(102));
    const [deployment] = (await apps.listNamespacedDeployment({ namespace: 'kube-system', fieldSelector: 'metadata.name=calico-kube-controllers' })).items;
    await apps.patchNamespacedDeployment({
      name: deployment.metadata!.name!, namespace: 'kube-system',
      body: { spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: '2026-01-03T00:00:00Z' } } } } },
    }, strategic);
    assert.ok(cluster.failRollout('Deployment', 'kube-system', 'calico-kube-controllers'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const failed = await apps.readNamespacedDeployment({ name: 'calico-kube-controllers', namespace: 'kube-system' });
    const progressing = failed.status!.conditions!.find((c) => c.type === 'Progressing')!;
    assert.equal(progressing.status, 'False');
    assert.equal(progressing.reason, 'ProgressDeadlineExceeded');
    assert.ok(!rolloutDone('Deployment', failed));
    assert.equal(failed.status!.observedGeneration, failed.metadata!.generation);
  });

  test('a crashing workload keeps its pods Running but not Ready (CrashLoopBackOff) until it recovers', async () => {
    const cluster = kube.clusters.get(101)!;
    const { apps, core } = clients(kube.kubeConfig(101));
    await waitFor('coredns settled', () => apps.readNamespacedDeployment({ name: 'coredns', namespace: 'kube-system' }), (d) => rolloutDone('Deployment', d), 10_000, 20);
    assert.ok(cluster.crashWorkload('Deployment', 'kube-system', 'coredns'));
    assert.equal(cluster.crashWorkload('Deployment', 'kube-system', 'nope'), false);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const crashed = await apps.readNamespacedDeployment({ name: 'coredns', namespace: 'kube-system' });
    assert.equal(crashed.status!.availableReplicas ?? 0, 0);
    assert.equal(crashed.status!.readyReplicas ?? 0, 0);
    const pods = (await core.listNamespacedPod({ namespace: 'kube-system', labelSelector: 'k8s-app=coredns' })).items;
    assert.equal(pods.length, 2);
    for (const pod of pods) {
      assert.equal(pod.status!.phase, 'Running');
      assert.equal(pod.status!.conditions!.find((c) => c.type === 'Ready')!.status, 'False');
      assert.equal(pod.status!.containerStatuses![0].state!.waiting!.reason, 'CrashLoopBackOff');
    }
    assert.ok(cluster.crashWorkload('Deployment', 'kube-system', 'coredns', false));
    const recovered = await waitFor('coredns Ready again', () => apps.readNamespacedDeployment({ name: 'coredns', namespace: 'kube-system' }),
      (d) => d.status!.availableReplicas === 2, 10_000, 20);
    assert.ok(rolloutDone('Deployment', recovered));
  });

  test('a paused Deployment shows spec.paused and does not roll out', async () => {
    const { apps } = clients(kube.kubeConfig(102));
    await apps.patchNamespacedDeployment({ name: 'coredns', namespace: 'kube-system', body: { spec: { paused: true } } }, mergePatch);
    const paused = await apps.patchNamespacedDeployment({
      name: 'coredns', namespace: 'kube-system',
      body: { spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: '2026-01-04T00:00:00Z' } } } } },
    }, strategic);
    assert.equal(paused.spec!.paused, true);
    const observed = await waitFor('the controller to observe the paused Deployment',
      () => apps.readNamespacedDeployment({ name: 'coredns', namespace: 'kube-system' }),
      (d) => d.status!.observedGeneration === d.metadata!.generation);
    assert.equal(observed.status!.conditions!.find((c) => c.type === 'Progressing')!.reason, 'DeploymentPaused');
    await new Promise((resolve) => setTimeout(resolve, 60));
    const later = await apps.readNamespacedDeployment({ name: 'coredns', namespace: 'kube-system' });
    assert.equal(later.status!.updatedReplicas, 0, 'no pod was replaced');
    assert.ok(!rolloutDone('Deployment', later));
  });

  test('controllers follow scaling and pod deletion; deleting a workload or namespace takes its pods along', async () => {
    const { apps, core } = clients(kube.kubeConfig(101));
    const [deployment] = (await apps.listDeploymentForAllNamespaces({ labelSelector: 'app.kubernetes.io/name' })).items;
    const { name, namespace } = deployment.metadata as { name: string; namespace: string };
    const scaled = await apps.patchNamespacedDeployment({ name, namespace, body: { spec: { replicas: 4 } } }, mergePatch);
    assert.equal(scaled.metadata!.generation, deployment.metadata!.generation! + 1);
    await waitFor('4 replicas', () => apps.readNamespacedDeployment({ name, namespace }),
      (d) => d.status!.availableReplicas === 4 && rolloutDone('Deployment', d));
    const selector = `app.kubernetes.io/name=${name}`;
    const [victim] = (await core.listNamespacedPod({ namespace, labelSelector: selector })).items;
    await core.deleteNamespacedPod({ name: victim.metadata!.name!, namespace });
    const replaced = await waitFor('a replacement pod', () => core.listNamespacedPod({ namespace, labelSelector: selector }),
      (list) => list.items.length === 4 && list.items.every((p) => p.status!.phase === 'Running'));
    assert.ok(!replaced.items.some((p) => p.metadata!.name === victim.metadata!.name));

    await apps.deleteNamespacedDeployment({ name, namespace });
    assert.equal((await core.listNamespacedPod({ namespace, labelSelector: selector })).items.length, 0);
    await core.deleteNamespace({ name: namespace });
    assert.equal((await core.listNamespacedPod({ namespace })).items.length, 0);
    assert.equal((await apiError(core.readNamespace({ name: namespace }))).code, 404);
  });

  test('a watch from a list\'s resourceVersion reports what changed since, deletions included', async () => {
    const config = kube.kubeConfig(102);
    const { core } = clients(config);
    await core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'watched-a' } } });
    await core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'watched-b' } } });
    const list = await core.listNamespacedSecret({ namespace: 'default' });
    await core.deleteNamespacedSecret({ name: 'watched-a', namespace: 'default' });
    await core.patchNamespacedSecret({ name: 'watched-b', namespace: 'default', body: { metadata: { labels: { seen: 'yes' } } } }, mergePatch);

    const events: string[] = [];
    const watching = await new Watch(config).watch('/api/v1/namespaces/default/secrets',
      { resourceVersion: list.metadata!.resourceVersion }, (type: string, object: { metadata: { name: string } }) => {
        events.push(`${type} ${object.metadata.name}`);
      }, () => undefined);
    await core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'watched-c' } } });
    await waitFor('the watch events', async () => events.length, (n) => n >= 3, 2_000);
    watching.abort();
    assert.deepEqual(events.sort(), ['ADDED watched-c', 'DELETED watched-a', 'MODIFIED watched-b']);

    const streamed = await rawRequest(kube, '/k8s/clusters/102/api/v1/namespaces/default/secrets?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&timeoutSeconds=1',
      { token: kube.clusters.get(102)!.adminToken() });
    const lines = streamed.body.trim().split('\n').map((line) => JSON.parse(line) as { type: string; object: { metadata: { name?: string; annotations?: Record<string, string> } } });
    assert.deepEqual(lines.map((l) => l.type), ['ADDED', 'ADDED', 'BOOKMARK']);
    assert.equal(lines[2].object.metadata.annotations?.['k8s.io/initial-events-end'], 'true');
  });

  test('regenerateServiceTokens recreates kube-system token Secrets and restarts kube-system pods', async () => {
    const cluster = kube.clusters.get(101)!;
    const oldAdmin = cluster.adminToken();
    const { core } = clients(kube.kubeConfig(101));
    const before = (await core.listNamespacedSecret({ namespace: 'kube-system', fieldSelector: TOKEN_SELECTOR })).items;
    const podsBefore = (await core.listNamespacedPod({ namespace: 'kube-system' })).items.map((p) => p.metadata!.uid);
    cluster.regenerateServiceTokens();
    const newAdmin = cluster.adminToken();
    assert.notEqual(newAdmin, oldAdmin);
    assert.equal((await apiError(core.listNode())).code, 401);

    const fresh = clients(kube.kubeConfig(101));
    const after = (await fresh.core.listNamespacedSecret({ namespace: 'kube-system', fieldSelector: TOKEN_SELECTOR })).items;
    assert.equal(after.length, lkeTokenServiceAccounts('1.31').length);
    for (const secret of after) {
      assert.ok(!before.some((b) => b.metadata!.name === secret.metadata!.name || b.metadata!.uid === secret.metadata!.uid));
      assert.ok(!before.some((b) => b.data?.token === secret.data!.token));
    }
    const podsAfter = (await fresh.core.listNamespacedPod({ namespace: 'kube-system' })).items;
    assert.equal(podsAfter.length, podsBefore.length);
    assert.ok(podsAfter.every((p) => !podsBefore.includes(p.metadata!.uid)));
  });

  test('nodes: added NotReady, made Ready, removed with their pods; DaemonSets follow', async () => {
    const cluster = kube.clusters.get(102)!;
    const { core, apps } = clients(kube.kubeConfig(102));
    cluster.addNode({ name: 'lke102-new', providerID: 'linode://123' }, false);
    const node = await core.readNode({ name: 'lke102-new' });
    assert.equal(node.spec!.providerID, 'linode://123');
    assert.equal(node.status!.conditions!.find((c) => c.type === 'Ready')!.status, 'False');
    await waitFor('kube-proxy scheduled on the NotReady node', () => apps.readNamespacedDaemonSet({ name: 'kube-proxy', namespace: 'kube-system' }),
      (d) => d.status!.desiredNumberScheduled === 4 && d.status!.currentNumberScheduled === 4);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const waiting = await apps.readNamespacedDaemonSet({ name: 'kube-proxy', namespace: 'kube-system' });
    assert.equal(waiting.status!.numberAvailable, 3, 'no pod becomes Ready on a NotReady node');
    const pending = await core.listPodForAllNamespaces({ fieldSelector: 'spec.nodeName=lke102-new' });
    assert.ok(pending.items.length > 0 && pending.items.every((p) => p.metadata!.ownerReferences![0].kind === 'DaemonSet'),
      'only DaemonSet pods land on a NotReady node');
    cluster.setNodeReady('lke102-new', true);
    assert.ok(cluster.isNodeReady('lke102-new'));
    await waitFor('kube-proxy on the new node', () => apps.readNamespacedDaemonSet({ name: 'kube-proxy', namespace: 'kube-system' }),
      (d) => d.status!.desiredNumberScheduled === 4 && d.status!.numberAvailable === 4);
    cluster.setNodeReady('lke102-new', false);
    await waitFor('kube-proxy unavailable on the NotReady node', () => apps.readNamespacedDaemonSet({ name: 'kube-proxy', namespace: 'kube-system' }),
      (d) => d.status!.numberAvailable === 3);
    assert.ok((await core.listPodForAllNamespaces({ fieldSelector: 'spec.nodeName=lke102-new' })).items
      .every((p) => p.status!.conditions!.find((c) => c.type === 'Ready')!.status === 'False'));
    cluster.setNodeReady('lke102-new', true);

    const victim = cluster.nodeNames()[0];
    cluster.removeNode(victim);
    assert.ok(!cluster.nodeNames().includes(victim));
    const onVictim = await core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${victim}` });
    assert.equal(onVictim.items.length, 0);
    await waitFor('kube-proxy back to 3 nodes', () => apps.readNamespacedDaemonSet({ name: 'kube-proxy', namespace: 'kube-system' }),
      (d) => d.status!.desiredNumberScheduled === 3 && d.status!.numberAvailable === 3);
  });
});
