// Signal/Update parity (docs/design.md, "The controls"): the same sequence of human controls is sent
// to two identical rotations, once as Updates and once as Signals of the same names and inputs, and
// every control gets the same decision (accepted, or refused with the same reason) and both runs end
// in the same state. A model-based property (fast-check) over random controls, identities and inputs
// at four stationary points of a rotation: the beforeDelete gate, inside the credential window (an
// activity held), Blocked after it, and the recycle gate; plus fixed examples that send every control
// at every one of those points. Real dev server, real workflows, in-memory fake clusters.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { Client } from '@temporalio/client';
import { ControlRefusedError, getRotationStatus, sendControl, startRotation } from '../client/index.js';
import { UPDATE_NAMES, clusterRotationWorkflowId, type UpdateName } from '../common/names.js';
import type { RotationActivities } from '../common/activities.js';
import type { RotationStatus } from '../common/types.js';
import { FakeCluster } from './support/fakeActivities.js';
import { rotationInput, useRotationHarness } from './support/rotationHarness.js';

const rotation = useRotationHarness();

type Channel = 'update' | 'signal';
interface Control { name: UpdateName; input?: { by: string; reason?: string; comment?: string } }
type Outcome = 'accepted' | `refused: ${string}`;

/** The four stationary points, in the order a rotation reaches them. */
const CHECKPOINTS = ['beforeDelete gate', 'credential window', 'Blocked', 'recycle gate'] as const;
const reached: Record<(typeof CHECKPOINTS)[number], (s: RotationStatus, held: boolean) => boolean> = {
  'beforeDelete gate': (s) => s.phase === 'AwaitingApproval',
  'credential window': (s, held) => held && s.phase === 'AwaitingKubeconfig',
  Blocked: (s) => s.phase === 'Blocked' && s.step === 'restartWorkloads',
  'recycle gate': (s) => s.phase === 'AwaitingRecycleApproval',
};

const TERMINAL = ['Completed', 'Rejected', 'Cancelled', 'Failed'];
/** Controls after which the run leaves a stationary point (pause and resume leave it where it is). */
const MOVING: readonly UpdateName[] = ['approve', 'reject', 'retry', 'skip', 'abort'];
const timestamps = /\d{4}-\d\d-\d\dT[\d:.]+Z/g;

/** Fake clusters by id behind one worker, so every example needs no worker of its own. */
const clusters = new Map<number, FakeCluster>();
function routedActivities(): RotationActivities {
  const names = Object.keys(new FakeCluster().activities()) as (keyof RotationActivities)[];
  return Object.fromEntries(names.map((name) => [name, (input: { clusterId: number }) => {
    const cluster = clusters.get(input.clusterId);
    if (!cluster) throw new Error(`no fake cluster ${input.clusterId}`);
    return (cluster.activities()[name] as (i: unknown) => Promise<unknown>)(input);
  }])) as unknown as RotationActivities;
}

async function send(client: Client, clusterId: number, channel: Channel, control: Control): Promise<Outcome> {
  if (channel === 'update') {
    try {
      await sendControl(client, clusterId, control.name, control.input ?? {});
      return 'accepted';
    } catch (err) {
      if (err instanceof ControlRefusedError) return `refused: ${err.reason.replace(timestamps, '<t>')}`;
      throw err;
    }
  }
  const refusals = (s: RotationStatus) => s.timeline.filter((e) => / refused$/.test(e.event) && e.event.startsWith('signal ')).length;
  const before = refusals(await getRotationStatus(client, clusterId));
  const handle = client.workflow.getHandle(clusterRotationWorkflowId(clusterId));
  await handle.signal(control.name, ...(control.input === undefined ? [] : [control.input]));
  // A Query answers from a state that includes every event written before it: the Signal was handled.
  const after = await getRotationStatus(client, clusterId);
  if (refusals(after) === before) return 'accepted';
  return `refused: ${(after.refusedSignals?.at(-1)?.reason ?? '?').replace(timestamps, '<t>')}`;
}

/** Drives the run on to the next checkpoint (or its end) with Updates, the same way on both channels. */
async function advance(client: Client, clusterId: number, target: (s: RotationStatus) => boolean): Promise<RotationStatus> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const s = await getRotationStatus(client, clusterId);
    if (TERMINAL.includes(s.phase) || target(s)) return s;
    if (Date.now() > deadline) throw new Error(`cluster ${clusterId} stuck in ${s.phase} (${s.step})`);
    const nudge: Control | null = s.paused ? { name: 'resume' }
      : s.pendingGate ? { name: 'approve', input: { by: 'driver' } }
        : s.phase === 'Blocked' ? { name: 'retry' } : null;
    if (nudge) await send(client, clusterId, 'update', nudge).catch(() => undefined);
    else await new Promise((r) => setTimeout(r, 30));
  }
}

/** What both runs must agree on at the end: no timestamps, no cluster ids, no Signal bookkeeping. */
function endState(s: RotationStatus) {
  return {
    phase: s.phase, step: s.step, paused: s.paused, pausePending: s.pausePending ?? false,
    approvals: s.approvals.map((a) => [a.gate, a.by, a.comment ?? null]),
    completedSteps: s.completedSteps, skippedSteps: s.skippedSteps, progress: s.progress,
    timeline: s.timeline.filter((e) => !e.event.startsWith('signal ')).map((e) => `${e.phase} ${e.event}`),
  };
}

