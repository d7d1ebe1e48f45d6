// Draining against the simulated Kubernetes API through @kubernetes/client-node and raw HTTPS: cordon
// keeps new pods off a node (DaemonSets aside), PodDisruptionBudgets keep their status current, the
// Eviction subresource deletes a pod (its controller recreates it elsewhere) or answers 429 when the
// budget allows no disruption, and the seed holds budgets and pods that mount user token Secrets.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PolicyV1Api, type V1PodDisruptionBudget, type V1PodSpec } from '@kubernetes/client-node';
import { SimClock } from '../sim/clock.js';
import { seededRandom } from '../sim/faults.js';
import { startSimulator } from '../sim/index.js';
import { KubeCluster, type KubeObject } from '../sim/kube/index.js';
import { apiError, clients, mergePatch, rawRequest, rolloutDone, strategic } from './support/kubeClientHelpers.js';
import { startTestKube, type TestKube } from './support/simKube.js';
import { waitFor } from './support/waitFor.js';

const CLUSTER = 401;
const NS = 'drain-test';
const nodeOf = (pod: KubeObject) => (pod.spec as { nodeName?: string }).nodeName;
const isReady = (pod: KubeObject) => ((pod.status as { conditions?: { type: string; status: string }[] }).conditions ?? [])
  .some((c) => c.type === 'Ready' && c.status === 'True');

