// The credential window end to end (issue 10, item 1): a real Temporal dev server, the time-scaled
// LKE simulator and a worker with the LIVE activities, driven through the real clients. From the
// first token delete until delivery nothing a human does (or fails to do) leaves the cluster without
// working credentials: a pause waits for delivery, a Blocked step retries on its own, a cluster left
// without credentials rolls forward, a lost regenerate answer does not regenerate twice, and a
// kubeconfig superseded during verify is replaced by a fresh one. A rotation terminated inside its
// window (Temporal CLI or Web can always do that) is finished by the next one, even if that is aborted.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { Client } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { sendControl, startRotation } from '../client/index.js';
import { clusterRotationWorkflowId, SERVICE_ACCOUNT_TOKEN_TYPE } from '../common/names.js';
import type { ClusterRotationWorkflowInput, RotationReport, RotationStatus, RotationTuning } from '../common/types.js';
import { startLocalStack, type LocalStack } from '../dev/localStack.js';
import { waitForRotationStatus } from './support/rotationStatus.js';

// the worker's own log lines only when something is wrong
Runtime.install({ logger: new DefaultLogger('ERROR') });

let stack: LocalStack;
let client: Client;

/** simulated ms LKE keeps serving the old kubeconfig after a regenerate: 1 s real at this scale */
const STALE_KUBECONFIG_MS = 500_000;
const TIME_SCALE = 0.002;

before(async () => {
  // LKE keeps serving the old kubeconfig for a while after a regenerate (docs/simulator.md)
  const delays = { staleKubeconfigMs: STALE_KUBECONFIG_MS };
  stack = await startLocalStack({
    simulator: { clusters: 7, seed: 23, timeScale: TIME_SCALE, delays, rateLimit: false },
    activities: {
      pollIntervalMs: 50, tokenCacheWindowMs: 2_000, recycleResendAfterMs: 5_000, retryAfterScale: 0.01,
      // longer than the stale window above (1 s real): a retried regenerate waits out LKE's delay
      regenerateSettleMs: 3_000,
    },
  });
  client = stack.client;
});

after(async () => {
  await stack?.stop();
});

const FAST_RETRIES: RotationTuning = { activityRetryInitialIntervalMs: 100, activityRetryMaximumIntervalMs: 500 };

const clusterIds = (): number[] => stack.sim.state.list().map(({ cluster }) => cluster.id);

function kubeOf(clusterId: number) {
  const kube = stack.sim.state.kube(clusterId);
  assert.ok(kube, `cluster ${clusterId} exists in the simulator`);
  return kube;
}

const mutations = (clusterId: number, method: string, path: RegExp): number =>
  stack.sim.audit.count({ clusterId, method, path, applied: true });

const waitForStatus = (clusterId: number, ready: (s: RotationStatus) => boolean, what: string, timeoutMs = 30_000) =>
  waitForRotationStatus(client, clusterId, ready, what, timeoutMs);

const input = (clusterId: number, extra: Partial<ClusterRotationWorkflowInput> = {}): ClusterRotationWorkflowInput =>
  ({ clusterId, requestedBy: 'alice', tuning: FAST_RETRIES, approvals: { beforeDelete: false, disabledBy: 'test-admin' }, ...extra });

const resultOf = (clusterId: number): Promise<RotationReport> =>
  client.workflow.getHandle(clusterRotationWorkflowId(clusterId)).result() as Promise<RotationReport>;

async function currentDetails(clusterId: number): Promise<string> {
  const metadata = await client.workflow.getHandle(clusterRotationWorkflowId(clusterId))
    .query<{ currentDetails?: string }>('__temporal_workflow_metadata');
  return metadata.currentDetails ?? '';
}

