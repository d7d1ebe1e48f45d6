// clusterRotation end to end: a real Temporal dev server, the LKE simulator (time-scaled), and a
// worker with the LIVE activities talking to the simulator through @linode/api-v4 and
// @kubernetes/client-node. What the workflow tests prove with fakes, this proves on the wire: the
// cluster's end state, and the exact number of destructive calls in the simulator's audit log.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { KubeConfig, CoreV1Api } from '@kubernetes/client-node';
import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import { resumeRotation, sendControl, startRotation } from '../client/index.js';
import { clusterRotationWorkflowId, SERVICE_ACCOUNT_TOKEN_TYPE } from '../common/names.js';
import type { ClusterRotationWorkflowInput, RotationReport, RotationStatus, WorkloadKind } from '../common/types.js';
import { startLocalStack, type LocalStack } from '../dev/localStack.js';
import { asAdmin } from './support/gates.js';
import { waitForRotationStatus } from './support/rotationStatus.js';
import { statusWithToken as statusWithTokenOn } from './support/simRequests.js';
import type { KubeObject } from '../sim/kube/store.js';

// Every log line the worker writes is kept, to prove no token reaches a log.
const logs: LogEntry[] = [];
Runtime.install({
  logger: new DefaultLogger('INFO', (entry) => {
    logs.push(entry);
    if (entry.level === 'ERROR') console.error(entry.message, entry.meta ?? '');
  }),
});

let stack: LocalStack;
let client: Client;
/** every token the simulator has issued that this file saw: all must stay out of histories and logs */
const issuedTokens = new Set<string>();

before(async () => {
  stack = await startLocalStack({
    simulator: { clusters: 8, seed: 11, timeScale: 0.002, rateLimit: false },
    activities: { pollIntervalMs: 50, tokenCacheWindowMs: 2_000, recycleResendAfterMs: 5_000, retryAfterScale: 0.01 },
  });
  client = stack.client;
  issuedTokens.add(stack.sim.linodeToken);
  for (const { cluster } of stack.sim.state.list()) collectTokens(cluster.id);
});

after(async () => {
  await stack?.stop();
});

const FAST_RETRIES = { activityRetryInitialIntervalMs: 100, activityRetryMaximumIntervalMs: 500 };

function clusterIds(): number[] {
  return stack.sim.state.list().map(({ cluster }) => cluster.id);
}

function kubeOf(clusterId: number) {
  const kube = stack.sim.state.kube(clusterId);
  assert.ok(kube, `cluster ${clusterId} exists in the simulator`);
  return kube;
}

function tokenOfSecret(secret: KubeObject): string {
  const data = secret.data as { token?: string } | undefined;
  return Buffer.from(data?.token ?? '', 'base64').toString('utf8');
}

function collectTokens(clusterId: number): void {
  for (const secret of kubeOf(clusterId).tokenSecrets()) issuedTokens.add(tokenOfSecret(secret));
}

function mutations(clusterId: number, method: string, path: RegExp, applied = true): number {
  return stack.sim.audit.count({ clusterId, method, path, applied });
}

const waitForStatus = (clusterId: number, ready: (s: RotationStatus) => boolean, what: string, timeoutMs = 30_000): Promise<RotationStatus> =>
  waitForRotationStatus(client, clusterId, ready, what, timeoutMs);

function input(clusterId: number, extra: Partial<ClusterRotationWorkflowInput> = {}): ClusterRotationWorkflowInput {
  return asAdmin({ clusterId, requestedBy: 'alice', tuning: FAST_RETRIES, ...extra });
}

async function resultOf(clusterId: number): Promise<RotationReport> {
  return client.workflow.getHandle(clusterRotationWorkflowId(clusterId)).result() as Promise<RotationReport>;
}

const statusWithToken = (clusterId: number, token: string): Promise<number> => statusWithTokenOn(stack.sim, clusterId, token);

const children = new Set<ChildProcess>();
after(() => { for (const child of children) child.kill('SIGKILL'); });

/** `npm run worker`'s entry in its own process, configured by the environment as in production. */
function spawnWorker(): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../worker/main.ts', import.meta.url))], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TEMPORAL_ADDRESS: stack.server.address,
      TEMPORAL_NAMESPACE: stack.server.namespace,
      LINODE_API_URL: stack.sim.linodeApiUrl,
      LINODE_TOKEN: stack.sim.linodeToken,
      KUBECONFIG_DIR: stack.kubeconfigDir,
      // LKE's 2-minute kubeconfig delay is under a second in this time-scaled simulator
      LKE_ROTATOR_KUBECONFIG_DELAY_MS: '500',
      // and Linode's 2-minute window a second (its limits are off here): a worker started after a
      // killed one, which Temporal still lists on the Linode queue, holds for a window as it joins
      LKE_ROTATOR_LINODE_GENERAL_WINDOW_MS: '1000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  // its log lines are evidence too: no token may appear in them
  const keep = (chunk: Buffer) => { workerProcessOutput.push(chunk.toString('utf8')); };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return child;
}
const workerProcessOutput: string[] = [];