describe('simulated Kubernetes API: cordon, PodDisruptionBudgets and evictions', () => {
  let kube: TestKube;
  let cluster: KubeCluster;
  let token: string;
  const api = () => ({ ...clients(kube.kubeConfig(CLUSTER)), policy: kube.kubeConfig(CLUSTER).makeApiClient(PolicyV1Api) });
  const podsOf = (app: string) => cluster.store.list('pods', NS).filter((p) => p.metadata.labels?.app === app);
  const evict = (name: string, body?: unknown, query = '') => rawRequest(kube, `/k8s/clusters/${CLUSTER}/api/v1/namespaces/${NS}/pods/${name}/eviction${query}`, {
    method: 'POST', token, contentType: 'application/json',
    body: JSON.stringify(body ?? { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: NS } }),
  });
  const deployment = (name: string, replicas: number) => ({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name, image: 'nginx' }] } } },
  });
  const settled = async (name: string) => {
    const { apps } = api();
    await waitFor(`${name} rolled out`, () => apps.readNamespacedDeployment({ name, namespace: NS }), (d) => rolloutDone('Deployment', d));
  };
  const budget = (name: string, spec: Record<string, unknown>) => api().policy.createNamespacedPodDisruptionBudget({
    namespace: NS, body: { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name }, spec } as V1PodDisruptionBudget,
  });
  const cordon = (node: string, unschedulable: boolean) =>
    api().core.patchNode({ name: node, body: { spec: { unschedulable } } }, unschedulable ? strategic : mergePatch);

  before(async () => {
    kube = await startTestKube({ clusterIds: [CLUSTER], nodes: 3, timeScale: 0.001, rolloutStepMs: 2_000, tokenCacheMs: 0 });
    cluster = kube.clusters.get(CLUSTER)!;
    token = cluster.adminToken();
    await api().core.createNamespace({ body: { metadata: { name: NS } } });
  });
  after(async () => { await kube.stop(); });

  test('discovery lists the policy group, its budgets and pods/eviction, as kubectl drain checks before it evicts', async () => {
    const groups = JSON.parse((await rawRequest(kube, `/k8s/clusters/${CLUSTER}/apis`, { token })).body) as { groups: { name: string }[] };
    assert.deepEqual(groups.groups.map((g) => g.name), ['apps', 'policy']);
    const core = JSON.parse((await rawRequest(kube, `/k8s/clusters/${CLUSTER}/api/v1`, { token })).body) as { resources: Record<string, unknown>[] };
    assert.deepEqual(core.resources.find((r) => r.name === 'pods/eviction'),
      { name: 'pods/eviction', singularName: '', namespaced: true, group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] });
    const policy = JSON.parse((await rawRequest(kube, `/k8s/clusters/${CLUSTER}/apis/policy/v1`, { token })).body) as { groupVersion: string; resources: Record<string, unknown>[] };
    assert.equal(policy.groupVersion, 'policy/v1');
    assert.deepEqual(policy.resources.map((r) => r.name), ['poddisruptionbudgets', 'poddisruptionbudgets/status']);
    assert.deepEqual(policy.resources[0].shortNames, ['pdb']);
  });

  test('a cordoned node gets no new Deployment pods, while a DaemonSet still covers it; uncordoned it takes pods again', async () => {
    const { apps } = api();
    const [cordoned] = cluster.nodeNames();
    const node = await cordon(cordoned, true);
    assert.equal(node.spec!.unschedulable, true);
    await apps.createNamespacedDeployment({ namespace: NS, body: deployment('spread', 9) });
    await apps.createNamespacedDaemonSet({
      namespace: NS,
      body: { metadata: { name: 'agent' }, spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'a', image: 'busybox' }] } } } },
    });
    await settled('spread');
    await waitFor('the DaemonSet on every node', async () => podsOf('agent').filter(isReady).length, (n) => n === 3);
    assert.equal(podsOf('spread').length, 9);
    assert.ok(podsOf('spread').every((pod) => nodeOf(pod) !== cordoned), 'no Deployment pod on the cordoned node');
    assert.ok(podsOf('agent').some((pod) => nodeOf(pod) === cordoned), 'the DaemonSet tolerates the cordon');

    await cordon(cordoned, false);
    await apps.patchNamespacedDeployment({ name: 'spread', namespace: NS, body: { spec: { replicas: 40 } } }, mergePatch);
    await settled('spread');
    assert.ok(podsOf('spread').some((pod) => nodeOf(pod) === cordoned), 'an uncordoned node is schedulable again');
    await apps.deleteNamespacedDeployment({ name: 'spread', namespace: NS });
    await apps.deleteNamespacedDaemonSet({ name: 'agent', namespace: NS });
  });

  test('a budget\'s status: healthy, expected and desired pods from minAvailable or maxUnavailable, as integers or percentages', async () => {
    const { apps, policy } = api();
    await apps.createNamespacedDeployment({ namespace: NS, body: deployment('web', 4) });
    await settled('web');
    const created = await budget('web', { minAvailable: '50%', selector: { matchLabels: { app: 'web' } } });
    assert.equal(created.metadata!.generation, 1);
    const read = () => policy.readNamespacedPodDisruptionBudget({ name: 'web', namespace: NS });
    let status = (await read()).status!;
    assert.deepEqual({ ...status, conditions: undefined },
      { observedGeneration: 1, currentHealthy: 4, desiredHealthy: 2, expectedPods: 4, disruptionsAllowed: 2, conditions: undefined });
    assert.deepEqual(status.conditions!.map((c) => [c.type, c.status, c.reason]), [['DisruptionAllowed', 'True', 'SufficientPods']]);

    // maxUnavailable 30% of 4 rounds up to 2 pods that may be missing
    await policy.patchNamespacedPodDisruptionBudget({ name: 'web', namespace: NS, body: { spec: { minAvailable: null, maxUnavailable: '30%' } } }, mergePatch);
    status = (await read()).status!;
    assert.deepEqual([status.observedGeneration, status.desiredHealthy, status.disruptionsAllowed], [2, 2, 2]);
    await policy.patchNamespacedPodDisruptionBudget({ name: 'web', namespace: NS, body: { spec: { maxUnavailable: 3 } } }, mergePatch);
    assert.deepEqual([(await read()).status!.desiredHealthy, (await read()).status!.disruptionsAllowed], [1, 3]);
    await policy.patchNamespacedPodDisruptionBudget({ name: 'web', namespace: NS, body: { spec: { maxUnavailable: null, minAvailable: 4 } } }, mergePatch);
    status = (await read()).status!;
    assert.deepEqual([status.desiredHealthy, status.disruptionsAllowed], [4, 0]);
    assert.deepEqual(status.conditions!.map((c) => [c.type, c.status, c.reason]), [['DisruptionAllowed', 'False', 'InsufficientPods']]);

    // the status follows the pods: one more replica Ready, one disruption allowed
    await apps.patchNamespacedDeployment({ name: 'web', namespace: NS, body: { spec: { replicas: 5 } } }, mergePatch);
    await settled('web');
    status = (await read()).status!;
    assert.deepEqual([status.currentHealthy, status.expectedPods, status.disruptionsAllowed], [5, 5, 1]);

    const both = await apiError(budget('bad', { minAvailable: 1, maxUnavailable: 1, selector: { matchLabels: { app: 'web' } } }));
    assert.equal(both.code, 422);
    assert.match(String(both.status.message), /minAvailable and maxUnavailable cannot be both set/);
    const table = await rawRequest(kube, `/k8s/clusters/${CLUSTER}/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets`, { token });
    assert.equal(table.status, 200);
    await policy.deleteNamespacedPodDisruptionBudget({ name: 'web', namespace: NS });
  });

  test('an eviction deletes the pod, spends a disruption until the replacement on a schedulable node is Ready, then a zero budget answers 429', async () => {
    const { apps, policy } = api();
    await budget('web', { maxUnavailable: 1, selector: { matchLabels: { app: 'web' } } });
    // the sim's controller would replace the pod within milliseconds here; paused, it holds the replacement back
    // long enough to see the disruption spent
    await apps.patchNamespacedDeployment({ name: 'web', namespace: NS, body: { spec: { paused: true } } }, mergePatch);
    const before = new Set(podsOf('web').map((pod) => pod.metadata.name));
    const victim = podsOf('web')[0];
    const from = nodeOf(victim)!;
    await cordon(from, true);
    const evicted = await evict(victim.metadata.name);
    assert.equal(evicted.status, 201, evicted.body);
    assert.deepEqual(JSON.parse(evicted.body), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
    assert.equal(cluster.store.get('pods', NS, victim.metadata.name), undefined);
    assert.equal(kube.audit.count({ clusterId: CLUSTER, method: 'POST', path: `/pods/${victim.metadata.name}/eviction`, applied: true }), 1);
    const spent = (await policy.readNamespacedPodDisruptionBudget({ name: 'web', namespace: NS })).status!;
    assert.deepEqual([spent.currentHealthy, spent.expectedPods, spent.disruptionsAllowed], [4, 5, 0], 'the disruption is spent');

    const another = podsOf('web')[0];
    const refused = await evict(another.metadata.name);
    assert.equal(refused.status, 429);
    assert.deepEqual(JSON.parse(refused.body), {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'TooManyRequests', code: 429,
      message: "Cannot evict pod as it would violate the pod's disruption budget.",
      details: { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget web needs 4 healthy pods and has 4 currently' }] },
    });
    assert.ok(cluster.store.get('pods', NS, another.metadata.name), 'the refused pod stays');
    assert.equal(kube.audit.count({ clusterId: CLUSTER, method: 'POST', path: `/pods/${another.metadata.name}/eviction`, applied: false }), 1);

    await apps.patchNamespacedDeployment({ name: 'web', namespace: NS, body: { spec: { paused: false } } }, mergePatch);
    await settled('web');
    const pods = podsOf('web');
    assert.equal(pods.length, 5);
    const replacement = pods.filter((pod) => !before.has(pod.metadata.name));
    assert.equal(replacement.length, 1);
    assert.notEqual(nodeOf(replacement[0]), from, 'the replacement went to a schedulable node');
    assert.ok(pods.every(isReady));
    assert.equal((await policy.readNamespacedPodDisruptionBudget({ name: 'web', namespace: NS })).status!.disruptionsAllowed, 1,
      'the replacement is Ready: the disruption is back');
    await cordon(from, false);
  });

  test('through the client: createNamespacedPodEviction, dryRun evicts nothing, and the edge cases answer as the apiserver does', async () => {
    const { core } = api();
    const [pod] = podsOf('web');
    await core.createNamespacedPodEviction({
      name: pod.metadata.name, namespace: NS, dryRun: 'All',
      body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod.metadata.name, namespace: NS } },
    });
    assert.ok(cluster.store.get('pods', NS, pod.metadata.name), 'dryRun=All leaves the pod');
    const bodyDryRun = await evict(pod.metadata.name, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod.metadata.name }, deleteOptions: { dryRun: ['All'] } });
    assert.equal(bodyDryRun.status, 201);
    assert.ok(cluster.store.get('pods', NS, pod.metadata.name), 'deleteOptions.dryRun leaves the pod');

    const missing = await evict('no-such-pod');
    assert.equal(missing.status, 404);
    assert.deepEqual([JSON.parse(missing.body).reason, JSON.parse(missing.body).message], ['NotFound', 'pods "no-such-pod" not found']);
    const mismatch = await evict(pod.metadata.name, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'other' } });
    assert.equal(mismatch.status, 400);
    assert.match(JSON.parse(mismatch.body).message, /name in URL does not match name in Eviction object/);
    assert.equal((await evict(pod.metadata.name, { apiVersion: 'v1', kind: 'Pod', metadata: { name: pod.metadata.name } })).status, 400);
    assert.equal((await evict(pod.metadata.name, 'not an object')).status, 400);
    const get = await rawRequest(kube, `/k8s/clusters/${CLUSTER}/api/v1/namespaces/${NS}/pods/${pod.metadata.name}/eviction`, { token });
    assert.equal(get.status, 405);

    await budget('web-too', { minAvailable: 1, selector: { matchLabels: { app: 'web' } } });
    const two = await evict(pod.metadata.name);
    assert.equal(two.status, 500);
    assert.equal(JSON.parse(two.body).message, 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
    assert.ok(cluster.store.get('pods', NS, pod.metadata.name));
  });
});