/** GET /api/v1/nodes with a bearer token straight over HTTPS, trusting the simulator's CA. */
function statusWithToken(clusterId: number, token: string): Promise<number> {
  const url = new URL(`${stack.sim.kubeBaseUrl}/${clusterId}/api/v1/nodes`);
  return new Promise((resolve, reject) => {
    const req = request(url, { ca: stack.sim.caPem, headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The Linode API as linode-cli would call it. */
async function linodeApi(method: 'GET' | 'POST', path: string): Promise<unknown> {
  const res = await fetch(`${stack.sim.linodeApiUrl}/v4${path}`, {
    method, headers: { authorization: `Bearer ${stack.sim.linodeToken}`, 'content-type': 'application/json' },
    ...(method === 'POST' ? { body: JSON.stringify({ kubeconfig: true, servicetoken: true }) } : {}),
  });
  assert.equal(res.status, 200, `${method} ${path}`);
  return res.json();
}

/** The kubeconfig delivered for the cluster, through the real Kubernetes client. */
async function deliveredKubeconfig(clusterId: number): Promise<KubeConfig> {
  const files = (await readdir(stack.kubeconfigDir)).filter((f) => f.includes(String(clusterId)));
  assert.equal(files.length, 1, `one kubeconfig file for the cluster: ${files.join(', ')}`);
  const kc = new KubeConfig();
  kc.loadFromString(await readFile(join(stack.kubeconfigDir, files[0]), 'utf8'));
  return kc;
}

async function assertWorkingKubeconfigDelivered(clusterId: number): Promise<void> {
  const kc = await deliveredKubeconfig(clusterId);
  assert.equal(kc.getCurrentUser()?.token, kubeOf(clusterId).adminToken(), 'the delivered kubeconfig carries the current admin token');
  const nodes = await kc.makeApiClient(CoreV1Api).listNode();
  assert.ok(nodes.items.length > 0, 'the delivered kubeconfig works');
}

const events = (report: RotationReport | RotationStatus): string[] => report.timeline.map((t) => `${t.event}${t.detail ? `: ${t.detail}` : ''}`);

describe('the credential window, end to end', () => {
  test('pause inside the window is pending and takes effect right after delivery; resume continues', async () => {
    const clusterId = clusterIds()[0];
    // the new kubeconfig is late: the run waits inside the window
    stack.sim.state.cluster(clusterId)!.kubeconfigNeverReady = true;
    await startRotation(client, input(clusterId, { restart: { scope: 'kube-system' } }));
    await waitForStatus(clusterId, (s) => s.phase === 'AwaitingKubeconfig', 'the kubeconfig wait');

    const answer = await sendControl(client, clusterId, 'pause', { by: 'ops' });
    assert.equal(answer.paused, false, 'not paused inside the window');
    assert.equal(answer.pausePending, true);
    assert.match(answer.message, /pause pending: takes effect after the new kubeconfig is delivered/);
    const pending = await waitForStatus(clusterId, (s) => s.pausePending === true, 'pause pending in the status');
    assert.equal(pending.paused, false);
    assert.match(await currentDetails(clusterId), /Pause pending:\*\* takes effect after the new kubeconfig is delivered/);

    stack.sim.state.setKubeconfigNeverReady(clusterId, false);
    const paused = await waitForStatus(clusterId, (s) => s.paused, 'paused after delivery');
    assert.ok(paused.completedSteps.includes('deliverKubeconfig'), 'the kubeconfig was delivered before the pause held');
    assert.equal(paused.pausePending, false);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(mutations(clusterId, 'PATCH', /./), 0, 'no workload restarted while paused');
    await assertWorkingKubeconfigDelivered(clusterId);

    await sendControl(client, clusterId, 'resume', { by: 'ops' });
    const report = await resultOf(clusterId);
    assert.equal(report.phase, 'Completed');
    assert.ok(mutations(clusterId, 'PATCH', /./) > 0, 'the restarts ran after resume');
    const timeline = events(report);
    assert.ok(timeline.some((e) => e.startsWith('pause pending')), timeline.join('\n'));
    assert.ok(timeline.some((e) => /^paused: the pending pause takes effect/.test(e)), timeline.join('\n'));
  });

  test('a step Blocked inside the window retries on its own and completes, no human needed', async () => {
    const clusterId = clusterIds()[1];
    stack.sim.state.cluster(clusterId)!.kubeconfigNeverReady = true;
    await startRotation(client, input(clusterId, {
      tuning: { ...FAST_RETRIES, activityMaximumAttempts: 2, activityTimeoutScale: 0.002, windowRetryScale: 0.03 },
    }));
    const blocked = await waitForStatus(clusterId, (s) => s.phase === 'Blocked' && Boolean(s.autoRetryAt), 'Blocked, retrying automatically', 60_000);
    assert.equal(blocked.step, 'awaitKubeconfig');
    assert.ok(events(blocked).some((e) =>
      /^retrying automatically at .*: the cluster has no working credentials until this step succeeds$/.test(e)), events(blocked).join('\n'));
    assert.match(await currentDetails(clusterId), /Retrying automatically at .*the cluster has no working credentials/);

    stack.sim.state.setKubeconfigNeverReady(clusterId, false);
    const report = await resultOf(clusterId);
    assert.equal(report.phase, 'Completed');
    assert.ok(events(report).some((e) => e.startsWith('retrying automatically: awaitKubeconfig')), events(report).join('\n'));
    assert.equal(mutations(clusterId, 'POST', /\/regenerate$/), 1, 'the automatic retry did not regenerate again');
    await assertWorkingKubeconfigDelivered(clusterId);
  });

  test('a cluster whose token Secrets were deleted by hand (the guide, interrupted) rolls forward to a working kubeconfig', async () => {
    const clusterId = clusterIds()[2];
    // the guide's step 2, through the cluster's Kubernetes API as kubectl does it, with the
    // kubeconfig the Linode API serves
    const { kubeconfig } = await linodeApi('GET', `/lke/clusters/${clusterId}/kubeconfig`) as { kubeconfig: string };
    const kc = new KubeConfig();
    kc.loadFromString(Buffer.from(kubeconfig, 'base64').toString('utf8'));
    const core = kc.makeApiClient(CoreV1Api);
    const secrets = (await core.listNamespacedSecret({ namespace: 'kube-system', fieldSelector: `type=${SERVICE_ACCOUNT_TOKEN_TYPE}` })).items;
    assert.ok(secrets.length >= 4);
    // the admin one last: kubectl would lose its own token with it
    const ordered = [...secrets.filter((s) => !s.metadata?.name?.startsWith('lke-admin')), ...secrets.filter((s) => s.metadata?.name?.startsWith('lke-admin'))];
    for (const s of ordered) await core.deleteNamespacedSecret({ namespace: 'kube-system', name: s.metadata!.name! });
    const oldToken = kc.getCurrentUser()!.token!;
    // the apiserver may still accept the deleted token for its token-cache window
    for (let i = 0; i < 50 && await statusWithToken(clusterId, oldToken) !== 401; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await statusWithToken(clusterId, oldToken), 401, 'the cluster has no working credentials now');
    const handDeletes = mutations(clusterId, 'DELETE', /\/secrets\//);

    // the delete gate asked for, but there is no working credential left to delete: no gate
    await startRotation(client, input(clusterId, { approvals: { beforeDelete: true } }));
    const report = await resultOf(clusterId);
    assert.match(report.plan?.rollForward ?? '', /the current kubeconfig is rejected \(401\): rolling forward: regenerate, await, verify, deliver/);
    assert.deepEqual(report.plan?.deleteSecrets, []);
    assert.equal(report.plan?.gates.beforeDelete, false);
    assert.ok(events(report).some((e) => e.startsWith('roll forward planned')), events(report).join('\n'));
    assert.ok(!events(report).some((e) => e.startsWith('waiting for approval')), events(report).join('\n'));

    assert.equal(report.phase, 'Completed', events(report).join('\n'));
    assert.equal(mutations(clusterId, 'DELETE', /\/secrets\//), handDeletes, 'the rotation deleted nothing (nothing was left)');
    assert.equal(mutations(clusterId, 'POST', /\/regenerate$/), 1, 'one regenerate');
    assert.ok(events(report).some((e) => e === 'credentials rotated and verified: old credentials already rejected at snapshot'),
      events(report).join('\n'));
    await assertWorkingKubeconfigDelivered(clusterId);
  });

  // Found by the safety campaign (test/safety/regressions.ts): the fresh run's snapshot met the 503 of
  // the terminated run's regenerate, went Blocked, and an abort then ended it with nothing delivered.
  test('a run terminated while its kubeconfig is awaited: the next run finds the regeneration under way and delivers, even aborted', async () => {
    const clusterId = clusterIds()[6];
    const sim = stack.sim.state;
    // the new kubeconfig is late (read at the regenerate); released by hand below
    const readyMs = sim.delays.kubeconfigReadyMs;
    sim.delays.kubeconfigReadyMs = 3_600_000_000;
    await startRotation(client, input(clusterId));
    await waitForStatus(clusterId, (s) => s.phase === 'AwaitingKubeconfig', 'the kubeconfig wait');
    sim.delays.kubeconfigReadyMs = readyMs;
    await client.workflow.getHandle(clusterRotationWorkflowId(clusterId)).terminate('operator terminated it from Temporal Web');
    // past LKE's stale window: the Linode API answers 503 for the kubeconfig now
    for (let i = 0; i < 100 && sim.cluster(clusterId)!.staleKubeconfigToken !== null; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(mutations(clusterId, 'POST', /\/regenerate$/), 1);

    // a fresh rotation, gates as they come (beforeDelete on): nothing working is left to gate
    await startRotation(client, { clusterId, requestedBy: 'alice', tuning: FAST_RETRIES });
    const rolling = await waitForStatus(clusterId, (s) => s.phase === 'AwaitingKubeconfig', 'the roll-forward awaits the kubeconfig');
    assert.match(rolling.plan?.rollForward ?? '', /^a regeneration is under way .*: rolling forward: await, verify, deliver/);
    assert.equal(rolling.plan?.gates.beforeDelete, false);
    await sendControl(client, clusterId, 'abort', { by: 'bob', reason: 'changed my mind' });
    sim.setKubeconfigNeverReady(clusterId, false);
    const report = await resultOf(clusterId);

    assert.equal(report.phase, 'Cancelled', events(report).join('\n'));
    assert.ok(!events(report).some((e) => e.startsWith('waiting for approval')), events(report).join('\n'));
    assert.ok(events(report).some((e) => e.startsWith('regenerate: not sent')), events(report).join('\n'));
    assert.equal(mutations(clusterId, 'POST', /\/regenerate$/), 1, 'the regeneration under way was awaited, not repeated');
    await assertWorkingKubeconfigDelivered(clusterId);
  });

  test('a regenerate whose answer was lost is not sent again; one that never reached LKE is, and the timeline says why', async () => {
    const clusterId = clusterIds()[3];
    const faults = stack.sim.faults;
    // LKE regenerates, then the answer is lost (503)
    faults.add({ api: 'linode', clusterId, method: 'POST', path: '/regenerate', kind: 'sideEffectThenFail', count: 1, outcome: 503 });
    await startRotation(client, input(clusterId));
    const report = await resultOf(clusterId);
    assert.equal(report.phase, 'Completed', events(report).join('\n'));
    assert.equal(mutations(clusterId, 'POST', /\/regenerate$/), 1, 'the retry saw the regenerate take and did not POST again');
    assert.ok(!events(report).some((e) => e.startsWith('roll forward')), events(report).join('\n'));
    await assertWorkingKubeconfigDelivered(clusterId);

    // the next rotation: the POST fails before LKE acts, so the retry finds no sign and POSTs again
    const second = clusterIds()[4];
    faults.add({ api: 'linode', clusterId: second, method: 'POST', path: '/regenerate', kind: 'failNext', count: 1, status: 500 });
    await startRotation(client, input(second));
    const again = await resultOf(second);
    assert.equal(again.phase, 'Completed', events(again).join('\n'));
    assert.equal(mutations(second, 'POST', /\/regenerate$/), 1, 'one regenerate reached LKE');
    assert.ok(events(again).some((e) => /^roll forward: regenerate sent again: .*no sign of it within/.test(e)), events(again).join('\n'));
  });

  test('a kubeconfig superseded during verify (an outside regenerate) sends the rotation back to await a fresh one', async () => {
    const clusterId = clusterIds()[5];
    const kube = kubeOf(clusterId);
    // a Node not Ready holds the rotation in verify
    const node = kube.nodeNames()[0];
    kube.setNodeReady(node, false);
    await startRotation(client, input(clusterId));
    await waitForStatus(clusterId, (s) => s.phase === 'Verifying', 'verify');
    // someone regenerates from the Linode CLI: the kubeconfig the rotation holds dies
    await linodeApi('POST', `/lke/clusters/${clusterId}/regenerate`);
    await waitForStatus(clusterId, (s) => events(s).some((e) => e.startsWith('roll forward: await a fresh kubeconfig')), 'back to await');
    kube.setNodeReady(node, true);
    const report = await resultOf(clusterId);
    assert.equal(report.phase, 'Completed', events(report).join('\n'));
    const superseded = report.timeline.find((t) => t.event === 'roll forward: await a fresh kubeconfig');
    assert.match(superseded?.detail ?? '', /KubeconfigRevoked|KubeconfigChanged/);
    assert.equal(mutations(clusterId, 'POST', /\/regenerate$/), 2, "the rotation's regenerate and the outside one; none more");
    assert.notEqual(report.delivered?.fingerprint, superseded?.detail?.match(/kubeconfig (\S+) was superseded/)?.[1]);
    await assertWorkingKubeconfigDelivered(clusterId);
  });
});