/** JSON with payload bytes decoded, so a token inside a payload would show */
function asText(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : typeof v === 'bigint' ? String(v) : v);
}

const WORKLOAD_RESOURCES: [WorkloadKind, string][] = [['Deployment', 'deployments'], ['StatefulSet', 'statefulsets'], ['DaemonSet', 'daemonsets']];

describe('clusterRotation against the simulator', () => {
  test('full path: both gates approved, restart scope all, rolling recycle', async () => {
    const [clusterId] = clusterIds();
    const kube = kubeOf(clusterId);
    const oldSecrets = kube.tokenSecrets('kube-system').map((s) => ({
      name: s.metadata.name, uid: s.metadata.uid, sa: (s.metadata.annotations as Record<string, string>)['kubernetes.io/service-account.name'],
    }));
    const oldAdminToken = kube.adminToken();
    const simCluster = stack.sim.state.cluster(clusterId)!;
    const oldInstances = simCluster.pools.flatMap((p) => p.nodes.map((n) => n.instance_id));
    const workloads = WORKLOAD_RESOURCES.flatMap(([kind, resource]) =>
      kube.store.list(resource as never).map((w) => ({ kind, namespace: w.metadata.namespace!, name: w.metadata.name })));
    assert.ok(oldSecrets.length >= 4 && workloads.length > 0 && oldInstances.length > 0, 'the seeded cluster has something to rotate');

    await startRotation(client, input(clusterId, { restart: { scope: 'all' }, recycle: { mode: 'rolling' } }));
    const gate = await waitForStatus(clusterId, (s) => s.phase === 'AwaitingApproval', 'the delete gate');
    assert.equal(gate.plan?.deleteSecrets.length, oldSecrets.length, 'the plan lists every token Secret');
    assert.equal(mutations(clusterId, 'DELETE', /./) + mutations(clusterId, 'POST', /./), 0, 'nothing changed before approval');
    await sendControl(client, clusterId, 'approve', { by: 'bob', comment: 'go' });
    await waitForStatus(clusterId, (s) => s.phase === 'AwaitingRecycleApproval', 'the recycle gate', 60_000);
    await sendControl(client, clusterId, 'approve', { by: 'bob' });
    const report = await resultOf(clusterId);
    collectTokens(clusterId);

    assert.equal(report.phase, 'Completed');
    // every old token Secret gone, and a new one for each service account
    const now = kube.tokenSecrets('kube-system');
    for (const old of oldSecrets) {
      assert.ok(!now.some((s) => s.metadata.uid === old.uid), `${old.name} was deleted`);
      assert.ok(now.some((s) => (s.metadata.annotations as Record<string, string>)['kubernetes.io/service-account.name'] === old.sa),
        `${old.sa} has a new token Secret`);
    }
    // the old admin token refused, on the wire
    assert.equal(await statusWithToken(clusterId, oldAdminToken), 401);
    // the new kubeconfig delivered (0600) and working through the real client
    const files = (await readdir(stack.kubeconfigDir)).filter((f) => f.includes(String(clusterId)));
    assert.equal(files.length, 1, `one kubeconfig file for the cluster: ${files.join(', ')}`);
    const file = join(stack.kubeconfigDir, files[0]);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const kc = new KubeConfig();
    kc.loadFromString(await readFile(file, 'utf8'));
    assert.equal(kc.getCurrentUser()?.token, kube.adminToken(), 'the delivered kubeconfig carries the new admin token');
    const nodes = await kc.makeApiClient(CoreV1Api).listNode();
    assert.ok(nodes.items.length > 0);
    // every workload restarted with this rotation's value, rollout done
    for (const w of workloads) {
      assert.ok(kube.restartedAt(w.kind, w.namespace, w.name), `${w.kind} ${w.namespace}/${w.name} restarted`);
    }
    assert.equal(report.restarted.length, workloads.length);
    // every node on a new instance
    const newInstances = simCluster.pools.flatMap((p) => p.nodes.map((n) => n.instance_id));
    assert.equal(newInstances.length, oldInstances.length);
    for (const id of newInstances) assert.ok(id !== null && !oldInstances.includes(id), `instance ${id} is new`);
    // each destructive call exactly as often as expected
    assert.equal(mutations(clusterId, 'POST', /\/regenerate$/), 1, 'one regenerate');
    assert.equal(mutations(clusterId, 'DELETE', /\/secrets\//), oldSecrets.length, 'one delete per token Secret');
    assert.equal(mutations(clusterId, 'POST', /\/recycle$/), oldInstances.length, 'one recycle per node');
    assert.equal(mutations(clusterId, 'PATCH', /\/apis\/apps\/v1\//), workloads.length, 'one restart patch per workload');
    assert.equal(mutations(clusterId, 'PATCH', /\/api\/v1\/nodes\//), oldInstances.length, 'each node cordoned once, before its recycle');
  });

  test('reject at the gate: nothing changes', async () => {
    const clusterId = clusterIds()[1];
    await startRotation(client, input(clusterId));
    await waitForStatus(clusterId, (s) => s.phase === 'AwaitingApproval', 'the delete gate');
    await sendControl(client, clusterId, 'reject', { by: 'bob', reason: 'not today' });
    const report = await resultOf(clusterId);
    assert.equal(report.phase, 'Rejected');
    assert.equal(stack.sim.audit.count({ clusterId }), 0, 'no mutating call reached the cluster or the Linode API');
  });

  test('a gate that times out ends Rejected with nothing changed', async () => {
    const clusterId = clusterIds()[2];
    await startRotation(client, input(clusterId, { gateTimeoutMs: 1_000 }));
    const report = await resultOf(clusterId);
    assert.equal(report.phase, 'Rejected');
    assert.equal(stack.sim.audit.count({ clusterId }), 0);
  });

  test('faults: 429 bursts with Retry-After, a regenerate answered 503 after it happened, a dropped connection during deletes', async () => {
    const clusterId = clusterIds()[3];
    const secrets = kubeOf(clusterId).tokenSecrets('kube-system').length;
    const faults = stack.sim.faults;
    faults.add({ api: 'linode', clusterId, method: 'GET', path: '/kubeconfig', kind: 'failNext', count: 3, status: 429, retryAfterSeconds: 1 });
    faults.add({ api: 'linode', clusterId, method: 'POST', path: '/regenerate', kind: 'sideEffectThenFail', count: 1, outcome: 503 });
    faults.add({ api: 'kube', clusterId, method: 'DELETE', path: '/secrets/', kind: 'sideEffectThenFail', count: 1, outcome: 'drop' });
    await startRotation(client, input(clusterId, { approvals: { beforeDelete: false } }));
    const report = await resultOf(clusterId);
    collectTokens(clusterId);
    assert.equal(report.phase, 'Completed', `last error: ${JSON.stringify(report.timeline.at(-1))}`);
    assert.equal(mutations(clusterId, 'DELETE', /\/secrets\//), secrets, 'each Secret deleted once: the retry after the drop found it gone (404)');
    assert.equal(mutations(clusterId, 'POST', /\/regenerate$/), 1,
      'the retry saw the regeneration under way (503 kubeconfig) and did not regenerate again');
    assert.equal(await statusWithToken(clusterId, kubeOf(clusterId).adminToken()), 200);
  });

  test('a terminated run is resumed by a new run that repeats no delete', async () => {
    const clusterId = clusterIds()[4];
    const secrets = kubeOf(clusterId).tokenSecrets('kube-system').length;
    // The next kubeconfig never becomes ready (the current one stays served, so the snapshot and the
    // deletes work): the run waits in AwaitingKubeconfig, after the destructive deletes, and is
    // terminated there.
    stack.sim.state.cluster(clusterId)!.kubeconfigNeverReady = true;
    const { handle } = await startRotation(client, input(clusterId, { approvals: { beforeDelete: false }, restart: { scope: 'kube-system' } }));
    await waitForStatus(clusterId, (s) => s.phase === 'AwaitingKubeconfig', 'the kubeconfig wait');
    await handle.terminate('operator pulled the plug');
    stack.sim.state.setKubeconfigNeverReady(clusterId, false);

    await resumeRotation(client, clusterId, { resumedBy: 'carol' });
    const report = await resultOf(clusterId);
    collectTokens(clusterId);
    assert.equal(report.phase, 'Completed');
    assert.equal(mutations(clusterId, 'DELETE', /\/secrets\//), secrets, 'no Secret deleted twice');
    assert.equal(await statusWithToken(clusterId, kubeOf(clusterId).adminToken()), 200);
  });

  // Waits give up just before their start-to-close timeout; scaled down, a kubeconfig that never
  // comes blocks the rotation in seconds instead of 5 x 20 minutes.
  const BLOCK_FAST = { ...FAST_RETRIES, activityMaximumAttempts: 2, activityTimeoutScale: 0.004 };

  test('a kubeconfig that never becomes ready blocks the rotation; with the fault cleared, retry completes', async () => {
    const clusterId = clusterIds()[5];
    stack.sim.state.cluster(clusterId)!.kubeconfigNeverReady = true;
    await startRotation(client, input(clusterId, { approvals: { beforeDelete: false }, tuning: BLOCK_FAST }));
    const blocked = await waitForStatus(clusterId, (s) => s.phase === 'Blocked', 'Blocked', 60_000);
    assert.equal(blocked.lastError?.step, 'awaitKubeconfig');
    assert.match(blocked.lastError?.message ?? '', /kubeconfig/i);
    await assert.rejects(sendControl(client, clusterId, 'skip', {}), /refused/, 'the kubeconfig wait cannot be skipped');

    stack.sim.state.setKubeconfigNeverReady(clusterId, false);
    await sendControl(client, clusterId, 'retry', { by: 'bob' });
    const report = await resultOf(clusterId);
    collectTokens(clusterId);
    assert.equal(report.phase, 'Completed');
    assert.equal(await statusWithToken(clusterId, kubeOf(clusterId).adminToken()), 200);
    assert.equal(mutations(clusterId, 'POST', /\/regenerate$/), 1);
  });

  test('abort while Blocked rolls forward: it regenerates again and ends Cancelled with working, delivered credentials', async () => {
    const clusterId = clusterIds()[6];
    const oldAdminToken = kubeOf(clusterId).adminToken();
    stack.sim.state.cluster(clusterId)!.kubeconfigNeverReady = true;
    await startRotation(client, input(clusterId, { approvals: { beforeDelete: false }, tuning: BLOCK_FAST }));
    await waitForStatus(clusterId, (s) => s.phase === 'Blocked', 'Blocked', 60_000);
    stack.sim.state.cluster(clusterId)!.kubeconfigNeverReady = false;
    await sendControl(client, clusterId, 'abort', { by: 'bob', reason: 'LKE is having a bad day' });
    const report = await resultOf(clusterId);
    collectTokens(clusterId);
    assert.equal(report.phase, 'Cancelled');
    assert.equal(mutations(clusterId, 'POST', /\/regenerate$/), 2, 'the compensation regenerated once more');
    assert.ok(report.delivered, 'the new kubeconfig was delivered');
    assert.equal(await statusWithToken(clusterId, kubeOf(clusterId).adminToken()), 200, 'the new credentials work');
    assert.equal(await statusWithToken(clusterId, oldAdminToken), 401, 'the old ones were not restored');
  });

  test('a worker killed (SIGKILL) right after the deletes and again during the kubeconfig wait: a new worker finishes', async () => {
    const clusterId = clusterIds()[7];
    const secrets = kubeOf(clusterId).tokenSecrets('kube-system').length;
    stack.sim.state.cluster(clusterId)!.kubeconfigNeverReady = true;
    await stack.stopWorker();
    try {
      const first = spawnWorker();
      await startRotation(client, input(clusterId, {
        approvals: { beforeDelete: false },
        // a dead worker's activity is retried after its heartbeat (or start-to-close) timeout: seconds here
        tuning: { ...FAST_RETRIES, activityTimeoutScale: 0.05 },
      }));
      await waitForStatus(clusterId, (s) => s.completedSteps.includes('deleteTokens'), 'the deletes', 90_000);
      first.kill('SIGKILL');
      const second = spawnWorker();
      await waitForStatus(clusterId, (s) => s.phase === 'AwaitingKubeconfig', 'the kubeconfig wait on the second worker', 90_000);
      await new Promise((r) => setTimeout(r, 1_000));
      second.kill('SIGKILL');
      stack.sim.state.setKubeconfigNeverReady(clusterId, false);
    } finally {
      await stack.startWorker();
    }
    const report = await resultOf(clusterId);
    collectTokens(clusterId);
    assert.equal(report.phase, 'Completed');
    assert.equal(mutations(clusterId, 'DELETE', /\/secrets\//), secrets, 'no Secret deleted twice');
    assert.equal(mutations(clusterId, 'POST', /\/regenerate$/), 1, 'no second regeneration');
    assert.equal(await statusWithToken(clusterId, kubeOf(clusterId).adminToken()), 200);
  });

  test('no token the simulator issued appears in any history or worker log', async () => {
    assert.ok(issuedTokens.size > 10, 'tokens were collected');
    const histories: string[] = [];
    for await (const execution of client.workflow.list({ query: 'WorkflowType = "clusterRotation"' })) {
      const history = await client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
      histories.push(asText(history));
    }
    assert.ok(histories.length >= 1, `histories of this file's runs were read (${histories.length})`);
    const haystacks = [...histories, asText(logs), workerProcessOutput.join('')];
    for (const token of issuedTokens) {
      for (const text of haystacks) assert.ok(!text.includes(token), 'a token leaked into a history or a log');
    }
    assert.ok(haystacks.some((text) => text.includes(SERVICE_ACCOUNT_TOKEN_TYPE) || text.includes('fingerprint')),
      'the haystacks are real (they mention what was rotated)');
  });
});
