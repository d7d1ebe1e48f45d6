// Fleet rotation on a real dev server and worker: the real fleetRotation workflow, its activities and
// client functions, over a stand-in child rotation (test/support/fleetStubWorkflows.ts) whose one
// activity is a fake that the tests time, fail and block per cluster.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import proto from '@temporalio/proto';
import { DefaultLogger, Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createFleetActivities, linodeFilterFor, selectClusters } from '../activities/fleet.js';
import type { ListClustersOptions, LinodePort } from '../activities/ports.js';
import {
  createFleetSchedule, deleteFleetSchedule, getFleetStatus, listFleetSchedules, pauseFleetSchedule,
  sendFleetControl, startFleetRotation, triggerFleetSchedule,
} from '../client/index.js';
import type { RotationActivities, SnapshotInput } from '../common/activities.js';
import type { RotationRef } from '../common/fleetActivities.js';
import { TASK_QUEUE, clusterRotationWorkflowId, fleetRotationWorkflowId } from '../common/names.js';
import type {
  ClusterRotationInput, ClusterSnapshot, FleetReport, FleetRotationInput, FleetStatus, LinodePage, LkeCluster,
} from '../common/types.js';
import { startDevServer, type DevServer } from '../engine/devServer.js';
import { allowedFailures, budgetOf, initialState, overBudget, planWaves } from '../workflows/fleet/state.js';
import { FLEET_ROTATION_ID } from '../common/searchAttributes.js';
import { createLinodePort } from '../activities/linode/adapter.js';
import { createRotationWorker, rotationWorkflowBundle } from '../worker/worker.js';
import { FakeCluster } from './support/fakeActivities.js';
import { withSimulator } from './support/sim.js';
import { SILENT_CLUSTER_MODULUS } from './support/fleetStubWorkflows.js';

// ---- A Linode API with a paged cluster list, in memory.

function lkeCluster(id: number, tags: string[], region = 'us-iad'): LkeCluster {
  return {
    id, label: `lke-${id}`, region, k8s_version: '1.31', status: 'ready', tier: 'standard', tags,
    control_plane: { high_availability: false }, created: '2026-01-01T00:00:00', updated: '2026-01-01T00:00:00',
  };
}

class FakeLinode implements Pick<LinodePort, 'listClusters'> {
  clusters: LkeCluster[] = [];
  requests: ListClustersOptions[] = [];
  add(tag: string, ids: number[], region?: string): void {
    for (const id of ids) this.clusters.push(lkeCluster(id, [tag], region));
  }
  async listClusters(options: ListClustersOptions = {}): Promise<LinodePage<LkeCluster>> {
    this.requests.push(options);
    const page = options.page ?? 1;
    const size = options.pageSize ?? 100;
    const pages = Math.max(1, Math.ceil(this.clusters.length / size));
    return { data: this.clusters.slice((page - 1) * size, page * size), page, pages, results: this.clusters.length };
  }
}

// ---- The stand-in child's one activity: how long each cluster's rotation takes, whether it fails.

interface Behaviour { ms?: number; fail?: boolean; until?: Promise<void> }

class FakeRotationWork {
  behaviour = new Map<number, Behaviour>();
  calls = new Map<number, number>();
  running = 0;
  maxRunning = 0;
  reset(): void {
    this.behaviour.clear();
    this.running = 0;
    this.maxRunning = 0;
  }
  callsFor(ids: number[]): number {
    return ids.reduce((sum, id) => sum + (this.calls.get(id) ?? 0), 0);
  }
  snapshotCluster = async ({ clusterId }: SnapshotInput): Promise<ClusterSnapshot> => {
    this.calls.set(clusterId, (this.calls.get(clusterId) ?? 0) + 1);
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    const behaviour = this.behaviour.get(clusterId) ?? {};
    try {
      await delay(behaviour.ms ?? 30);
      await behaviour.until;
      if (behaviour.fail) throw ApplicationFailure.nonRetryable(`injected failure on cluster ${clusterId}`, 'Injected');
    } finally {
      this.running--;
    }
    return {
      clusterId, label: `lke-${clusterId}`, region: 'us-iad', k8sVersion: '1.31', tier: 'standard', highAvailability: false,
      takenAt: new Date().toISOString(), adminTokenFingerprint: null, tokenSecrets: [], nodes: [], poolNodes: [], workloads: [],
    };
  };
}

