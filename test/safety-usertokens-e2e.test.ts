// Clusters as they really are (issue 10, item 4), end to end: a real Temporal dev server, the LKE
// simulator (time-scaled, with its token controller) and a worker with the LIVE activities. A user
// makes their own service account and legacy token Secret in kube-system through
// @kubernetes/client-node, as they would with kubectl; the rotation must plan it as user-owned,
// recreate it after the regenerate with a new token, block naming it when it cannot, let a human
// skip it (and only it), and say "not proven" when it cannot prove the old admin token dead.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthenticationV1Api, CoreV1Api, KubeConfig, type V1Secret } from '@kubernetes/client-node';
import type { Client } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { sendControl, startRotation } from '../client/rotations.js';
import { compose } from '../activities/compose.js';
import { Secret } from '../config/config.js';
import { clusterRotationWorkflowId, SERVICE_ACCOUNT_NAME_ANNOTATION, SERVICE_ACCOUNT_TOKEN_TYPE } from '../common/names.js';
import { KUBE_SYSTEM } from '../common/lke.js';
import type { ClusterRotationWorkflowInput, RotationReport, RotationStatus } from '../common/types.js';
import { startLocalStack, type LocalStack } from '../dev/localStack.js';
import { buildKubeconfig } from '../sim/linode/kubeconfig.js';
import { createRotationWorker } from '../worker/worker.js';
import { historyText, recordFixture } from './support/histories.js';
import { waitForRotationStatus } from './support/rotationStatus.js';
import { statusWithToken as statusWithTokenOn } from './support/simRequests.js';
import { asAdmin } from './support/gates.js';
import { waitFor } from './support/waitFor.js';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const FAST_RETRIES = { activityRetryInitialIntervalMs: 100, activityRetryMaximumIntervalMs: 500 };
/** verify gives up in about 3 s instead of 15 minutes */
const BLOCK_FAST = { ...FAST_RETRIES, activityMaximumAttempts: 2, activityTimeoutScale: 0.004 };

Runtime.install({ logger: new DefaultLogger('WARN') });

let stack: LocalStack;
let client: Client;
/** every token this file saw: none may reach a history */
const seenTokens = new Set<string>();

before(async () => {
  stack = await startLocalStack({
    simulator: { clusters: 5, seed: 23, timeScale: 0.002, rateLimit: false },
    activities: { pollIntervalMs: 50, tokenCacheWindowMs: 2_000, recycleResendAfterMs: 5_000, retryAfterScale: 0.01 },
  });
  client = stack.client;
});

after(async () => {
  await stack?.stop();
});

const clusterIds = (): number[] => stack.sim.state.list().map(({ cluster }) => cluster.id);
const kubeOf = (clusterId: number) => stack.sim.state.kube(clusterId)!;
const input = (clusterId: number, extra: Partial<ClusterRotationWorkflowInput> = {}): ClusterRotationWorkflowInput =>
  asAdmin({ clusterId, requestedBy: 'alice', tuning: FAST_RETRIES, ...extra });
const waitForStatus = (clusterId: number, ready: (s: RotationStatus) => boolean, what: string, timeoutMs = 30_000) =>
  waitForRotationStatus(client, clusterId, ready, what, timeoutMs);
const resultOf = (clusterId: number): Promise<RotationReport> =>
  client.workflow.getHandle(clusterRotationWorkflowId(clusterId)).result() as Promise<RotationReport>;
const currentDetails = async (clusterId: number): Promise<string> =>
  (await client.workflow.getHandle(clusterRotationWorkflowId(clusterId))
    .query<{ currentDetails?: string }>('__temporal_workflow_metadata')).currentDetails ?? '';

/** The cluster's Kubernetes API as its admin (or any token) through the real client. */
function core(clusterId: number, token = kubeOf(clusterId).adminToken()): CoreV1Api {
  const kc = new KubeConfig();
  kc.loadFromString(buildKubeconfig(clusterId, { baseUrl: stack.sim.kubeBaseUrl, caPem: stack.sim.caPem }, token));
  return kc.makeApiClient(CoreV1Api);
}

function tokenOf(secret: object): string {
  const data = (secret as { data?: { token?: string } }).data;
  return Buffer.from(data?.token ?? '', 'base64').toString('utf8');
}

