// User-owned token Secrets in the activities, over the in-memory LKE (test/support/activityHarness.ts):
// the snapshot tells them from LKE's and keeps what recreating them needs (never what can hold the
// token), recreate is idempotent and reports a missing service account, and verify checks each by
// name, giving up with a TokenSecretMissing that names them.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FailureType } from '../common/failures.js';
import { carriedAnnotations, LAST_APPLIED_ANNOTATION, snapshotRef } from '../activities/kube/tokenSecrets.js';
import { rejection } from './support/failures.js';
import { CLUSTER_ID, assertNoSecrets, harness, rotatedUpToAwait, type Harness } from './support/activityHarness.js';

const LABELS = { 'app.kubernetes.io/managed-by': 'Helm', team: 'web' };

async function withUserSecrets(): Promise<Harness> {
  const h = await harness();
  const ci = h.lke.addUserSecret('ci-deployer', 'ci-deployer-token', {
    labels: LABELS,
    annotations: { owner: 'web@example.com', 'kubernetes.io/service-account.uid': 'sa-uid-old' },
  });
  // what `kubectl apply` of a Secret manifest with data leaves: a copy of the token
  ci.annotations![LAST_APPLIED_ANNOTATION] = JSON.stringify({ data: { token: Buffer.from(ci.token).toString('base64') } });
  h.lke.addUserSecret('argocd-manager', 'argocd-manager-secret');
  return h;
}

describe('user-owned token Secrets: the snapshot', () => {
  test('classifies each token Secret by its service account and keeps what recreating needs, minus what can hold data', async () => {
    const h = await withUserSecrets();
    const snapshot = await h.env().run(h.activities.snapshotCluster, { clusterId: CLUSTER_ID, restartScope: 'none' });
    const users = snapshot.tokenSecrets.filter((s) => s.owner === 'user');
    assert.deepEqual(users.map((s) => s.name).sort(), ['argocd-manager-secret', 'ci-deployer-token']);
    assert.ok(snapshot.tokenSecrets.filter((s) => s.owner === 'lke').length >= 4, "LKE's are marked too");
    const ci = users.find((s) => s.name === 'ci-deployer-token')!;
    assert.deepEqual(ci.labels, LABELS);
    assert.deepEqual(ci.annotations, { owner: 'web@example.com', 'kubernetes.io/service-account.name': 'ci-deployer' },
      'last-applied-configuration and the service-account uid are not carried');
    assert.equal(snapshot.tokenSecrets.find((s) => s.owner === 'lke')?.labels, undefined, "LKE's carry no metadata");
    assertNoSecrets(h, snapshot);
    await h.cleanup();
  });

  test('carriedAnnotations and snapshotRef on their own', () => {
    assert.deepEqual(carriedAnnotations({ [LAST_APPLIED_ANNOTATION]: '{}', a: 'b', 'kubernetes.io/service-account.name': 'x' }),
      { a: 'b', 'kubernetes.io/service-account.name': 'x' });
    const base = { namespace: 'kube-system', name: 'n', uid: 'u', serviceAccount: 'ccm-user', created: 'c' };
    assert.deepEqual(snapshotRef(base, ['ccm-user']), { ...base, owner: 'lke' });
    assert.equal(snapshotRef({ ...base, serviceAccount: 'mine' }, ['ccm-user']).owner, 'user');
  });
});

describe('user-owned token Secrets: recreate and verify', () => {
  test('recreated with the same name, labels and annotations, no data; a second run creates nothing; verify sees new tokens', async () => {
    const h = await withUserSecrets();
    h.lke.tokenControllerLists = 2;
    const { snapshot, awaited, verifyInput } = await rotatedUpToAwait(h);
    const users = snapshot.tokenSecrets.filter((s) => s.owner === 'user');
    assert.ok(!h.lke.secrets.some((s) => users.some((u) => u.name === s.name)), 'the deletes removed them');
    const input = { clusterId: CLUSTER_ID, newFingerprint: awaited.fingerprint, secrets: users };
    const first = await h.env().run(h.activities.recreateUserTokenSecrets, input);
    assert.deepEqual(first, { created: ['ci-deployer-token', 'argocd-manager-secret'], alreadyThere: [], serviceAccountMissing: [] });
    const ci = h.lke.secrets.find((s) => s.name === 'ci-deployer-token')!;
    assert.deepEqual(ci.labels, LABELS);
    assert.deepEqual(ci.annotations, { owner: 'web@example.com', 'kubernetes.io/service-account.name': 'ci-deployer' });
    assert.equal(ci.token, '', 'created without data: the token controller fills it');

    const again = await h.env().run(h.activities.recreateUserTokenSecrets, input);
    assert.deepEqual(again, { created: [], alreadyThere: ['ci-deployer-token', 'argocd-manager-secret'], serviceAccountMissing: [] });

    const verified = await h.env().run(h.activities.verifyRotation, verifyInput);
    assert.deepEqual(verified.userTokenSecretsRenewed?.sort(), ['argocd-manager-secret', 'ci-deployer-token']);
    assert.equal(verified.oldTokenRejected, true);
    assertNoSecrets(h, first, again, verified);
    await h.cleanup();
  });

  test('a service account gone meanwhile: reported, not created; verify gives up naming the Secret, and passes without it', async () => {
    const h = await withUserSecrets();
    const { snapshot, awaited, verifyInput } = await rotatedUpToAwait(h);
    h.lke.serviceAccounts.delete('argocd-manager');
    const users = snapshot.tokenSecrets.filter((s) => s.owner === 'user');
    const result = await h.env().run(h.activities.recreateUserTokenSecrets, { clusterId: CLUSTER_ID, newFingerprint: awaited.fingerprint, secrets: users });
    assert.deepEqual(result.serviceAccountMissing, ['argocd-manager-secret']);
    assert.deepEqual(result.created, ['ci-deployer-token']);

    const failure = await rejection(h.env(undefined, { startToCloseTimeoutMs: 300 }).run(h.activities.verifyRotation, verifyInput));
    assert.equal(failure.type, FailureType.tokenSecretMissing);
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, /argocd-manager-secret \(user-owned: not recreated \(service account argocd-manager\)\)/);
    assert.deepEqual(failure.details, [[{ name: 'argocd-manager-secret', owner: 'user' }]]);

    const skipped = await h.env().run(h.activities.verifyRotation, { ...verifyInput, excludeSecrets: ['argocd-manager-secret'] });
    assert.deepEqual(skipped.userTokenSecretsRenewed, ['ci-deployer-token']);
    assert.deepEqual(skipped.excludedTokenSecrets, ['argocd-manager-secret']);
    assertNoSecrets(h, result, failure, skipped);
    await h.cleanup();
  });

  test("an LKE service account without a new Secret is named too, as LKE's", async () => {
    const h = await harness();
    h.lke.secretsRecreateAfterLists = 1_000_000;
    const { verifyInput } = await rotatedUpToAwait(h);
    const failure = await rejection(h.env(undefined, { startToCloseTimeoutMs: 300 }).run(h.activities.verifyRotation, verifyInput));
    assert.equal(failure.type, FailureType.tokenSecretMissing);
    const details = (failure.details as { name: string; owner: string }[][])[0];
    assert.ok(details.length >= 3 && details.every((d) => d.owner === 'lke'), JSON.stringify(details));
    assert.match(failure.message, /ccm-user-token-\w+ \(LKE's: no new token Secret for LKE's service account ccm-user\)/);
    await h.cleanup();
  });
});
