// Drains, batched restarts and 'affected' end to end: a real Temporal dev server, the LKE simulator
// (time-scaled, PodDisruptionBudgets and the Eviction API), and workers with the LIVE activities
// over @linode/api-v4 and @kubernetes/client-node, one of them in its own process to be killed.
// Counted in the simulator: Ready pods over time, evictions and restart patches in its audit log.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { getRotationView, sendControl, startRotation } from '../client/index.js';
import { clusterRotationWorkflowId } from '../common/names.js';
import type { ClusterRotationWorkflowInput, RotationReport, RotationStatus } from '../common/types.js';
import { startLocalStack, type LocalStack } from '../dev/localStack.js';
import { lkeTokenServiceAccounts, type KubeCluster } from '../sim/kube/index.js';
import type { KubeObject } from '../sim/kube/store.js';
import { asAdmin } from './support/gates.js';
import { waitForRotationStatus } from './support/rotationStatus.js';

let stack: LocalStack;
let client: Client;

before(async () => {
  stack = await startLocalStack({
    simulator: { clusters: 7, seed: 23, timeScale: 0.002, rateLimit: false, userTokenSecrets: 4, nodesPerCluster: 3 },
    activities: { pollIntervalMs: 50, tokenCacheWindowMs: 2_000, recycleResendAfterMs: 5_000, retryAfterScale: 0.01 },
  });
  client = stack.client;
});

const children = new Set<ChildProcess>();
after(async () => {
  for (const child of children) child.kill('SIGKILL');
  await stack?.stop();
});

const FAST = { activityRetryInitialIntervalMs: 100, activityRetryMaximumIntervalMs: 500, activityTimeoutScale: 0.05 };
const GATES_OFF = { beforeDelete: false, beforeRecycle: false };

const clusterIds = (): number[] => stack.sim.state.list().map(({ cluster }) => cluster.id);
const kubeOf = (clusterId: number): KubeCluster => stack.sim.state.kube(clusterId)!;
const input = (clusterId: number, extra: Partial<ClusterRotationWorkflowInput>): ClusterRotationWorkflowInput =>
  asAdmin({ clusterId, requestedBy: 'alice', approvals: GATES_OFF, tuning: FAST, ...extra });
const resultOf = (clusterId: number): Promise<RotationReport> =>
  client.workflow.getHandle(clusterRotationWorkflowId(clusterId)).result() as Promise<RotationReport>;
const waitForStatus = (clusterId: number, ready: (s: RotationStatus) => boolean, what: string, timeoutMs = 60_000) =>
  waitForRotationStatus(client, clusterId, ready, what, timeoutMs);

