// The simulator's Kubernetes side through the real client: paging, the apiserver's errors for bad
// requests, and faults.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiError, clients, rawRequest } from './support/kubeClientHelpers.js';
import { startTestKube, type TestKube } from './support/simKube.js';

describe('simulated Kubernetes API through @kubernetes/client-node: api', () => {
  let kube: TestKube;
  // tokenCacheMs 0: these tests expect a deleted Secret's token to be refused at once
  before(async () => { kube = await startTestKube({ clusterIds: [101, 102], timeScale: 0.001, rolloutStepMs: 2_000, tokenCacheMs: 0 }); });
  after(async () => { await kube.stop(); });

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
});