let nextClusterId = 5000;

/** One rotation, driven by `plan` (controls per checkpoint) over `channel`; the decisions and the end state. */
async function drive(client: Client, taskQueue: string, channel: Channel, plan: Control[][]) {
  const cluster = new FakeCluster(nextClusterId++, 'parity', 'us-ord', { workloads: 1, nodes: 1 });
  clusters.set(cluster.clusterId, cluster);
  cluster.fail('restartWorkload', { times: 1, nonRetryable: true, type: 'DeploymentPaused', message: 'deployment is paused' });
  const hold = cluster.hold('awaitKubeconfig');
  let held = false;
  void hold.entered.then(() => { held = true; });
  const { handle } = await startRotation(client, rotationInput(cluster), { taskQueue });
  const decisions: string[] = [];
  for (const [i, point] of CHECKPOINTS.entries()) {
    const status = await advance(client, cluster.clusterId, (s) => reached[point](s, held));
    if (TERMINAL.includes(status.phase)) break;
    for (const control of plan[i] ?? []) {
      const outcome = await send(client, cluster.clusterId, channel, control);
      decisions.push(`${point}: ${control.name} ${JSON.stringify(control.input ?? null)} -> ${outcome}`);
      // the run moves on from here: what the next control would meet depends on timing, so it waits for the next point
      if (outcome === 'accepted' && MOVING.includes(control.name)) break;
    }
    if (point === 'credential window') hold.release();
  }
  hold.release();
  await advance(client, cluster.clusterId, () => false);
  const report = await handle.result();
  clusters.delete(cluster.clusterId);
  return { decisions, end: endState(report.finalStatus as RotationStatus), refusedSignals: report.finalStatus?.refusedSignals ?? [] };
}

async function assertParity(client: Client, taskQueue: string, plan: Control[][]): Promise<void> {
  const [byUpdate, bySignal] = await Promise.all([drive(client, taskQueue, 'update', plan), drive(client, taskQueue, 'signal', plan)]);
  assert.deepEqual(bySignal.decisions, byUpdate.decisions, 'every control got the same decision');
  assert.deepEqual(bySignal.end, byUpdate.end, 'both runs ended in the same state');
  const refusedCount = byUpdate.decisions.filter((d) => d.includes('-> refused')).length;
  assert.equal(bySignal.refusedSignals.length, Math.min(refusedCount, 10), 'each refused Signal is in the status');
}

const by = fc.constantFrom('alice', 'Alice ', 'bob', 'carol', '');
const controlArb: fc.Arbitrary<Control> = fc.record({
  name: fc.constantFrom(...UPDATE_NAMES),
  input: fc.option(fc.record({ by, reason: fc.constantFrom('change freeze', '') }, { requiredKeys: ['by'] }), { nil: undefined }),
});

/** Every control but abort, with one identity and a reason, in an order that sends each before anything moves the run. */
const everyControl = (who: string): Control[] => (['approve', 'reject', 'pause', 'resume', 'skip', 'retry'] as const)
  .map((name) => ({ name, input: { by: who, reason: 'looks wrong' } }));
const abort: Control = { name: 'abort', input: { by: 'ops', reason: 'change freeze' } };
const badAborts: Control[] = [{ name: 'abort' }, { name: 'abort', input: { by: 'ops', reason: '' } }, { name: 'abort', input: { by: '', reason: 'x' } }];
/** Together: every control refused and accepted at every checkpoint where it can be, abort at each of them. */
const FIXED: Control[][][] = [
  [everyControl('alice'), everyControl('bob'), everyControl('carol'), everyControl('alice')],
  [[{ name: 'pause' }, { name: 'approve', input: { by: 'bob' } }], [{ name: 'pause', input: { by: 'ops' } }, ...badAborts, abort]],
  [[...badAborts, abort]],
  [[], [], [{ name: 'retry' }]],
  [[], [], [...badAborts, abort]],
  [[], [], [], [{ name: 'reject', input: { by: 'alice', reason: 'no' } }, { name: 'reject', input: { by: 'bob', reason: 'no' } }]],
  [[], [], [], [{ name: 'pause' }, abort]],
];

describe('controls: Signals and Updates decide alike', { concurrency: false }, () => {
  test('every control at every checkpoint, and random sequences, get the same decisions and end state', { timeout: 600_000 }, async (t) => {
    const { taskQueue } = await rotation.temporal.startWorker(t, { activities: routedActivities() });
    const client = rotation.client;
    for (const plan of FIXED) await assertParity(client, taskQueue, plan);
    await fc.assert(fc.asyncProperty(fc.array(fc.array(controlArb, { maxLength: 3 }), { minLength: 4, maxLength: 4 }),
      (plan) => assertParity(client, taskQueue, plan)),
    { numRuns: Number(process.env.PARITY_RUNS ?? 8), seed: process.env.PARITY_SEED ? Number(process.env.PARITY_SEED) : undefined });
  });
});