/** What a user does: a service account and a legacy token Secret for it, then waits for the token controller. */
async function userMakesTokenSecret(clusterId: number, serviceAccount: string, name: string): Promise<V1Secret> {
  const api = core(clusterId);
  await api.createNamespacedServiceAccount({ namespace: KUBE_SYSTEM, body: { metadata: { name: serviceAccount } } });
  const manifest = {
    apiVersion: 'v1', kind: 'Secret', type: SERVICE_ACCOUNT_TOKEN_TYPE,
    metadata: {
      name, namespace: KUBE_SYSTEM, labels: { 'app.kubernetes.io/managed-by': 'kubectl', team: 'platform' },
      annotations: { [SERVICE_ACCOUNT_NAME_ANNOTATION]: serviceAccount, owner: 'platform@example.com' },
    },
  };
  // what `kubectl apply` leaves behind; it holds the whole manifest, so it must never travel
  const annotations = { ...manifest.metadata.annotations, [LAST_APPLIED]: JSON.stringify({ ...manifest, data: { token: 'dXNlci1zZWNyZXQ=' } }) };
  await api.createNamespacedSecret({ namespace: KUBE_SYSTEM, body: { ...manifest, metadata: { ...manifest.metadata, annotations } } });
  const filled = await waitFor(`the token controller fills ${name}`,
    () => api.readNamespacedSecret({ namespace: KUBE_SYSTEM, name }), (s) => tokenOf(s) !== '');
  seenTokens.add(tokenOf(filled));
  return filled;
}

const statusWithToken = (clusterId: number, token: string): Promise<number> => statusWithTokenOn(stack.sim, clusterId, token);

/** Who a token authenticates as, by SelfSubjectReview (`kubectl auth whoami`). */
async function whoami(clusterId: number, token: string): Promise<string | undefined> {
  const kc = new KubeConfig();
  kc.loadFromString(buildKubeconfig(clusterId, { baseUrl: stack.sim.kubeBaseUrl, caPem: stack.sim.caPem }, token));
  const review = await kc.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
  });
  return review.status?.userInfo?.username;
}

async function assertNoTokenInHistory(clusterId: number): Promise<string> {
  for (const secret of kubeOf(clusterId).tokenSecrets()) seenTokens.add(tokenOf(secret));
  const history = await client.workflow.getHandle(clusterRotationWorkflowId(clusterId)).fetchHistory();
  const text = historyText(history);
  for (const token of seenTokens) if (token) assert.ok(!text.includes(token), 'a token leaked into the history');
  assert.ok(!text.includes(LAST_APPLIED), 'the last-applied annotation never travels');
  return text;
}