describe('the seed: budgets, pods that mount user token Secrets, LKE components as their token accounts, bench sizes', () => {
  const seed = (k8sVersion: string, extra: Partial<Parameters<typeof KubeCluster.seed>[0]> = {}, nodes = 3) => KubeCluster.seed({
    clusterId: 7, k8sVersion, random: seededRandom(7), appNamespaces: 3,
    nodes: Array.from({ length: nodes }, (_, i) => ({ name: `lke7-1-${i}`, providerID: `linode://${i}` })), ...extra,
  }, new SimClock(0.001));

  test('a budget (maxUnavailable 1) per app StatefulSet and per app Deployment of 2+ replicas; none with pdbs: false', () => {
    const cluster = seed('1.31');
    const apps = (resource: 'deployments' | 'statefulsets') => cluster.store.list(resource).filter((w) => w.metadata.namespace !== 'kube-system');
    const guarded = [...apps('statefulsets'), ...apps('deployments').filter((d) => (d.spec as { replicas: number }).replicas >= 2)];
    const budgets = cluster.store.list('poddisruptionbudgets');
    assert.ok(guarded.length > 0);
    assert.deepEqual(budgets.map((b) => `${b.metadata.namespace}/${b.metadata.name}`).sort(),
      guarded.map((w) => `${w.metadata.namespace}/${w.metadata.name}-pdb`).sort());
    for (const pdb of budgets) {
      const workload = guarded.find((w) => `${w.metadata.name}-pdb` === pdb.metadata.name && w.metadata.namespace === pdb.metadata.namespace)!;
      assert.deepEqual(pdb.spec, { maxUnavailable: 1, selector: { matchLabels: (workload.spec as { selector: { matchLabels: object } }).selector.matchLabels } });
      const replicas = (workload.spec as { replicas: number }).replicas;
      assert.deepEqual(pdb.status && { ...(pdb.status as object), conditions: undefined },
        { observedGeneration: 1, currentHealthy: replicas, expectedPods: replicas, desiredHealthy: replicas - 1, disruptionsAllowed: 1, conditions: undefined });
    }
    cluster.stop();
    const without = seed('1.31', { pdbs: false });
    assert.equal(without.store.count('poddisruptionbudgets'), 0);
    without.stop();
  });

  test('each user token Secret has a <serviceaccount>-client Deployment whose pods reference it, in each of the four ways', () => {
    const cluster = seed('1.31', { userTokenSecrets: 4 });
    const userSecrets = cluster.tokenSecrets('kube-system').filter((s) => s.metadata.labels?.team);
    assert.equal(userSecrets.length, 4);
    const ways = new Set<string>();
    for (const secret of userSecrets) {
      const account = secret.metadata.annotations!['kubernetes.io/service-account.name'];
      const client = cluster.store.get('deployments', 'kube-system', `${account}-client`);
      assert.ok(client, `${account}-client`);
      const [pod] = cluster.controller.podsOf('deployments', client);
      assert.ok(pod && isReady(pod));
      const spec = pod.spec as V1PodSpec;
      const name = secret.metadata.name;
      if (spec.volumes?.some((v) => v.secret?.secretName === name)) ways.add('secret volume');
      if (spec.volumes?.some((v) => v.projected?.sources?.some((s) => s.secret?.name === name))) ways.add('projected');
      if (spec.containers[0].env?.some((e) => e.valueFrom?.secretKeyRef?.name === name)) ways.add('secretKeyRef');
      if (spec.containers[0].envFrom?.some((e) => e.secretRef?.name === name)) ways.add('envFrom');
    }
    assert.deepEqual([...ways].sort(), ['envFrom', 'projected', 'secret volume', 'secretKeyRef']);
    cluster.stop();
  });

  test('csi-linode-controller and konnectivity-agent run as their token accounts where the cluster has them (1.26+)', () => {
    const accountOf = (cluster: KubeCluster, resource: 'statefulsets' | 'daemonsets', name: string) =>
      (cluster.store.get(resource, 'kube-system', name)!.spec as { template: { spec: { serviceAccountName?: string } } }).template.spec.serviceAccountName;
    const recent = seed('1.31');
    assert.equal(accountOf(recent, 'statefulsets', 'csi-linode-controller'), 'csi-controller-user');
    assert.equal(accountOf(recent, 'daemonsets', 'konnectivity-agent'), 'konnectivity-agent-user');
    const old = seed('1.25');
    assert.equal(accountOf(old, 'statefulsets', 'csi-linode-controller'), undefined);
    assert.equal(accountOf(old, 'daemonsets', 'konnectivity-agent'), undefined);
    recent.stop();
    old.stop();
  });

  test('workloadsPerCluster: 300 Deployments of 2 Ready replicas with budgets on 30 nodes seed in well under a second', () => {
    const started = performance.now();
    const cluster = seed('1.31', { workloadsPerCluster: 300 }, 30);
    const elapsed = performance.now() - started;
    const apps = cluster.store.list('deployments').filter((d) => d.metadata.namespace !== 'kube-system');
    assert.equal(apps.length, 300);
    assert.equal(new Set(apps.map((d) => d.metadata.namespace)).size, 3, 'spread over the app namespaces');
    assert.ok(apps.every((d) => (d.status as { readyReplicas: number }).readyReplicas === 2));
    const budgets = cluster.store.list('poddisruptionbudgets');
    assert.equal(budgets.filter((b) => b.metadata.name.startsWith('svc-')).length, 300);
    assert.ok(elapsed < 700, `seeded in ${Math.round(elapsed)} ms`);
    cluster.stop();
  });

  test('nodesPerCluster: the fleet generator gives each cluster that many nodes over its pools', async () => {
    const sim = await startSimulator({ clusters: 3, seed: 11, nodesPerCluster: 5 });
    try {
      for (const { cluster } of sim.state.list()) {
        assert.equal(sim.state.kube(cluster.id)!.nodeNames().length, 5);
      }
    } finally {
      await sim.stop();
    }
  });
});
