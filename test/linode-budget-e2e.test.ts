// One Linode budget for the whole account, shared by two worker processes: `npm run worker`'s entry
// twice, each with its own kubeconfig directory as two pods would have, rotating clusters at once
// against a simulator whose general limit is made small. A tap in front of the simulator sees every
// request of both: the bucket never goes below the part the budget leaves to other tools, no
// request is refused with a 429, and each rotation's report counts its requests by endpoint, adding
// up to what the account saw.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { startRotation } from '../client/index.js';
import { LINODE_QUEUE_ACTIVITIES } from '../common/activities.js';
import { clusterRotationWorkflowId, LINODE_TASK_QUEUE } from '../common/names.js';
import type { RotationReport } from '../common/types.js';
import { startLocalStack, type LocalStack } from '../dev/localStack.js';
import { asAdmin } from './support/gates.js';
import { startLinodeTap, type LinodeTap } from './support/linodeTap.js';

/** the simulated account's general limit: small, so a handful of rotations spends several windows of it */
const LIMIT = 40;
const WINDOW_MS = 4_000;
const SHARE = 0.5;
const CLUSTERS = 8;

let stack: LocalStack;
let tap: LinodeTap;
const dirs: string[] = [];
const children = new Set<ChildProcess>();

before(async () => {
  stack = await startLocalStack({
    simulator: {
      clusters: CLUSTERS, seed: 41, timeScale: 0.002,
      // every bucket larger than the general one, so every reply reports the general bucket
      rateLimit: { general: { limit: LIMIT, windowMs: WINDOW_MS } },
    },
    activities: { pollIntervalMs: 50, tokenCacheWindowMs: 2_000, retryAfterScale: 0.01 },
  });
  await stack.stopWorker();
  tap = await startLinodeTap(stack.sim.linodeApiUrl);
});

after(async () => {
  for (const child of children) child.kill('SIGKILL');
  await tap?.stop();
  await stack?.stop();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** `npm run worker`'s entry in its own process, configured by the environment as in production. */
async function spawnWorker(): Promise<ChildProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'lke-rotator-budget-'));
  dirs.push(dir);
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../worker/main.ts', import.meta.url))], {
    env: {
      PATH: process.env.PATH, HOME: process.env.HOME,
      TEMPORAL_ADDRESS: stack.server.address, TEMPORAL_NAMESPACE: stack.server.namespace,
      LINODE_API_URL: tap.url, LINODE_TOKEN: stack.sim.linodeToken, KUBECONFIG_DIR: dir,
      LKE_ROTATOR_LINODE_BUDGET_SHARE: String(SHARE),
      LKE_ROTATOR_LINODE_GENERAL_LIMIT: String(LIMIT),
      LKE_ROTATOR_LINODE_GENERAL_WINDOW_MS: String(WINDOW_MS),
      LKE_ROTATOR_POLL_INTERVAL_MS: '50',
      // LKE's 2-minute kubeconfig delay is under a second in this time-scaled simulator
      LKE_ROTATOR_KUBECONFIG_DELAY_MS: '500',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (process.env.DEBUG_WORKERS) {
    child.stdout?.pipe(process.stderr);
    child.stderr?.pipe(process.stderr);
  } else {
    child.stdout?.resume();
    child.stderr?.resume();
  }
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

test('two worker processes share one budget: the account never spends the others\' part, and no 429', { timeout: Number(process.env.TEST_TIMEOUT_MS ?? 240_000) }, async (t) => {
  await Promise.all([spawnWorker(), spawnWorker()]);
  const ids = stack.sim.state.list().map(({ cluster }) => cluster.id);
  for (const clusterId of ids) {
    await startRotation(stack.client, asAdmin({
      clusterId, requestedBy: 'alice', restart: { scope: 'none' }, approvals: { beforeDelete: false }, linodeTaskQueue: LINODE_TASK_QUEUE,
      tuning: { activityRetryInitialIntervalMs: 100, activityRetryMaximumIntervalMs: 500 },
    }));
  }
  const reports = await Promise.all(ids.map((id) =>
    stack.client.workflow.getHandle(clusterRotationWorkflowId(id)).result() as Promise<RotationReport>));
  for (const report of reports) assert.equal(report.phase, 'Completed', `${report.clusterId}: ${report.notDone.join('; ')}`);

  const seen = tap.requests;
  const refused = seen.filter((r) => r.status === 429);
  assert.deepEqual(refused, [], 'no request refused');
  // each reply says how much of the window is left; the others' part is (1 - share) of the limit
  const reserve = Math.floor(LIMIT * (1 - SHARE));
  const lowest = Math.min(...seen.filter((r) => r.limit === LIMIT).map((r) => r.remaining ?? LIMIT));
  assert.ok(lowest >= reserve, `the window went down to ${lowest} left; the others' part is ${reserve}`);
  assert.ok(seen.length > LIMIT * SHARE, `${seen.length} requests: more than one window's share, so the budget had to hold`);

  t.diagnostic(`${seen.length} requests in ${Math.round((seen.at(-1)!.at - seen[0].at) / 1000)} s; lowest left in a window ${lowest} of ${LIMIT}`);
  // the reports count what the account saw, by endpoint
  const counted: Record<string, number> = {};
  for (const report of reports) {
    assert.ok(report.linodeCalls && report.linodeCalls.total > 0, `${report.clusterId} counted its Linode requests`);
    for (const [endpoint, n] of Object.entries(report.linodeCalls.byEndpoint)) counted[endpoint] = (counted[endpoint] ?? 0) + n;
  }
  const observed: Record<string, number> = {};
  for (const r of seen) observed[r.endpoint] = (observed[r.endpoint] ?? 0) + 1;
  t.diagnostic(`by endpoint: ${JSON.stringify(observed)}`);
  assert.deepEqual(counted, observed);
  // the Linode-bound steps ran on the queue whose rate the workers ask the server for
  const { events } = await stack.client.workflow.getHandle(clusterRotationWorkflowId(ids[0])).fetchHistory();
  const queues = (events ?? []).flatMap((e) => {
    const scheduled = e.activityTaskScheduledEventAttributes;
    return scheduled ? [[scheduled.activityType?.name, scheduled.taskQueue?.name]] : [];
  });
  for (const [activity, queue] of queues) {
    const expected = (LINODE_QUEUE_ACTIVITIES as readonly unknown[]).includes(activity) ? LINODE_TASK_QUEUE : 'lke-rotation';
    assert.equal(queue, expected, `${String(activity)} on ${String(queue)}`);
  }
  assert.ok(queues.some(([, queue]) => queue === LINODE_TASK_QUEUE));
  // the kubeconfig wait polls after LKE's known delay, then backs off: a few polls, not one every interval
  const kubeconfigGets = observed['GET /lke/clusters/:id/kubeconfig'] ?? 0;
  assert.ok(kubeconfigGets / CLUSTERS <= 8, `${kubeconfigGets} kubeconfig GETs for ${CLUSTERS} rotations`);
});