describe('user-owned token Secrets, end to end', () => {
  test('planned as user-owned, recreated with a new uid and a token that works as its service account; the old one is rejected', async () => {
    const [clusterId] = clusterIds();
    const old = await userMakesTokenSecret(clusterId, 'ci-deployer', 'ci-deployer-token');
    const oldToken = tokenOf(old);
    assert.equal(await whoami(clusterId, oldToken), 'system:serviceaccount:kube-system:ci-deployer');

    await startRotation(client, input(clusterId));
    const gate = await waitForStatus(clusterId, (s) => s.phase === 'AwaitingApproval', 'the delete gate');
    const planned = gate.plan?.deleteSecrets.find((s) => s.name === 'ci-deployer-token');
    assert.equal(planned?.owner, 'user');
    assert.deepEqual(gate.plan?.recreateSecrets?.map((s) => s.name), ['ci-deployer-token']);
    assert.ok(gate.plan?.deleteSecrets.filter((s) => s.owner === 'lke').length, "LKE's listed too");
    assert.equal(planned?.annotations?.[LAST_APPLIED], undefined, 'the last-applied annotation is not in the plan');
    const details = await currentDetails(clusterId);
    assert.match(details, /Delete LKE-managed token Secrets/);
    assert.match(details, /Delete and recreate user-owned token Secrets[^\n]*\n- ci-deployer-token \(ci-deployer\)/);

    await sendControl(client, clusterId, 'approve', { by: 'bob' });
    const report = await resultOf(clusterId);
    assert.equal(report.phase, 'Completed', JSON.stringify(report.timeline.at(-1)));
    assert.deepEqual(report.recreated, { created: ['ci-deployer-token'], alreadyThere: [], serviceAccountMissing: [] });
    assert.equal(report.oldCredentials, 'rejected');
    assert.ok(report.timeline.some((e) => e.event === 'credentials rotated and verified'));

    const now = await core(clusterId).readNamespacedSecret({ namespace: KUBE_SYSTEM, name: 'ci-deployer-token' });
    const newToken = tokenOf(now);
    seenTokens.add(newToken);
    assert.notEqual(now.metadata?.uid, old.metadata?.uid, 'a new Secret');
    assert.deepEqual(now.metadata?.labels, old.metadata?.labels);
    assert.equal(now.metadata?.annotations?.owner, 'platform@example.com');
    assert.equal(now.metadata?.annotations?.[SERVICE_ACCOUNT_NAME_ANNOTATION], 'ci-deployer');
    assert.equal(now.metadata?.annotations?.[LAST_APPLIED], undefined);
    assert.ok(newToken !== '' && newToken !== oldToken, 'the token controller filled a new token');
    assert.equal(await whoami(clusterId, newToken), 'system:serviceaccount:kube-system:ci-deployer');
    assert.equal(await statusWithToken(clusterId, oldToken), 401, 'the old user token is rejected');

    const history = await client.workflow.getHandle(clusterRotationWorkflowId(clusterId)).fetchHistory();
    recordFixture('user-token-secrets', history);
    await assertNoTokenInHistory(clusterId);
  });

  test('a service account deleted meanwhile: Blocked naming its Secret; skip completes the rotation and reports it', async () => {
    const clusterId = clusterIds()[1];
    await userMakesTokenSecret(clusterId, 'ci-deployer', 'ci-deployer-token');
    await userMakesTokenSecret(clusterId, 'argocd-manager', 'argocd-manager-token');
    await startRotation(client, input(clusterId, { tuning: BLOCK_FAST }));
    await waitForStatus(clusterId, (s) => s.phase === 'AwaitingApproval', 'the delete gate');
    await core(clusterId).deleteNamespacedServiceAccount({ namespace: KUBE_SYSTEM, name: 'argocd-manager' });
    await sendControl(client, clusterId, 'approve', { by: 'bob' });

    const blocked = await waitForStatus(clusterId, (s) => s.phase === 'Blocked', 'Blocked at verify', 60_000);
    assert.equal(blocked.lastError?.step, 'verify');
    assert.equal(blocked.lastError?.type, 'TokenSecretMissing');
    assert.match(blocked.lastError?.message ?? '', /argocd-manager-token \(user-owned/);
    assert.doesNotMatch(blocked.lastError?.message ?? '', /ci-deployer-token/, 'the recreated one is fine');
    assert.deepEqual(blocked.lastError?.tokenSecrets, [{ name: 'argocd-manager-token', owner: 'user' }]);
    assert.ok(blocked.timeline.some((e) => /not recreated: their service account is gone/.test(e.event)));
    assert.match(await currentDetails(clusterId), /Blocked\*\* at `verify`: TokenSecretMissing: [^\n]*argocd-manager-token/);

    const answer = await sendControl(client, clusterId, 'skip', { by: 'bob' });
    assert.match(answer.message, /verify runs again without them/);
    const report = await resultOf(clusterId);
    assert.equal(report.phase, 'Completed', JSON.stringify(report.timeline.at(-1)));
    assert.deepEqual(report.finalStatus?.skippedTokenSecrets, ['argocd-manager-token']);
    assert.ok(report.notDone.includes('verify: user-owned token Secret argocd-manager-token not renewed (skipped)'), report.notDone.join('; '));
    assert.ok(report.timeline.some((e) => e.event === 'skipped user-owned token Secrets: argocd-manager-token'));
    assert.ok(!report.skippedSteps.includes('verify'), 'verify itself ran to the end');
    assert.ok(report.delivered, 'the new kubeconfig was delivered');
    assert.equal(await statusWithToken(clusterId, kubeOf(clusterId).adminToken()), 200);
    await assertNoTokenInHistory(clusterId);
  });

  test("skip is refused while LKE's own token Secrets are missing: the LKE credential check cannot be skipped", async () => {
    const clusterId = clusterIds()[2];
    const kube = kubeOf(clusterId);
    const oldUids = new Set(kube.tokenSecrets(KUBE_SYSTEM).map((s) => s.metadata.uid));
    // something in the cluster keeps deleting the ccm-user token Secret LKE's regenerate makes
    let sabotage = true;
    kube.store.listeners.add((resource, type, secret) => {
      const annotations = secret.metadata.annotations ?? {};
      if (!sabotage || resource !== 'secrets' || type !== 'ADDED' || oldUids.has(secret.metadata.uid)) return;
      if (annotations[SERVICE_ACCOUNT_NAME_ANNOTATION] !== 'ccm-user') return;
      setImmediate(() => kube.store.delete('secrets', KUBE_SYSTEM, secret.metadata.name));
    });
    await startRotation(client, input(clusterId, { approvals: { beforeDelete: false }, tuning: BLOCK_FAST }));
    const blocked = await waitForStatus(clusterId, (s) => s.phase === 'Blocked', 'Blocked at verify', 60_000);
    assert.equal(blocked.lastError?.type, 'TokenSecretMissing');
    assert.match(blocked.lastError?.message ?? '', /ccm-user-token-\w+ \(LKE's/);
    await assert.rejects(sendControl(client, clusterId, 'skip', { by: 'bob' }), /LKE's credential check cannot be skipped/);

    sabotage = false;
    kube.createTokenSecret(KUBE_SYSTEM, 'ccm-user');
    await sendControl(client, clusterId, 'retry', { by: 'bob' });
    const report = await resultOf(clusterId);
    assert.equal(report.phase, 'Completed');
    assert.deepEqual(report.finalStatus?.skippedTokenSecrets, []);
    await assertNoTokenInHistory(clusterId);
  });

  test('stopped before the deletes finished: a user-owned Secret never deleted does not hold the roll-forward in verify', async () => {
    // found by the safety search: abort during the deletes rolled forward into a verify that waited
    // forever for a new token in a user-owned Secret the rotation had never deleted
    const clusterId = clusterIds()[4];
    await userMakesTokenSecret(clusterId, 'ci-deployer', 'ci-deployer-token');
    const removeFault = stack.sim.faults.add({
      api: 'kube', clusterId, method: 'DELETE', path: 'ci-deployer-token', kind: 'failNext', count: 1_000, status: 500,
    });
    try {
      await startRotation(client, input(clusterId, { approvals: { beforeDelete: false }, tuning: BLOCK_FAST }));
      const blocked = await waitForStatus(clusterId, (s) => s.phase === 'Blocked', 'Blocked in the deletes', 60_000);
      assert.equal(blocked.step, 'deleteTokens');
      await sendControl(client, clusterId, 'abort', { by: 'bob', reason: 'the deletes keep failing' });
      const report = await resultOf(clusterId);
      assert.equal(report.phase, 'Cancelled');
      assert.ok(report.finalStatus?.completedSteps.includes('deliverKubeconfig'), 'rolled forward to a delivered kubeconfig');
      assert.ok(report.timeline.some((t) => t.event.startsWith('user-owned token Secrets not verified')), 'the timeline says why');
    } finally {
      removeFault();
    }
  });

  test('"not proven" when the old kubeconfig cannot be had: a worker restarted with an empty cache and nothing delivered', async () => {
    const clusterId = clusterIds()[3];
    const oldAdminToken = kubeOf(clusterId).adminToken();
    await startRotation(client, input(clusterId));
    await waitForStatus(clusterId, (s) => s.phase === 'AwaitingApproval', 'the delete gate');
    // the worker that took the snapshot (and cached the old kubeconfig) is gone; its replacement has
    // an empty cache, and no kubeconfig was ever delivered for this cluster
    await stack.stopWorker();
    const emptyDir = await mkdtemp(join(tmpdir(), 'usertokens-empty-'));
    const fresh = compose({
      linode: { apiUrl: stack.sim.linodeApiUrl, token: new Secret(stack.sim.linodeToken) },
      kubeconfigDir: emptyDir,
      activities: { pollIntervalMs: 50, tokenCacheWindowMs: 2_000, retryAfterScale: 0.01 },
    });
    const worker = await createRotationWorker({
      connection: stack.server.nativeConnection, namespace: stack.server.namespace, taskQueue: stack.taskQueue,
      activities: fresh.workerActivities(),
    });
    const running = worker.run();
    let report: RotationReport;
    try {
      await sendControl(client, clusterId, 'approve', { by: 'bob' });
      report = await resultOf(clusterId);
    } finally {
      worker.shutdown();
      await running;
      await rm(emptyDir, { recursive: true, force: true });
      await stack.startWorker();
    }
    assert.equal(report.phase, 'Completed');
    assert.equal(report.oldCredentials, 'notProven');
    assert.equal(report.finalStatus?.oldCredentials, 'notProven');
    assert.ok(report.timeline.some((e) => e.event === 'credentials rotated; old token rejection not proven'));
    assert.ok(!report.timeline.some((e) => e.event === 'credentials rotated and verified'), 'never "verified" when not proven');
    assert.match(await currentDetails(clusterId), /Old credentials:\*\* old admin token rejection \*\*not proven\*\*/);
    // it is in fact dead; the rotation just could not prove it
    assert.equal(await statusWithToken(clusterId, oldAdminToken), 401);
    seenTokens.add(oldAdminToken);
    await assertNoTokenInHistory(clusterId);
  });
});
