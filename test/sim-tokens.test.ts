// Service-account tokens in the simulator as a real LKE cluster has them, through @kubernetes/client-node
// and plain HTTP: the apiserver's token cache (on by default, in simulated time), the token controller
// that fills new token Secrets, and user-owned token Secrets the fleet generator can seed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SERVICE_ACCOUNT_NAME_ANNOTATION, SERVICE_ACCOUNT_TOKEN_TYPE } from '../common/names.js';
import { KUBE_SYSTEM, lkeTokenServiceAccounts } from '../common/lke.js';
import { startSimulator, type Simulator } from '../sim/index.js';
import { USER_SERVICE_ACCOUNTS } from '../sim/kube/userTokens.js';
import { clientsWithToken, fetchKubeconfig, regenerate, statusOf, tokenOf } from './support/simLinode.js';
import { waitFor } from './support/waitFor.js';

const TOKEN_SELECTOR = `type=${SERVICE_ACCOUNT_TOKEN_TYPE}`;

async function adminToken(sim: Simulator, clusterId: number): Promise<string> {
  const served = await fetchKubeconfig(sim, clusterId);
  assert.equal(served.status, 200);
  return served.token!;
}

/**
 * The guide's `kubectl -n kube-system delete secrets --field-selector=type=...`, as client calls: list,
 * delete each by name with the kubeconfig's own token, then read again (kubectl waits for the deletions).
 */
async function guideDelete(sim: Simulator, clusterId: number, token: string): Promise<{ deleted: string[]; failedAt?: number }> {
  const { core } = clientsWithToken(sim, clusterId, token);
  const listed = (await core.listNamespacedSecret({ namespace: KUBE_SYSTEM, fieldSelector: TOKEN_SELECTOR })).items;
  const deleted: string[] = [];
  for (const secret of listed) {
    const status = await statusOf(core.deleteNamespacedSecret({ name: secret.metadata!.name!, namespace: KUBE_SYSTEM }));
    if (status !== 200) return { deleted, failedAt: status };
    deleted.push(secret.metadata!.name!);
  }
  const left = await statusOf(core.listNamespacedSecret({ namespace: KUBE_SYSTEM, fieldSelector: TOKEN_SELECTOR }));
  return left === 200 ? { deleted } : { deleted, failedAt: left };
}

describe('token cache: on by default (10 s of simulated time), as the apiserver caches token reviews', () => {
  test('the guide\'s delete finishes with the default cache; the old kubeconfig is refused once the cache period passes', async () => {
    // time scale 0.1: the default 10 s cache lasts 1 s here, which shows it is simulated time
    const sim = await startSimulator({ clusters: 1, seed: 21, timeScale: 0.1, rateLimit: false });
    try {
      const id = sim.state.list()[0].cluster.id;
      const token = await adminToken(sim, id);
      const expected = sim.state.kube(id)!.tokenSecrets(KUBE_SYSTEM).map((s) => s.metadata.name).sort();
      const firstCheck = Date.now();
      const run = await guideDelete(sim, id, token);
      assert.equal(run.failedAt, undefined, `the delete stopped after ${run.deleted.length} Secrets`);
      assert.deepEqual(run.deleted.sort(), expected);
      assert.equal(sim.state.kube(id)!.tokenSecrets(KUBE_SYSTEM).length, 0);

      const { core } = clientsWithToken(sim, id, token);
      await waitFor('the old token refused', () => statusOf(core.listNode()), (status) => status === 401, 5_000);
      const refusedAfter = Date.now() - firstCheck;
      assert.ok(refusedAfter >= 900, `refused after ${refusedAfter} ms: the cache should hold it about 1 s`);
      assert.ok(refusedAfter < 5_000, `refused after ${refusedAfter} ms: 10 s of simulated time is 1 s here`);
    } finally {
      await sim.stop();
    }
  });

  test('tokenCacheMs: 0 turns it off: the same delete then fails on its follow-up read, as it did before', async () => {
    const sim = await startSimulator({ clusters: 1, seed: 21, timeScale: 0.1, tokenCacheMs: 0, rateLimit: false });
    try {
      const id = sim.state.list()[0].cluster.id;
      const run = await guideDelete(sim, id, await adminToken(sim, id));
      assert.equal(run.failedAt, 401);
    } finally {
      await sim.stop();
    }
  });
});

