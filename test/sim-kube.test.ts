// The simulator's Kubernetes side through the real client (@kubernetes/client-node 1.4) with the
// kubeconfig the Linode side serves: auth, selectors, preconditions, patches, rollouts, faults, audit.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import {
  ApiException, AppsV1Api, CoreV1Api, PatchStrategy, Watch, setHeaderOptions, type KubeConfig, type V1Deployment,
  type V1DaemonSet, type V1StatefulSet,
} from '@kubernetes/client-node';
import { RESTARTED_AT_ANNOTATION, SERVICE_ACCOUNT_NAME_ANNOTATION, SERVICE_ACCOUNT_TOKEN_TYPE } from '../common/names.js';
import { lkeTokenServiceAccounts } from '../sim/kube/index.js';
import { startTestKube, type TestKube } from './support/simKube.js';
import { waitFor } from './support/waitFor.js';

const TOKEN_SELECTOR = `type=${SERVICE_ACCOUNT_TOKEN_TYPE}`;
const strategic = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

async function apiError(promise: Promise<unknown>): Promise<{ code: number; status: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ApiException, `expected an ApiException, got ${String(error)}`);
    const body = error.body as unknown;
    return { code: error.code, status: (typeof body === 'string' ? JSON.parse(body) : body) as Record<string, unknown> };
  }
  assert.fail('the call succeeded but was expected to fail');
}

function clients(config: KubeConfig) {
  return { core: config.makeApiClient(CoreV1Api), apps: config.makeApiClient(AppsV1Api) };
}

