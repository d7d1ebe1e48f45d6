// Resuming a fleet rotation whose run was terminated (Temporal Web's "Terminate", a timeout): a new
// run of the same workflow id carries the old run's state. Finished clusters are not rotated again,
// the rotation running at the terminate is followed to its end, the rest go on; through the client,
// the API's `resume` and (by the same route) the CLI. A real dev server and worker over stand-in
// child rotations (test/support/fleetStubWorkflows.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FleetNotResumableError, resumeFleetRotation, startFleetRotation } from '../client/index.js';
import { fleetRotationWorkflowId } from '../common/names.js';
import { range, waitFor } from './support/fleetFakes.js';
import { useFleetStub } from './support/fleetHarness.js';

const fleetStub = useFleetStub();
const { linode, work, statusOf, resultOf, fleet } = fleetStub;

describe('fleet resume', { timeout: 120_000 }, () => {
  test('a terminated fleet resumes: nothing finished is rotated again, the running rotation is followed, the rest continue', async () => {
    work.reset();
    const ids = range(900, 4);
    linode.add('resumable', ids);
    let release!: () => void;
    work.behaviour.set(901, { until: new Promise<void>((resolve) => { release = resolve; }) });
    await startFleetRotation(fleetStub.client, fleet('resumable', 'resumable', { concurrency: 1, waves: { canary: 0 } }));
    await waitFor('900 done and 901 under way', async () => {
      const status = await statusOf('resumable');
      return status.counts.Completed === 1 && work.callsFor([901]) === 1;
    });
    const handle = fleetStub.client.workflow.getHandle(fleetRotationWorkflowId('resumable'));
    await handle.terminate('operator terminated the fleet from Temporal Web');

    await assert.rejects(resumeFleetRotation(fleetStub.client, 'no-such-fleet', { resumedBy: 'erin' }));
    const resumed = await resumeFleetRotation(fleetStub.client, 'resumable', { resumedBy: 'erin' });
    assert.equal(resumed.workflowId, fleetRotationWorkflowId('resumable'));
    await assert.rejects(resumeFleetRotation(fleetStub.client, 'resumable', { resumedBy: 'erin' }), FleetNotResumableError, 'a running fleet is not resumed');
    release();

    const report = await resultOf('resumable');
    assert.equal(report.phase, 'Completed');
    assert.deepEqual(report.clusters.map((c) => [c.id, c.phase]), ids.map((id) => [id, 'Completed']));
    assert.equal(work.callsFor(ids), 4, 'each cluster rotated once across both runs');
    assert.ok(report.runs >= 2);
    assert.ok(report.timeline.some((t) => t.event === 'resumed' && t.detail?.includes('erin')));
    await assert.rejects(resumeFleetRotation(fleetStub.client, 'resumable', { resumedBy: 'erin' }), /ended COMPLETED with its report/);
  });
});