describe('token controller: a new token Secret for an existing service account is filled and authenticates', () => {
  let sim: Simulator;
  let id: number;
  let admin: ReturnType<typeof clientsWithToken>;
  // 5 s of simulated time for the controller, 50 ms here; no token cache, so refusals show at once
  before(async () => {
    sim = await startSimulator({ clusters: 1, seed: 22, timeScale: 0.01, tokenCacheMs: 0, delays: { tokenControllerMs: 5_000 }, rateLimit: false });
    id = sim.state.list()[0].cluster.id;
    admin = clientsWithToken(sim, id, await adminToken(sim, id));
  });
  after(async () => { await sim.stop(); });

  test('data.token, ca.crt and namespace arrive after the delay, and the token is the service account\'s', async () => {
    const account = await admin.core.createNamespacedServiceAccount({ namespace: KUBE_SYSTEM, body: { metadata: { name: 'ci-deployer' } } });
    const body = {
      metadata: {
        name: 'ci-deployer-token',
        labels: { team: 'platform' },
        annotations: { [SERVICE_ACCOUNT_NAME_ANNOTATION]: 'ci-deployer', owner: 'platform@example.com' },
      },
      type: SERVICE_ACCOUNT_TOKEN_TYPE,
    };
    const created = await admin.core.createNamespacedSecret({ namespace: KUBE_SYSTEM, body });
    assert.equal(created.data?.token, undefined, 'the create\'s answer has no token yet, as on a real cluster');
    const createdAt = Date.now();

    const filled = await waitFor('the token controller',
      () => admin.core.readNamespacedSecret({ name: 'ci-deployer-token', namespace: KUBE_SYSTEM }), (s) => s.data?.token !== undefined);
    assert.ok(Date.now() - createdAt >= 40, 'filled after the simulated delay, not at once');
    assert.ok(tokenOf(filled).length >= 40);
    assert.match(Buffer.from(filled.data!['ca.crt'], 'base64').toString(), /BEGIN CERTIFICATE/);
    assert.equal(Buffer.from(filled.data!.namespace, 'base64').toString(), KUBE_SYSTEM);
    assert.equal(filled.metadata!.annotations!['kubernetes.io/service-account.uid'], account.metadata!.uid);
    assert.equal(filled.metadata!.annotations!.owner, 'platform@example.com', 'the user\'s annotations are kept');
    assert.deepEqual(filled.metadata!.labels, { team: 'platform' });

    const asDeployer = clientsWithToken(sim, id, tokenOf(filled));
    assert.ok((await asDeployer.core.listNode()).items.length > 0);
    const review = await asDeployer.authn.createSelfSubjectReview({ body: {} });
    assert.equal(review.status?.userInfo?.username, 'system:serviceaccount:kube-system:ci-deployer');
    assert.equal(review.status?.userInfo?.uid, account.metadata!.uid);
    assert.ok(review.status?.userInfo?.groups?.includes('system:serviceaccounts:kube-system'));

    await admin.core.deleteNamespacedSecret({ name: 'ci-deployer-token', namespace: KUBE_SYSTEM });
    assert.equal(await statusOf(asDeployer.core.listNode()), 401);
  });

  test('a token Secret naming a missing service account is deleted by the controller; one naming none is invalid', async () => {
    await admin.core.createNamespacedSecret({
      namespace: KUBE_SYSTEM,
      body: { metadata: { name: 'ghost-token', annotations: { [SERVICE_ACCOUNT_NAME_ANNOTATION]: 'ghost' } }, type: SERVICE_ACCOUNT_TOKEN_TYPE },
    });
    await waitFor('the Secret deleted', () => statusOf(admin.core.readNamespacedSecret({ name: 'ghost-token', namespace: KUBE_SYSTEM })),
      (status) => status === 404);
    const invalid = await statusOf(admin.core.createNamespacedSecret({
      namespace: KUBE_SYSTEM, body: { metadata: { name: 'anonymous-token' }, type: SERVICE_ACCOUNT_TOKEN_TYPE },
    }));
    assert.equal(invalid, 422);
  });

  test('the admin kubeconfig authenticates as lke-admin', async () => {
    const review = await admin.authn.createSelfSubjectReview({ body: {} });
    assert.equal(review.status?.userInfo?.username, 'system:serviceaccount:kube-system:lke-admin');
  });
});