const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(100);
  }
}

describe('fleet plan and budget rules', () => {
  const selected = range(1, 5).map((id) => ({ id, label: `lke-${id}`, region: 'us-iad', k8sVersion: '1.31' }));

  test('a canary wave only when it leaves clusters for a second wave', () => {
    assert.deepEqual(planWaves(selected, 1).clusters.map((c) => c.wave), [0, 1, 1, 1, 1]);
    assert.deepEqual(planWaves(selected, 2).clusters.map((c) => c.wave), [0, 0, 1, 1, 1]);
    assert.equal(planWaves(selected, 0).waveCount, 1);
    assert.equal(planWaves(selected, 5).waveCount, 1);
    assert.equal(planWaves([], 1).waveCount, 0);
  });

  test('the budget counts failures beyond those accepted, in count or percent of the fleet', () => {
    assert.equal(allowedFailures({ count: 2 }, 100), 2);
    assert.equal(allowedFailures({ percent: 10 }, 25), 2, 'rounded down: 10% of 25 allows 2');
    const state = { ...initialState(), ...planWaves(selected, 0) };
    state.clusters[0].phase = 'Failed';
    state.clusters[1].phase = 'Cancelled';
    const input: FleetRotationInput = { name: 'x', requestedBy: 'a', selector: {}, errorBudget: { count: 1 } };
    assert.equal(overBudget(state, input), true);
    state.acceptedFailures = 1;
    assert.equal(overBudget(state, input), false);
    state.clusters[1].phase = 'Skipped';
    assert.deepEqual(budgetOf(state, input), { allowed: 1, failed: 1, accepted: 1 });
    assert.equal(overBudget({ ...state, acceptedFailures: 0 }, { ...input, errorBudget: undefined }), true, 'default budget: none');
  });
});

const HISTORIES = fileURLToPath(new URL('./fixtures/histories/', import.meta.url));
const HistoryProto = proto.temporal.api.history.v1.History;
/** The fixture form test/workflow.test.ts uses: protobuf's object mapping, which loads back losslessly. */
const historyToFixture = (history: proto.temporal.api.history.v1.IHistory): string =>
  JSON.stringify(HistoryProto.toObject(HistoryProto.fromObject(history), { longs: String, enums: String, bytes: String }), null, 1);

const STUB_WORKFLOWS = fileURLToPath(new URL('./support/fleetStubWorkflows.ts', import.meta.url));