const labelsOf = (o: KubeObject) => o.metadata.labels ?? {};
const isReady = (pod: KubeObject) =>
  ((pod.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
const matches = (selector: Record<string, string>, pod: KubeObject) => Object.entries(selector).every(([k, v]) => labelsOf(pod)[k] === v);

/** an app workload with 3 replicas spread over the nodes, and the seeded budget over it */
function guardedWorkload(kube: KubeCluster) {
  const budgets = kube.store.list('poddisruptionbudgets');
  assert.ok(budgets.length > 0, 'the seed puts PodDisruptionBudgets over app workloads');
  const over = (budget: KubeObject) => {
    const selector = (budget.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
    const namespace = budget.metadata.namespace!;
    const pods = () => kube.store.list('pods', namespace).filter((p) => matches(selector, p));
    return { budget, selector, namespace, pods, readyPods: () => pods().filter(isReady).length };
  };
  // the budget over the most pods: a budget over one pod could never let a drain through
  return budgets.map(over).sort((a, b) => b.pods().length - a.pods().length)[0];
}

function setBudget(kube: KubeCluster, budget: KubeObject, spec: Record<string, unknown>): void {
  const current = kube.store.get('poddisruptionbudgets', budget.metadata.namespace, budget.metadata.name)!;
  kube.store.update('poddisruptionbudgets', {
    ...current, metadata: { ...current.metadata, generation: (current.metadata.generation ?? 1) + 1 },
    spec: { selector: (current.spec as { selector: unknown }).selector, ...spec },
  });
}

const evictions = (clusterId: number) => stack.sim.audit.list({ clusterId, method: 'POST', path: /\/eviction$/, applied: true });

/** `npm run worker`'s entry in its own process, so it can be killed like a lost host */
function spawnWorker(): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../worker/main.ts', import.meta.url))], {
    env: {
      PATH: process.env.PATH, HOME: process.env.HOME,
      TEMPORAL_ADDRESS: stack.server.address, TEMPORAL_NAMESPACE: stack.server.namespace,
      LINODE_API_URL: stack.sim.linodeApiUrl, LINODE_TOKEN: stack.sim.linodeToken, KUBECONFIG_DIR: stack.kubeconfigDir,
      // LKE's 2-minute kubeconfig delay is under a second in this time-scaled simulator
      LKE_ROTATOR_KUBECONFIG_DELAY_MS: '500',
      // and Linode's 2-minute window a second (its limits are off here): a worker started after a
      // killed one, which Temporal still lists on the Linode queue, holds for a window as it joins
      LKE_ROTATOR_LINODE_GENERAL_WINDOW_MS: '1000',
    },
    stdio: 'ignore',
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

describe('drains and batched restarts against the simulator', { concurrency: false }, () => {
  test('a rolling recycle never takes a budget-protected workload below its budget', async () => {
    const clusterId = clusterIds()[0];
    const kube = kubeOf(clusterId);
    const guarded = guardedWorkload(kube);
    const replicas = guarded.pods().length;
    assert.ok(replicas >= 2, `the guarded workload has ${replicas} pods`);
    setBudget(kube, guarded.budget, { minAvailable: replicas - 1 });
    let lowest = guarded.readyPods();
    const sampler = setInterval(() => { lowest = Math.min(lowest, guarded.readyPods()); }, 5);
    try {
      await startRotation(client, input(clusterId, { restart: { scope: 'none' }, recycle: { mode: 'rolling' } }));
      const report = await resultOf(clusterId);
      assert.equal(report.phase, 'Completed', report.notDone.join('; '));
      assert.equal(report.recycled.length, stack.sim.state.cluster(clusterId)!.pools.flatMap((p) => p.nodes).length);
      assert.ok(report.recycled.reduce((n, r) => n + (r.evicted ?? 0), 0) > 0, 'pods were evicted, not killed with their node');
      // the wait for a replacement polls Linode after LKE's least replacement time, then backs off:
      // two reads before the POST and a poll or two, not one every poll interval
      const nodeReads = report.linodeCalls?.byEndpoint['GET /lke/clusters/:id/nodes/:nodeId'] ?? 0;
      assert.ok(nodeReads > 0 && nodeReads <= 4 * report.recycled.length, `${nodeReads} node reads for ${report.recycled.length} nodes`);
    } finally {
      clearInterval(sampler);
    }
    assert.ok(lowest >= replicas - 1, `Ready pods fell to ${lowest}, below the budget's ${replicas - 1}`);
    assert.ok(evictions(clusterId).length > 0);
  });

  test('a drain held by a budget that allows no disruption is Blocked naming it; retry completes once it allows one', async () => {
    const clusterId = clusterIds()[1];
    const kube = kubeOf(clusterId);
    const guarded = guardedWorkload(kube);
    setBudget(kube, guarded.budget, { minAvailable: guarded.pods().length });
    await startRotation(client, input(clusterId, { restart: { scope: 'none' }, recycle: { mode: 'rolling', drainTimeoutMs: 2_000 } }));
    const blocked = await waitForStatus(clusterId, (s) => s.phase === 'Blocked', 'the drain Blocked');
    assert.equal(blocked.step, 'recycleNodes');
    assert.equal(blocked.lastError?.type, 'DrainTimedOut');
    assert.match(blocked.lastError?.message ?? '', new RegExp(`held by PodDisruptionBudgets allowing no disruption: ${guarded.namespace}/${guarded.budget.metadata.name}`));
    assert.match(blocked.lastError?.message ?? '', /retry, skip this node, or abort/);
    assert.ok(blocked.lastError?.item, 'the node is named, so skip could leave it out alone');
    setBudget(kube, guarded.budget, { maxUnavailable: 1 });
    await sendControl(client, clusterId, 'retry', { by: 'bob' });
    const report = await resultOf(clusterId);
    assert.equal(report.phase, 'Completed', report.notDone.join('; '));
    assert.deepEqual(report.notDone, []);
  });

  test('a worker SIGKILLed mid-drain: the next one finishes without a second eviction wave', async () => {
    const clusterId = clusterIds()[2];
    const kube = kubeOf(clusterId);
    const guarded = guardedWorkload(kube);
    // held at first, so the drain is caught in the middle
    setBudget(kube, guarded.budget, { minAvailable: guarded.pods().length });
    // a pod deleted while its node is still there was evicted (a recycle removes the Node first)
    const originalNodes = new Set(kube.nodeNames());
    const evictedFrom: string[] = [];
    const watchEvictions = (resource: string, type: string, object: KubeObject) => {
      const node = (object.spec as { nodeName?: string } | undefined)?.nodeName;
      if (resource === 'pods' && type === 'DELETED' && node && kube.store.get('nodes', undefined, node)) evictedFrom.push(node);
    };
    kube.store.listeners.add(watchEvictions);
    await stack.stopWorker();
    try {
      const first = spawnWorker();
      await startRotation(client, input(clusterId, { restart: { scope: 'none' }, recycle: { mode: 'rolling' } }));
      await waitForStatus(clusterId, (s) => s.phase === 'RecyclingNodes', 'the recycles', 90_000);
      for (let i = 0; i < 600 && evictions(clusterId).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
      assert.ok(evictions(clusterId).length > 0, 'the first worker evicted pods before it died');
      first.kill('SIGKILL');
      setBudget(kube, guarded.budget, { maxUnavailable: 1 });
    } finally {
      await stack.startWorker();
    }
    const report = await resultOf(clusterId);
    kube.store.listeners.delete(watchEvictions);
    assert.equal(report.phase, 'Completed', report.notDone.join('; '));
    // a second wave would evict pods already gone (404) or pods on nodes already replaced
    const gone = stack.sim.audit.list({ clusterId, method: 'POST', path: /\/eviction$/ }).filter((e) => e.status === 404);
    assert.deepEqual(gone, [], 'no eviction of a pod already evicted');
    assert.ok(evictedFrom.length > 0);
    for (const node of evictedFrom) assert.ok(originalNodes.has(node), `a pod was evicted from ${node}, a replacement node`);
  });

  test('a worker SIGKILLed during the batched restart: the next one restarts each workload exactly once', async () => {
    const clusterId = clusterIds()[3];
    const patches = () => stack.sim.audit.list({ clusterId, method: 'PATCH', path: /\/apis\/apps\/v1\//, applied: true });
    await stack.stopWorker();
    try {
      const first = spawnWorker();
      await startRotation(client, input(clusterId, { restart: { scope: 'all' }, recycle: { mode: 'none' } }));
      await waitForStatus(clusterId, (s) => s.phase === 'RestartingWorkloads', 'the restarts', 90_000);
      for (let i = 0; i < 600 && patches().length < 2; i++) await new Promise((r) => setTimeout(r, 50));
      // what the API and the CLI show meanwhile: the batch's live progress from its heartbeat details
      let live = (await getRotationView(client, clusterId))?.status?.batch;
      for (let i = 0; i < 100 && !(live && live.done.length + live.inFlight.length > 0); i++) {
        await new Promise((r) => setTimeout(r, 50));
        live = (await getRotationView(client, clusterId))?.status?.batch;
      }
      assert.equal(live?.activity, 'restartWorkloads');
      assert.ok((live?.done.length ?? 0) + (live?.inFlight.length ?? 0) > 0, `live progress: ${JSON.stringify(live)}`);
      first.kill('SIGKILL');
    } finally {
      await stack.startWorker();
    }
    const report = await resultOf(clusterId);
    assert.equal(report.phase, 'Completed', report.notDone.join('; '));
    const perWorkload = new Map<string, number>();
    for (const e of patches()) perWorkload.set(e.path, (perWorkload.get(e.path) ?? 0) + 1);
    assert.equal(perWorkload.size, report.restarted.length);
    for (const [path, count] of perWorkload) assert.equal(count, 1, `${path} restarted ${count} times`);
  });

  test('the recycle gate shows per node the pods to evict and the budget that allows no disruption now', async () => {
    const clusterId = clusterIds()[5];
    const kube = kubeOf(clusterId);
    const guarded = guardedWorkload(kube);
    setBudget(kube, guarded.budget, { minAvailable: guarded.pods().length });
    await startRotation(client, input(clusterId, { approvals: { beforeDelete: false }, restart: { scope: 'none' }, recycle: { mode: 'rolling' } }));
    const gate = await waitForStatus(clusterId, (s) => s.phase === 'AwaitingRecycleApproval', 'the recycle gate');
    const drain = gate.plan?.drain ?? [];
    assert.equal(drain.length, gate.plan?.recycleNodes.length);
    const guardedPods = guarded.pods().map((p) => `${p.metadata.namespace}/${p.metadata.name}`);
    assert.ok(drain.some((d) => d.evict.some((p) => guardedPods.includes(p))), 'the guarded pods are listed under their nodes');
    const budget = `${guarded.namespace}/${guarded.budget.metadata.name}`;
    assert.ok(drain.some((d) => d.blockingBudgets.some((b) => b.startsWith(budget))), `${budget} is shown as allowing no disruption`);
    for (const d of drain) assert.ok(d.evict.every((p) => !p.includes('kube-proxy') && !p.includes('calico-node')), 'DaemonSet pods stay');
    setBudget(kube, guarded.budget, { maxUnavailable: 1 });
    await sendControl(client, clusterId, 'approve', { by: 'bob' });
    const report = await resultOf(clusterId);
    assert.equal(report.phase, 'Completed', report.notDone.join('; '));
  });

  test("'affected', the default, restarts exactly the workloads whose pod templates use a deleted token Secret", async () => {
    const clusterId = clusterIds()[6];
    const kube = kubeOf(clusterId);
    const deleted = new Set(kube.tokenSecrets('kube-system').map((s) => s.metadata.name));
    const lkeAccounts = new Set(lkeTokenServiceAccounts(kube.k8sVersion));
    // read independently of the product: every workload, and what its pod template names
    const expected: string[] = [];
    for (const resource of ['deployments', 'statefulsets', 'daemonsets'] as const) {
      for (const w of kube.store.list(resource)) {
        const spec = (w.spec as { template: { spec: Record<string, unknown> } }).template.spec as {
          volumes?: { secret?: { secretName?: string }; projected?: { sources?: { secret?: { name?: string } }[] } }[];
          containers?: { env?: { valueFrom?: { secretKeyRef?: { name?: string } } }[]; envFrom?: { secretRef?: { name?: string } }[] }[];
          serviceAccountName?: string;
        };
        const names = [
          ...(spec.volumes ?? []).flatMap((v) => [v.secret?.secretName, ...(v.projected?.sources ?? []).map((s) => s.secret?.name)]),
          ...(spec.containers ?? []).flatMap((c) => [...(c.env ?? []).map((e) => e.valueFrom?.secretKeyRef?.name), ...(c.envFrom ?? []).map((e) => e.secretRef?.name)]),
        ];
        const usesDeleted = w.metadata.namespace === 'kube-system' && names.some((n) => n !== undefined && deleted.has(n));
        const lkeComponent = w.metadata.namespace === 'kube-system' && spec.serviceAccountName !== undefined && lkeAccounts.has(spec.serviceAccountName);
        if (usesDeleted || lkeComponent) expected.push(`${w.kind} ${w.metadata.namespace}/${w.metadata.name}`);
      }
    }
    assert.ok(expected.length >= 4, `the seed mounts token Secrets in workloads (${expected.join(', ')})`);
    await startRotation(client, input(clusterId, { recycle: { mode: 'none' } }));
    const report = await resultOf(clusterId);
    assert.equal(report.phase, 'Completed', report.notDone.join('; '));
    const restarted = report.restarted.map((r) => `${r.workload.kind} ${r.workload.namespace}/${r.workload.name}`);
    assert.deepEqual([...restarted].sort(), [...expected].sort(), 'no more and no fewer');
    assert.ok(report.restarted.every((r) => (r.workload.uses ?? []).length > 0), 'each says how it uses the Secret');
  });
});
