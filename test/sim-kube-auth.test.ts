// The simulator's Kubernetes side through the real client: token Secrets, auth, preconditions,
// Secret patches, and the token cache.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ApiException
} from '@kubernetes/client-node';
import { SERVICE_ACCOUNT_NAME_ANNOTATION, SERVICE_ACCOUNT_TOKEN_TYPE } from '../common/names.js';
import { lkeTokenServiceAccounts } from '../sim/kube/index.js';
import { apiError, clients, mergePatch, rawRequest, TOKEN_SELECTOR } from './support/kubeClientHelpers.js';
import { startTestKube, type TestKube } from './support/simKube.js';
import { waitFor } from './support/waitFor.js';

describe('simulated Kubernetes API through @kubernetes/client-node: auth', () => {
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