describe('fleet rotation', { timeout: 240_000 }, () => {
  const linode = new FakeLinode();
  const work = new FakeRotationWork();
  let server: DevServer;
  let client: Client;
  let worker: Worker;
  let workerRun: Promise<void>;
  let stubBundle: WorkflowBundleWithSourceMap;
  let checkedRotations = 0;

  const statusOf = async (name: string): Promise<FleetStatus> => {
    const status = await getFleetStatus(client, name);
    assert.ok(status, `fleet ${name} exists`);
    return status;
  };
  const waitForPhase = (name: string, phase: FleetStatus['phase']): Promise<FleetStatus> =>
    waitFor(`fleet ${name} to be ${phase}`, async () => {
      const status = await statusOf(name);
      return status.phase === phase && status;
    });
  const resultOf = (name: string): Promise<FleetReport> =>
    client.workflow.getHandle(fleetRotationWorkflowId(name)).result() as Promise<FleetReport>;
  const fleet = (name: string, tag: string, extra: Partial<FleetRotationInput> = {}): FleetRotationInput =>
    ({ name, requestedBy: 'alice', selector: { tags: [tag] }, watchIntervalMs: 300, ...extra });

  before(async () => {
    server = await startDevServer();
    client = server.client;
    // No client passed: checkRotations uses the worker's own, as in production.
    const fleetActivities = createFleetActivities({ linode });
    stubBundle = await bundleWorkflowCode({ workflowsPath: STUB_WORKFLOWS, logger: new DefaultLogger('WARN') });
    worker = await Worker.create({
      connection: server.nativeConnection,
      namespace: server.namespace,
      taskQueue: TASK_QUEUE,
      workflowBundle: stubBundle,
      activities: {
        ...fleetActivities,
        checkRotations: (refs: RotationRef[]) => {
          checkedRotations += refs.length;
          return fleetActivities.checkRotations(refs);
        },
        snapshotCluster: work.snapshotCluster,
      },
    });
    workerRun = worker.run();
  });

  after(async () => {
    worker?.shutdown();
    await workerRun;
    await server?.stop();
  });

  test('selection pages through the API with X-Filter and applies ids and the label pattern itself', async () => {
    const api = new FakeLinode();
    api.add('prod', range(1, 1200), 'us-ord');
    api.clusters[10].label = 'payments-eu-1';
    api.clusters[700].label = 'payments-us-2';
    api.clusters[701].label = 'search-us-1';

    const byGlob = await selectClusters(api, { tags: ['prod'], regions: ['us-ord', 'us-iad'], labelPattern: 'payments-*' });
    assert.deepEqual(byGlob.map((c) => c.id), [11, 701]);
    assert.deepEqual(api.requests.map((r) => r.page), [1, 2, 3], 'every page read, and no more');
    assert.deepEqual(api.requests[0].filter, { '+and': [{ tags: 'prod' }, { '+or': [{ region: 'us-ord' }, { region: 'us-iad' }] }] });

    assert.deepEqual((await selectClusters(api, { labelPattern: '/^(payments|search)-us-\\d$/' })).map((c) => c.id), [701, 702]);
    assert.deepEqual((await selectClusters(api, { clusterIds: [702, 5] })).map((c) => c.id), [5, 702]);
    await assert.rejects(selectClusters(api, { clusterIds: [5, 99_999] }), /clusters 99999 not found/);
    await assert.rejects(selectClusters(api, { labelPattern: '/(/' }), /not a valid regular expression/);
    assert.equal(linodeFilterFor({ clusterIds: [1] }), undefined, 'ids are not a Linode filter field');
  });

  test('selection through the real Linode adapter: the simulator accepts and applies the X-Filter', async () => {
    await withSimulator({ clusters: 80, seed: 7 }, async (sim) => {
      const port = createLinodePort({ apiUrl: sim.linodeApiUrl, token: sim.linodeToken });
      const { data: all } = await port.listClusters({ pageSize: 500 });
      const served: number[] = [];
      const counting = {
        listClusters: async (options?: ListClustersOptions) => {
          const page = await port.listClusters(options);
          served.push(page.results);
          return page;
        },
      };
      const selector = { tags: ['env:prod', 'pci'], regions: ['us-iad', 'us-ord', 'eu-west'], labelPattern: '{payments,search}-*' };
      const expected = all.filter((c) =>
        c.tags.some((tag) => selector.tags.includes(tag)) && selector.regions.includes(c.region) && /^(payments|search)-/.test(c.label));
      const picked = await selectClusters(counting, selector);
      assert.ok(expected.length > 0, 'the seed gives a non-empty selection');
      assert.deepEqual(picked.map((c) => c.id), expected.map((c) => c.id).sort((a, b) => a - b));
      const filteredByServer = all.filter((c) => c.tags.some((tag) => selector.tags.includes(tag)) && selector.regions.includes(c.region));
      assert.deepEqual(served, [filteredByServer.length], 'the server filtered on tags and regions in one page');
    });
  });

  test('canary wave, approval gate, then the rest; children carry the fleet id and no per-cluster delete gate', async () => {
    work.reset();
    const ids = range(100, 4);
    linode.add('canary', ids, 'us-ord');
    const started = await startFleetRotation(client, fleet('canary', 'canary', { concurrency: 2 }));
    assert.equal(started.workflowId, 'rotate-fleet-canary');

    const gated = await waitForPhase('canary', 'AwaitingApproval');
    assert.deepEqual(gated.clusters.map((c) => [c.id, c.wave, c.phase]), [
      [100, 0, 'Completed'], [101, 1, 'Pending'], [102, 1, 'Pending'], [103, 1, 'Pending'],
    ]);
    assert.equal(gated.counts.Completed, 1);
    assert.equal(gated.pendingGate?.gate, 'canary');
    assert.equal(work.callsFor(ids), 1, 'only the canary ran before the approval');
    await assert.rejects(sendFleetControl(client, 'canary', { update: 'resume' }), WorkflowUpdateFailedError);

    const approved = await sendFleetControl(client, 'canary', { update: 'approve', input: { by: 'bob', comment: 'canary looks fine' } });
    assert.equal(approved.approvals[0].by, 'bob');
    const report = await resultOf('canary');
    assert.equal(report.phase, 'Completed');
    assert.equal(report.counts.Completed, 4);
    assert.equal(work.callsFor(ids), 4);
    await assert.rejects(sendFleetControl(client, 'canary', { update: 'approve', input: { by: 'bob' } }), /ended|not found|completed/i);

    const child = client.workflow.getHandle(clusterRotationWorkflowId(101));
    const description = await child.describe();
    assert.equal(description.typedSearchAttributes.get(FLEET_ROTATION_ID), 'rotate-fleet-canary');
    const history = await child.fetchHistory();
    const payload = history.events?.[0].workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    const childInput = JSON.parse(Buffer.from(payload!.data!).toString()) as ClusterRotationInput;
    assert.deepEqual(childInput.approvals, { beforeDelete: false, beforeRecycle: false });
    assert.equal(childInput.fleetRotationId, 'rotate-fleet-canary');
    assert.equal(childInput.requestedBy, 'alice');
  });

  test('never more children at once than the concurrency; pause stops new starts until resume', async () => {
    work.reset();
    const ids = range(200, 12);
    linode.add('window', ids);
    for (const id of ids) work.behaviour.set(id, { ms: 400 });
    await startFleetRotation(client, fleet('window', 'window', { concurrency: 3, waves: { canary: 0 } }));

    await waitFor('three rotations running', async () => work.running === 3);
    await sendFleetControl(client, 'window', { update: 'pause', input: { by: 'carol' } });
    const paused = await waitFor('the running ones to finish while paused', async () => {
      const status = await statusOf('window');
      return status.counts.Running === 0 && status;
    });
    assert.equal(paused.phase, 'Paused');
    const doneWhilePaused = work.callsFor(ids);
    assert.ok(paused.counts.Pending > 0, 'work left over');
    await delay(600);
    assert.equal(work.callsFor(ids), doneWhilePaused, 'nothing new started while paused');

    await sendFleetControl(client, 'window', { update: 'resume', input: { by: 'carol' } });
    const report = await resultOf('window');
    assert.equal(report.phase, 'Completed');
    assert.equal(report.counts.Completed, 12);
    assert.equal(work.maxRunning, 3, 'the window was filled, and never overfilled');
  });

  test('failures past the error budget halt the fleet; skip and resume take it to the end', async () => {
    work.reset();
    const ids = range(300, 8);
    linode.add('budget', ids);
    for (const id of ids) work.behaviour.set(id, { ms: 300 });
    for (const id of [300, 301, 304, 305]) work.behaviour.set(id, { ms: 10, fail: true });
    await startFleetRotation(client, fleet('budget', 'budget', { concurrency: 2, waves: { canary: 0 }, errorBudget: { count: 1 } }));

    const halted = await waitFor('the first halt, with the running one finished', async () => {
      const status = await statusOf('budget');
      return status.phase === 'Halted' && status.counts.Running === 0 && status;
    });
    // Whether 302 started depends on the two failures landing in one workflow task or two.
    assert.equal(halted.counts.Failed, 2);
    assert.equal(halted.counts.Completed + halted.counts.Pending, 6);
    assert.match(halted.haltReason ?? '', /2 failed, error budget allows 1/);
    await delay(500);
    assert.equal(work.callsFor(ids), 8 - halted.counts.Pending, 'no new cluster starts while halted');

    const skipped = await sendFleetControl(client, 'budget', { update: 'skip', input: { by: 'dave' } });
    assert.deepEqual(skipped.clusters.filter((c) => c.phase === 'Skipped').map((c) => c.id), [300, 301]);
    assert.equal(skipped.halted, false);

    const haltedAgain = await waitFor('the second halt', async () => {
      const status = await statusOf('budget');
      return status.phase === 'Halted' && status.counts.Running === 0 && status;
    });
    assert.deepEqual(haltedAgain.clusters.filter((c) => c.phase === 'Failed').map((c) => c.id), [304, 305]);
    await sendFleetControl(client, 'budget', { update: 'resume', input: { by: 'dave' } });

    const report = await resultOf('budget');
    assert.equal(report.phase, 'CompletedWithFailures');
    assert.deepEqual([report.counts.Completed, report.counts.Skipped, report.counts.Failed], [4, 2, 2]);
    assert.deepEqual(report.errorBudget, { allowed: 1, failed: 2, accepted: 2 });
    assert.match(report.clusters.find((c) => c.id === 304)?.error ?? '', /injected failure on cluster 304/);
  });

  test('retry runs the failed clusters again', async () => {
    work.reset();
    const ids = range(350, 4);
    linode.add('retry', ids);
    work.behaviour.set(351, { fail: true });
    await startFleetRotation(client, fleet('retry', 'retry', { concurrency: 1, waves: { canary: 0 } }));
    const halted = await waitForPhase('retry', 'Halted');
    assert.deepEqual(halted.clusters.map((c) => c.phase), ['Completed', 'Failed', 'Pending', 'Pending']);
    await assert.rejects(sendFleetControl(client, 'retry', { update: 'retry', input: { clusterIds: [350] } }),
      (err: Error) => err instanceof WorkflowUpdateFailedError && /no failed cluster to act on/.test(String(err.cause)));

    work.behaviour.delete(351);
    const retried = await sendFleetControl(client, 'retry', { update: 'retry', input: { by: 'dave' } });
    assert.equal(retried.clusters.find((c) => c.id === 351)?.phase, 'Pending');
    const report = await resultOf('retry');
    assert.equal(report.phase, 'Completed');
    assert.equal(report.counts.Completed, 4);
    assert.equal(work.callsFor([351]), 2);
  });

  test('a cluster whose rotation is already running is attached to, not rotated twice', async () => {
    work.reset();
    linode.add('attach', [400, 401]);
    let release!: () => void;
    work.behaviour.set(400, { until: new Promise<void>((resolve) => { release = resolve; }) });
    await client.workflow.start('clusterRotation', {
      taskQueue: TASK_QUEUE,
      workflowId: clusterRotationWorkflowId(400),
      args: [{ clusterId: 400, requestedBy: 'erin' } satisfies ClusterRotationInput],
    });
    await waitFor('the solo rotation to be under way', async () => work.callsFor([400]) === 1);

    await startFleetRotation(client, fleet('attach', 'attach', { waves: { canary: 0 } }));
    const attached = await waitFor('401 done and 400 attached', async () => {
      const status = await statusOf('attach');
      const solo = status.clusters.find((c) => c.id === 400);
      return status.counts.Completed === 1 && solo?.attached && solo.phase === 'Running' && status;
    });
    assert.equal(attached.clusters.find((c) => c.id === 400)?.workflowId, clusterRotationWorkflowId(400));
    release();

    const report = await resultOf('attach');
    assert.equal(report.phase, 'Completed');
    assert.deepEqual(report.clusters.map((c) => [c.id, c.phase, c.attached]), [[400, 'Completed', true], [401, 'Completed', false]]);
    assert.equal(work.callsFor([400]), 1, 'cluster 400 was rotated once');
  });

  test('a fleet that continues as new finishes with every cluster accounted for and a bounded history', async (t) => {
    work.reset();
    checkedRotations = 0;
    const ids = range(500, 40);
    linode.add('big', ids);
    for (const id of ids) work.behaviour.set(id, { ms: 40 + (id % 7) * 20 });
    const maxHistoryEvents = 120;
    await startFleetRotation(client, fleet('big', 'big', { concurrency: 6, waves: { canary: 0 }, maxHistoryEvents }));

    const report = await resultOf('big');
    assert.equal(report.phase, 'Completed');
    assert.equal(report.counts.Completed, 40);
    assert.deepEqual(report.clusters.map((c) => c.id), ids);
    assert.ok(report.runs >= 2, `continued as new (${report.runs} runs)`);
    assert.equal(work.callsFor(ids), 40, 'no cluster rotated twice across runs');
    assert.ok(ids.some((id) => id % SILENT_CLUSTER_MODULUS === 0), 'some children never signal: the watch found them');
    assert.ok(checkedRotations > 0, 'rotations running at continue-as-new were followed by the next run');

    let longest = 0;
    let replayed = 0;
    for await (const run of client.workflow.list({ query: `WorkflowId = '${fleetRotationWorkflowId('big')}'` })) {
      const history = await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
      longest = Math.max(longest, history.events?.length ?? 0);
      // Every run, including those that pick up carried state, replays without nondeterminism.
      await Worker.runReplayHistory({ workflowBundle: stubBundle }, history, run.workflowId);
      replayed++;
    }
    assert.equal(replayed, report.runs);
    assert.ok(longest < maxHistoryEvents + 60, `longest run history ${longest} events`);
    t.diagnostic(`40 clusters at concurrency 6: ${report.runs} runs, longest history ${longest} events`);
  });

  test('rejecting the canary gate ends the fleet Rejected, with nothing more started', async () => {
    work.reset();
    const ids = range(600, 3);
    linode.add('reject', ids);
    await startFleetRotation(client, fleet('reject', 'reject', { soakMs: 200 }));
    await waitForPhase('reject', 'AwaitingApproval');
    await sendFleetControl(client, 'reject', { update: 'reject', input: { by: 'bob', reason: 'canary broke ingress' } });
    const report = await resultOf('reject');
    assert.equal(report.phase, 'Rejected');
    assert.deepEqual([report.counts.Completed, report.counts.NotStarted], [1, 2]);
    assert.equal(report.error, 'canary broke ingress');
    assert.ok(report.timeline.some((entry) => entry.event === 'soaking'));
    assert.equal(work.callsFor(ids), 1);
  });

  test('abort starts nothing new and lets the running rotation finish; a gate that times out rejects; a bad selection fails', async () => {
    work.reset();
    const ids = range(650, 4);
    linode.add('abort', ids);
    let release!: () => void;
    work.behaviour.set(650, { until: new Promise<void>((resolve) => { release = resolve; }) });
    await startFleetRotation(client, fleet('abort', 'abort', { concurrency: 1, waves: { canary: 0 } }));
    await waitFor('the first rotation under way', async () => work.callsFor([650]) === 1);
    await sendFleetControl(client, 'abort', { update: 'abort', input: { by: 'frank', reason: 'change freeze' } });
    const aborting = await statusOf('abort');
    assert.equal(aborting.phase, 'Aborting');
    await assert.rejects(sendFleetControl(client, 'abort', { update: 'pause' }), WorkflowUpdateFailedError);
    release();
    const aborted = await resultOf('abort');
    assert.equal(aborted.phase, 'Aborted');
    assert.deepEqual([aborted.counts.Completed, aborted.counts.NotStarted], [1, 3]);
    assert.deepEqual(aborted.aborted, { by: 'frank', reason: 'change freeze' });
    assert.equal(work.callsFor(ids), 1);

    linode.add('gate-timeout', range(660, 2));
    await startFleetRotation(client, fleet('gate-timeout', 'gate-timeout', { approvalTimeoutMs: 300 }));
    const timedOut = await resultOf('gate-timeout');
    assert.equal(timedOut.phase, 'Rejected');
    assert.match(timedOut.error ?? '', /canary approval timed out/);
    assert.deepEqual([timedOut.counts.Completed, timedOut.counts.NotStarted], [1, 1]);

    await startFleetRotation(client, { name: 'missing', requestedBy: 'alice', selector: { clusterIds: [99_999] } });
    const failed = await resultOf('missing');
    assert.equal(failed.phase, 'Failed');
    assert.match(failed.error ?? '', /selection failed: clusters 99999 not found/);
  });

  test('with the real clusterRotation: every cluster rotated once, after the canary gate', async (t) => {
    const ids = range(900, 3);
    linode.add('real', ids, 'us-sea');
    const fakes = new Map(ids.map((id) => [id, new FakeCluster(id, `lke-${id}`, 'us-sea')]));
    const byCluster = (name: keyof RotationActivities) => (input: { clusterId: number }) =>
      (fakes.get(input.clusterId)!.activities()[name] as (i: unknown) => Promise<unknown>)(input);
    const rotationActivities = Object.fromEntries(
      Object.keys(fakes.get(900)!.activities()).map((name) => [name, byCluster(name as keyof RotationActivities)]));
    const taskQueue = `fleet-real-${Date.now()}`;
    const realWorker = await createRotationWorker({
      connection: server.nativeConnection, namespace: server.namespace, taskQueue,
      activities: { ...rotationActivities, ...createFleetActivities({ linode, client }) },
      workerOptions: { shutdownGraceTime: '1 second' },
    });
    const realRun = realWorker.run();
    t.after(async () => {
      realWorker.shutdown();
      await realRun;
    });

    await startFleetRotation(client, fleet('real', 'real', { rotation: { restart: { scope: 'all' } } }), { taskQueue });
    await waitForPhase('real', 'AwaitingApproval');
    const live = await getFleetStatus(client, 'real', { withRotationPhases: true });
    assert.equal(live?.counts.Completed, 1);
    await sendFleetControl(client, 'real', { update: 'approve', input: { by: 'bob' } });

    const report = await resultOf('real');
    assert.equal(report.phase, 'Completed', JSON.stringify(report.clusters.map((c) => [c.id, c.phase, c.error])));
    for (const [id, fake] of fakes) {
      assert.equal(fake.count('deleteTokenSecrets'), 1, `cluster ${id} tokens deleted once`);
      assert.equal(fake.count('regenerateCredentials'), 1, `cluster ${id} regenerated once`);
    }
    const history = await client.workflow.getHandle(fleetRotationWorkflowId('real')).fetchHistory();
    const text = JSON.stringify(history);
    const tokens = [...fakes.values()].flatMap((fake) => fake.issuedTokens);
    assert.ok(tokens.length > 0 && tokens.every((token) => !text.includes(token)), 'no token in the fleet history');
    if (process.env.RECORD_HISTORIES === '1') writeFileSync(`${HISTORIES}fleet-canary.json`, historyToFixture(history));
  });

  test('recorded fleet histories replay on the current workflows without nondeterminism', async () => {
    const files = readdirSync(HISTORIES).filter((f) => f.startsWith('fleet-') && f.endsWith('.json'));
    assert.ok(files.length >= 1, 'fleet replay fixtures exist (record with RECORD_HISTORIES=1)');
    const histories = files.map((f) => ({ workflowId: f, history: HistoryProto.fromObject(JSON.parse(readFileSync(`${HISTORIES}${f}`, 'utf8'))) }));
    let replayed = 0;
    for await (const result of Worker.runReplayHistories({ workflowBundle: await rotationWorkflowBundle() }, histories)) {
      assert.equal(result.error, undefined, `${result.workflowId}: ${String(result.error)}`);
      replayed++;
    }
    assert.equal(replayed, files.length);
  });

  test('a schedule starts fleet rotations', async () => {
    work.reset();
    linode.add('nightly', range(700, 2));
    const input = fleet('nightly', 'nightly', { waves: { canary: 0 } });
    await createFleetSchedule(client, { scheduleId: 'fleet-nightly', input, spec: { intervals: [{ every: '1 day' }] }, note: 'test' });
    try {
      await triggerFleetSchedule(client, 'fleet-nightly');
      const workflowId = await waitFor('the scheduled run', async () => {
        const description = await client.schedule.getHandle('fleet-nightly').describe();
        return description.info.recentActions[0]?.action.workflow.workflowId;
      });
      assert.match(workflowId, /^rotate-fleet-nightly-/);
      const report = await client.workflow.getHandle(workflowId).result() as FleetReport;
      assert.equal(report.phase, 'Completed');
      assert.equal(report.fleetRotationId, workflowId);
      assert.equal((await getFleetStatus(client, workflowId))?.counts.Completed, 2);

      await pauseFleetSchedule(client, 'fleet-nightly', 'maintenance');
      // The schedule list is read from visibility, which lags the schedule's own state a little.
      const listed = await waitFor('the paused schedule in the list', async () =>
        (await listFleetSchedules(client)).find((s) => s.scheduleId === 'fleet-nightly' && s.paused));
      assert.deepEqual([listed.fleetName, listed.note, listed.recentRuns], ['nightly', 'maintenance', [workflowId]]);
    } finally {
      await deleteFleetSchedule(client, 'fleet-nightly');
    }
    await waitFor('the schedule gone from the list', async () =>
      !(await listFleetSchedules(client)).some((s) => s.scheduleId === 'fleet-nightly'));
  });
});
