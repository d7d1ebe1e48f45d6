// clusterRotation's controls as Signals beside the Updates of the same names, on a real dev server
// with the in-memory fake cluster: the SDK keeps one handler of each kind per name, a refused Signal
// shows in the status, the timeline and Temporal Web's current details, and an accepted one acts
// as its Update does. The Temporal CLI driving a rotation alone: test/cli-signals-e2e.test.ts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startRotation } from '../client/index.js';
import { approveSignal, pauseSignal, rejectSignal, resumeSignal } from '../workflows/definitions.js';
import { UPDATE_NAMES } from '../common/names.js';
import { FakeCluster } from './support/fakeActivities.js';
import { rotationInput, useRotationHarness } from './support/rotationHarness.js';

const rotation = useRotationHarness();
const { withWorker, waitFor, waitForPhase } = rotation;

interface Metadata {
  definition?: {
    signalDefinitions?: { name: string; description?: string }[];
    updateDefinitions?: { name: string; description?: string }[];
    queryDefinitions?: { name: string; description?: string }[];
  };
  currentDetails?: string;
}

describe('clusterRotation: controls as Signals', { concurrency: false }, () => {
  test('each control is both a Signal and an Update, with descriptions; the gate details give the Signal to send', async (t) => {
    const cluster = new FakeCluster(21, 'c21', 'us-ord', { workloads: 0, nodes: 0 });
    await withWorker(t, cluster, async (taskQueue) => {
      const { handle } = await startRotation(rotation.client, rotationInput(cluster, { recycle: { mode: 'none' } }), { taskQueue });
      await waitForPhase(21, 'AwaitingApproval');
      const metadata = await handle.query<Metadata>('__temporal_workflow_metadata');
      const signals = metadata.definition?.signalDefinitions ?? [];
      const updates = metadata.definition?.updateDefinitions ?? [];
      for (const name of UPDATE_NAMES) {
        assert.ok(signals.find((s) => s.name === name)?.description, `signal ${name} with a description`);
        assert.ok(updates.find((u) => u.name === name)?.description, `update ${name} with a description`);
      }
      assert.ok(metadata.definition?.queryDefinitions?.find((q) => q.name === 'status')?.description);
      const details = metadata.currentDetails ?? '';
      assert.match(details, /Requested by \*\*alice\*\*/);
      assert.ok(details.includes(`temporal workflow signal --workflow-id ${handle.workflowId} --name approve --input '{"by":"<your name>"}'`), details);
      assert.ok(details.includes('--name reject'), details);
      assert.match(details, /#### Plan/);

      // refused Signals: the requester's own approval, an approval without `by`, a reject without a reason
      await handle.signal(approveSignal, { by: 'Alice ' });
      await handle.signal(approveSignal);
      await handle.signal(rejectSignal, { by: 'bob' } as never);
      await handle.signal(resumeSignal, { by: 'bob' });
      const refusedStatus = await waitFor(21, (s) => (s.refusedSignals?.length ?? 0) === 4, 'four refused signals');
      assert.equal(refusedStatus.phase, 'AwaitingApproval', 'nothing refused changed the run');
      assert.deepEqual(refusedStatus.refusedSignals?.map((r) => [r.signal, r.by]),
        [['approve', 'Alice '], ['approve', null], ['reject', 'bob'], ['resume', 'bob']]);
      const [self, anonymous, reasonless, resume] = refusedStatus.refusedSignals ?? [];
      assert.match(self.reason, /requester \(alice\) cannot approve their own rotation: four-eyes/);
      assert.match(anonymous.reason, /approve needs 'by'/);
      assert.match(reasonless.reason, /reject needs a reason/);
      assert.match(resume.reason, /not paused/);
      const refusedEvents = refusedStatus.timeline.filter((e) => e.event.startsWith('signal '));
      assert.deepEqual(refusedEvents.map((e) => e.event),
        ['signal approve refused', 'signal approve refused', 'signal reject refused', 'signal resume refused']);
      assert.match(refusedEvents[0].detail ?? '', /^Alice : the requester/);
      const after = await handle.query<Metadata>('__temporal_workflow_metadata');
      assert.match(after.currentDetails ?? '', /\*\*Signal `resume` refused\*\*.*\(by bob\): the rotation is not paused/);

      // accepted Signals act as their Updates do
      await handle.signal(pauseSignal, { by: 'ops' });
      await waitFor(21, (s) => s.paused, 'paused by signal');
      await handle.signal(resumeSignal, { by: 'ops' });
      await waitFor(21, (s) => !s.paused, 'resumed by signal');
      await handle.signal(approveSignal, { by: 'bob', comment: 'looks right' });
      const report = await handle.result();
      assert.equal(report.phase, 'Completed');
      assert.deepEqual(report.finalStatus?.approvals.map((a) => [a.gate, a.by, a.comment]), [['beforeDelete', 'bob', 'looks right']]);
      assert.equal(report.finalStatus?.refusedSignals?.length, 4, 'the refusals stay in the final status');
      assert.equal(cluster.count('deleteTokenSecrets'), 1);

      const description = await handle.describe();
      assert.deepEqual(description.memo, { clusterLabel: 'c21', region: 'us-ord' }, 'the memo holds the label and region');
      assert.match(await description.staticDetails() ?? '', /Cluster \*\*21\*\*, requested by \*\*alice\*\*/);
      assert.match(await description.staticDetails() ?? '', /steer it with a Signal or an Update of the same name/);
    });
  });
});