/** kubectl rollout status's rules (docs/design.md, 'Facts about the real APIs') */
function rolloutDone(kind: 'Deployment' | 'StatefulSet' | 'DaemonSet', w: V1Deployment | V1StatefulSet | V1DaemonSet): boolean {
  if ((w.status?.observedGeneration ?? 0) < (w.metadata?.generation ?? 0)) return false;
  if (kind === 'Deployment') {
    const d = w as V1Deployment;
    const s = d.status ?? {};
    return !s.conditions?.some((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded') &&
      (s.updatedReplicas ?? 0) >= (d.spec?.replicas ?? 1) && (s.replicas ?? 0) === (s.updatedReplicas ?? 0) &&
      (s.availableReplicas ?? 0) >= (s.updatedReplicas ?? 0);
  }
  if (kind === 'StatefulSet') {
    const sts = w as V1StatefulSet;
    const partition = sts.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
    return (sts.status?.readyReplicas ?? 0) >= (sts.spec?.replicas ?? 1) &&
      (sts.status?.updatedReplicas ?? 0) >= (sts.spec?.replicas ?? 1) - partition;
  }
  const ds = (w as V1DaemonSet).status!;
  return ds.updatedNumberScheduled! >= ds.desiredNumberScheduled && ds.numberAvailable! >= ds.desiredNumberScheduled;
}

function rawRequest(kube: TestKube, path: string, init: { method?: string; token?: string; body?: string; contentType?: string } = {}):
  Promise<{ status: number; body: string }> {
  const url = new URL(`${kube.server.baseUrl.replace(/\/k8s\/clusters$/, '')}${path}`);
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: init.method ?? 'GET', ca: kube.server.caPem,
      headers: {
        ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}),
        ...(init.contentType ? { 'Content-Type': init.contentType } : {}),
      },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { text += chunk; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

describe('simulated Kubernetes API through @kubernetes/client-node', () => {
  let kube: TestKube;
  // tokenCacheMs 0: these tests expect a deleted Secret's token to be refused at once
  before(async () => { kube = await startTestKube({ clusterIds: [101, 102], timeScale: 0.001, rolloutStepMs: 2_000, tokenCacheMs: 0 }); });
  after(async () => { await kube.stop(); });

  test('lists the LKE token Secrets by field selector, with the guide\'s names and shapes', async () => {
    const { core } = clients(kube.kubeConfig(101));
    const list = await core.listNamespacedSecret({ namespace: 'kube-system', fieldSelector: TOKEN_SELECTOR });
    assert.equal(list.kind, 'SecretList');
    assert.match(list.metadata?.resourceVersion ?? '', /^\d+$/);
    const accounts = list.items.map((s) => s.metadata?.annotations?.[SERVICE_ACCOUNT_NAME_ANNOTATION]).sort();
    assert.deepEqual(accounts, [...lkeTokenServiceAccounts('1.31')].sort());
    for (const secret of list.items) {
      const account = secret.metadata!.annotations![SERVICE_ACCOUNT_NAME_ANNOTATION];
      assert.match(secret.metadata!.name!, new RegExp(`^${account}-token-[a-z0-9]{5}$`));
      assert.equal(secret.type, SERVICE_ACCOUNT_TOKEN_TYPE);
      assert.match(secret.metadata!.uid!, /^[0-9a-f-]{36}$/);
      assert.ok(secret.metadata!.creationTimestamp instanceof Date);
      assert.ok(Buffer.from(secret.data!.token, 'base64').toString().length >= 40);
      assert.match(Buffer.from(secret.data!['ca.crt'], 'base64').toString(), /BEGIN CERTIFICATE/);
      assert.equal(Buffer.from(secret.data!.namespace, 'base64').toString(), 'kube-system');
    }
    const opaque = await core.listNamespacedSecret({ namespace: 'kube-system', fieldSelector: 'type=Opaque' });
    assert.equal(opaque.items.length, 0);
    const byName = await core.listSecretForAllNamespaces({ fieldSelector: `metadata.name=${list.items[0].metadata!.name}` });
    assert.equal(byName.items.length, 1);
    const notInNs = await core.listSecretForAllNamespaces({ fieldSelector: `${TOKEN_SELECTOR},metadata.namespace!=kube-system` });
    assert.equal(notInNs.items.length, 0);
  });

  test('each cluster accepts only its own tokens', async () => {
    const { core } = clients(kube.kubeConfig(102, kube.clusters.get(101)!.adminToken()));
    const { code } = await apiError(core.listNode());
    assert.equal(code, 401);
  });

  test('delete with a uid precondition: 409 Conflict on mismatch, success on match, 404 NotFound after', async () => {
    const { core } = clients(kube.kubeConfig(101));
    const [secret] = (await core.listNamespacedSecret({ namespace: 'kube-system', fieldSelector: TOKEN_SELECTOR })).items
      .filter((s) => s.metadata!.name!.startsWith('ccm-user-'));
    const name = secret.metadata!.name!;
    const mismatch = await apiError(core.deleteNamespacedSecret({
      name, namespace: 'kube-system', body: { preconditions: { uid: '00000000-0000-4000-8000-000000000000' } },
    }));
    assert.equal(mismatch.code, 409);
    assert.equal(mismatch.status.kind, 'Status');
    assert.equal(mismatch.status.reason, 'Conflict');
    assert.match(String(mismatch.status.message), /Precondition failed: UID in precondition/);
    await core.readNamespacedSecret({ name, namespace: 'kube-system' });

    const deleted = await core.deleteNamespacedSecret({ name, namespace: 'kube-system', body: { preconditions: { uid: secret.metadata!.uid } } });
    assert.equal(deleted.status, 'Success');
    const gone = await apiError(core.deleteNamespacedSecret({ name, namespace: 'kube-system', body: { preconditions: { uid: secret.metadata!.uid } } }));
    assert.deepEqual({ ...gone.status, details: undefined }, {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `secrets "${name}" not found`,
      reason: 'NotFound', code: 404, details: undefined,
    });
    assert.equal(gone.code, 404);
    assert.equal(kube.audit.count({ api: 'kube', clusterId: 101, method: 'DELETE', applied: true }), 1);
    assert.equal(kube.audit.count({ api: 'kube', clusterId: 101, method: 'DELETE', applied: false }), 2);
  });

  test('a deleted or changed token Secret\'s token is rejected with the apiserver\'s 401 Status', async () => {
    const cluster = kube.clusters.get(102)!;
    const admin = clients(kube.kubeConfig(102));
    const tokens = (await admin.core.listNamespacedSecret({ namespace: 'kube-system', fieldSelector: TOKEN_SELECTOR })).items;
    const autoscaler = tokens.find((s) => s.metadata!.name!.startsWith('cluster-autoscaler-user-'))!;
    const dashboard = tokens.find((s) => s.metadata!.name!.startsWith('kubernetes-dashboard-lke-user-'))!;
    const asAutoscaler = clients(kube.kubeConfig(102, Buffer.from(autoscaler.data!.token, 'base64').toString()));
    const asDashboard = clients(kube.kubeConfig(102, Buffer.from(dashboard.data!.token, 'base64').toString()));
    assert.ok((await asAutoscaler.core.listNode()).items.length > 0);

    await admin.core.deleteNamespacedSecret({ name: autoscaler.metadata!.name!, namespace: 'kube-system' });
    assert.equal((await apiError(asAutoscaler.core.listNode())).code, 401);
    // client-node drops 401 bodies, so the Status shape is checked on the wire
    const raw = await rawRequest(kube, '/k8s/clusters/102/api/v1/nodes', { token: Buffer.from(autoscaler.data!.token, 'base64').toString() });
    assert.equal(raw.status, 401);
    assert.deepEqual(JSON.parse(raw.body), {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401,
    });

    await admin.core.patchNamespacedSecret({
      name: dashboard.metadata!.name!, namespace: 'kube-system', body: { data: { token: Buffer.from('replaced-token-value-0123456789abcdefghij').toString('base64') } },
    }, mergePatch);
    assert.equal((await apiError(asDashboard.core.listNode())).code, 401);
    assert.ok(cluster.acceptsToken('replaced-token-value-0123456789abcdefghij'));
  });

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

  test('lists page with limit and continue, and generateName picks a fresh name', async () => {
    const { core } = clients(kube.kubeConfig(101));
    const all = (await core.listPodForAllNamespaces()).items.map((p) => `${p.metadata!.namespace}/${p.metadata!.name}`);
    const paged: string[] = [];
    let token: string | undefined;
    do {
      const page = await core.listPodForAllNamespaces({ limit: 4, _continue: token });
      assert.ok(page.items.length <= 4);
      paged.push(...page.items.map((p) => `${p.metadata!.namespace}/${p.metadata!.name}`));
      token = page.metadata!._continue;
      if (token) assert.equal(page.metadata!.remainingItemCount, all.length - paged.length);
    } while (token);
    assert.deepEqual(paged, all);
    assert.equal((await apiError(core.listPodForAllNamespaces({ limit: 4, _continue: 'garbage' }))).code, 400);

    const generated = await core.createNamespacedSecret({ namespace: 'default', body: { metadata: { generateName: 'gen-' } } });
    assert.match(generated.metadata!.name!, /^gen-[a-z0-9]{5}$/);
    await core.deleteNamespacedSecret({ name: generated.metadata!.name!, namespace: 'default' });
  });

  test('bad selectors get 400 BadRequest Status objects, as the apiserver words them', async () => {
    const { core } = clients(kube.kubeConfig(101));
    const field = await apiError(core.listNamespacedSecret({ namespace: 'kube-system', fieldSelector: 'spec.foo=bar' }));
    assert.equal(field.code, 400);
    assert.equal(field.status.reason, 'BadRequest');
    assert.equal(field.status.message, 'field label not supported: spec.foo');
    const podField = await apiError(core.listNamespacedPod({ namespace: 'kube-system', fieldSelector: 'type=x' }));
    assert.equal(podField.status.message, 'field label not supported: type');
    for (const labelSelector of ['a=b=c', 'app in (x', '-bad-=x', 'a,,b']) {
      const label = await apiError(core.listNamespacedPod({ namespace: 'kube-system', labelSelector }));
      assert.equal(label.code, 400, labelSelector);
      assert.equal(label.status.reason, 'BadRequest');
    }
    const pods = await core.listNamespacedPod({ namespace: 'kube-system', labelSelector: 'k8s-app in (coredns,kube-proxy),!nothing' });
    assert.equal(pods.items.length, 2 + 3);
    const nodes = await core.listNode({ labelSelector: 'kubernetes.io/os=linux,kubernetes.io/arch!=arm64' });
    assert.equal(nodes.items.length, 3);
  });

  test('unknown paths, clusters and bodies get the apiserver\'s errors, never a crash', async () => {
    const token = kube.clusters.get(101)!.adminToken();
    const unknown = await rawRequest(kube, '/k8s/clusters/101/apis/batch/v1/jobs', { token });
    assert.equal(unknown.status, 404);
    assert.deepEqual(JSON.parse(unknown.body), {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: 'the server could not find the requested resource', reason: 'NotFound', code: 404,
    });
    assert.equal((await rawRequest(kube, '/k8s/clusters/999/api/v1/nodes', { token })).status, 404);
    assert.equal((await rawRequest(kube, '/healthz', { token })).status, 404);
    assert.equal((await rawRequest(kube, '/k8s/clusters/101/api/v1/nodes')).status, 401);
    const version = JSON.parse((await rawRequest(kube, '/k8s/clusters/101/version', { token })).body) as { gitVersion: string };
    assert.match(version.gitVersion, /^v1\.31\.\d+$/);
    const malformed = await rawRequest(kube, '/k8s/clusters/101/api/v1/namespaces/default/secrets',
      { method: 'POST', token, body: '{"metadata":', contentType: 'application/json' });
    assert.equal(malformed.status, 400);
    assert.equal((JSON.parse(malformed.body) as { reason: string }).reason, 'BadRequest');
    const badPatch = await rawRequest(kube, '/k8s/clusters/101/api/v1/namespaces/kube-system/serviceaccounts/default',
      { method: 'PATCH', token, body: '{}', contentType: 'text/plain' });
    assert.equal(badPatch.status, 415);
    const strict = await rawRequest(kube, '/k8s/clusters/101/api/v1/namespaces/default/secrets?fieldValidation=Strict',
      { method: 'POST', token, body: '{"metadata":{"name":"typo","lables":{}},"strinData":{}}', contentType: 'application/json' });
    assert.equal(strict.status, 400);
    assert.equal((JSON.parse(strict.body) as { message: string }).message,
      'strict decoding error: unknown field "strinData", unknown field "metadata.lables"');
    const missingNamespace = await rawRequest(kube, '/k8s/clusters/101/api/v1/namespaces/nope/secrets',
      { method: 'POST', token, body: '{"metadata":{"name":"x"}}', contentType: 'application/json' });
    assert.equal(missingNamespace.status, 404);
    assert.equal((JSON.parse(missingNamespace.body) as { message: string }).message, 'namespaces "nope" not found');
  });

  test('create, merge/strategic/JSON patch and deletecollection of Secrets', async () => {
    const { core } = clients(kube.kubeConfig(101));
    const postsBefore = kube.audit.count({ clusterId: 101, method: 'POST', applied: true });
    for (const name of ['app-a', 'app-b']) {
      const created = await core.createNamespacedSecret({
        namespace: 'default', body: { metadata: { name, labels: { team: 'x' } }, stringData: { password: 'p' } },
      });
      assert.equal(created.type, 'Opaque');
      assert.equal(created.data!.password, Buffer.from('p').toString('base64'));
    }
    const duplicate = await apiError(core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'app-a' } } }));
    assert.equal(duplicate.code, 409);
    assert.equal(duplicate.status.reason, 'AlreadyExists');

    const merged = await core.patchNamespacedSecret({ name: 'app-a', namespace: 'default', body: { metadata: { labels: { tier: 'db' } } } }, mergePatch);
    assert.deepEqual(merged.metadata!.labels, { team: 'x', tier: 'db' });
    const jsonPatched = await core.patchNamespacedSecret({
      name: 'app-a', namespace: 'default', body: [{ op: 'remove', path: '/metadata/labels/tier' }, { op: 'add', path: '/metadata/labels/env', value: 'prod' }],
    });
    assert.deepEqual(jsonPatched.metadata!.labels, { team: 'x', env: 'prod' });
    const stale = await apiError(core.patchNamespacedSecret({
      name: 'app-a', namespace: 'default', body: { metadata: { resourceVersion: '1', labels: { a: 'b' } } },
    }, mergePatch));
    assert.equal(stale.code, 409);

    const deleted = await core.deleteCollectionNamespacedSecret({ namespace: 'default', labelSelector: 'team=x' });
    assert.equal(deleted.status, undefined);
    assert.equal((await core.listNamespacedSecret({ namespace: 'default' })).items.length, 0);
    assert.equal(kube.audit.count({ clusterId: 101, method: 'POST', applied: true }) - postsBefore, 2);
  });

  test('faults: failures before the side effect, after it, and dropped connections are audited as such', async () => {
    const { core } = clients(kube.kubeConfig(101));
    const create = (name: string) => core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name } } });
    kube.audit.clear();

    const removeFail = kube.faults.add({ kind: 'failNext', api: 'kube', clusterId: 101, method: 'POST', count: 1, status: 503 });
    assert.equal((await apiError(create('f1'))).code, 503);
    removeFail();
    assert.equal((await apiError(core.readNamespacedSecret({ name: 'f1', namespace: 'default' }))).code, 404);

    kube.faults.add({ kind: 'sideEffectThenFail', api: 'kube', clusterId: 101, method: 'POST', count: 1, outcome: 500 });
    assert.equal((await apiError(create('f2'))).code, 500);
    await core.readNamespacedSecret({ name: 'f2', namespace: 'default' });

    kube.faults.add({ kind: 'sideEffectThenFail', api: 'kube', clusterId: 101, path: '/secrets/f2', count: 1, outcome: 'drop' });
    await assert.rejects(core.deleteNamespacedSecret({ name: 'f2', namespace: 'default' }));
    assert.equal((await apiError(core.readNamespacedSecret({ name: 'f2', namespace: 'default' }))).code, 404);

    kube.faults.add({ kind: 'latency', api: 'kube', clusterId: 101, method: 'GET', ms: 150 });
    const started = Date.now();
    await core.listNode();
    assert.ok(Date.now() - started >= 140);
    kube.faults.clear();

    const entries = kube.audit.list({ clusterId: 101 }).map((e) => [e.method, e.path, e.status, e.applied]);
    assert.deepEqual(entries, [
      ['POST', '/api/v1/namespaces/default/secrets', 503, false],
      ['POST', '/api/v1/namespaces/default/secrets', 500, true],
      ['DELETE', '/api/v1/namespaces/default/secrets/f2', 'dropped', true],
    ]);
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

describe('token cache', () => {
  let kube: TestKube;
  // time scale 1: the cache period is simulated time, and 1.5 s of it is 1.5 s here
  before(async () => { kube = await startTestKube({ clusterIds: [201], timeScale: 1, tokenCacheMs: 1_500 }); });
  after(async () => { await kube.stop(); });

  test('a deleted Secret\'s token keeps working until the cached check expires, then gets 401', async () => {
    const { core } = clients(kube.kubeConfig(201));
    const firstCheck = Date.now();
    await core.listNode();
    await core.deleteCollectionNamespacedSecret({ namespace: 'kube-system', fieldSelector: TOKEN_SELECTOR });
    assert.equal((await core.listNode()).items.length, 3, 'still cached');
    await waitFor('the cached token to expire', async () => {
      try { await core.listNode(); return 200; } catch (error) { return (error as ApiException<unknown>).code; }
    }, (code) => code === 401, 10_000);
    assert.ok(Date.now() - firstCheck >= 1_500, 'rejected only after the cache period');
  });
});