describe('user-owned token Secrets from the fleet generator (userTokenSecrets)', () => {
  test('off by default: the same seed gives only LKE\'s token Secrets, named as before', async () => {
    const plain = await startSimulator({ clusters: 3, seed: 5 });
    const withUsers = await startSimulator({ clusters: 3, seed: 5, userTokenSecrets: 2 });
    try {
      for (const [i, { cluster }] of plain.state.list().entries()) {
        const lke = lkeTokenServiceAccounts(cluster.k8s_version);
        const names = (sim: Simulator, id: number) => sim.state.kube(id)!.tokenSecrets(KUBE_SYSTEM).map((s) => s.metadata.name);
        assert.equal(names(plain, cluster.id).length, lke.length, 'no user-owned Secrets unless asked');
        const other = withUsers.state.list()[i].cluster.id;
        assert.equal(other, cluster.id);
        assert.deepEqual(names(withUsers, other).filter((name) => names(plain, cluster.id).includes(name)).sort(),
          names(plain, cluster.id).sort(), 'asking for them leaves LKE\'s own objects as the seed made them');
      }
    } finally {
      await Promise.all([plain.stop(), withUsers.stop()]);
    }
  });

  test('seeded with their own names, labels and annotations; they authenticate; LKE\'s regenerate does not bring them back', async () => {
    const sim = await startSimulator({ clusters: 2, seed: 9, timeScale: 0.001, tokenCacheMs: 0, userTokenSecrets: 2, rateLimit: false });
    try {
      const id = sim.state.list()[0].cluster.id;
      const admin = clientsWithToken(sim, id, await adminToken(sim, id));
      const secrets = (await admin.core.listNamespacedSecret({ namespace: KUBE_SYSTEM, fieldSelector: TOKEN_SELECTOR })).items;
      const accountOf = (s: (typeof secrets)[number]) => s.metadata!.annotations![SERVICE_ACCOUNT_NAME_ANNOTATION];
      const lke = lkeTokenServiceAccounts(sim.state.cluster(id)!.cluster.k8s_version);
      const users = secrets.filter((s) => !lke.includes(accountOf(s)));
      assert.equal(users.length, 2);
      for (const secret of users) {
        const account = accountOf(secret);
        assert.ok((USER_SERVICE_ACCOUNTS as readonly string[]).includes(account));
        assert.match(secret.metadata!.name!, new RegExp(`^${account}-(token|secret|sa-token)$`), 'a name the user chose');
        assert.equal(secret.metadata!.labels!['app.kubernetes.io/name'], account);
        assert.match(secret.metadata!.annotations!.owner, /@example\.com$/);
        await admin.core.readNamespacedServiceAccount({ name: account, namespace: KUBE_SYSTEM });
        const review = await clientsWithToken(sim, id, tokenOf(secret)).authn.createSelfSubjectReview({ body: {} });
        assert.equal(review.status?.userInfo?.username, `system:serviceaccount:kube-system:${account}`);
      }

      // the guide: delete every token Secret, then regenerate
      await admin.core.deleteCollectionNamespacedSecret({ namespace: KUBE_SYSTEM, fieldSelector: TOKEN_SELECTOR });
      await regenerate(sim, id);
      const fresh = await waitFor('the new kubeconfig', () => fetchKubeconfig(sim, id), (served) => served.status === 200);
      const after = await waitFor('LKE\'s token Secrets back',
        async () => (await clientsWithToken(sim, id, fresh.token!).core.listNamespacedSecret({ namespace: KUBE_SYSTEM, fieldSelector: TOKEN_SELECTOR })).items,
        (items) => items.length === lke.length);
      assert.deepEqual(after.map(accountOf).sort(), [...lke].sort(), 'only LKE\'s own come back');
      for (const secret of users) assert.equal(await statusOf(clientsWithToken(sim, id, tokenOf(secret)).core.listNode()), 401);
    } finally {
      await sim.stop();
    }
  });
});
