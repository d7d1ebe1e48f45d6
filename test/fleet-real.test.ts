// Fleet rotation with the real clusterRotation children (over in-memory fake clusters): every
// cluster is rotated once, after the canary gate, and no token reaches the fleet's history. This
// run is the recorded fleet-canary history (RECORD_HISTORIES=1).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { createFleetActivities } from '../activities/fleet.js';
import { getFleetStatus, sendControl, sendFleetControl, startFleetRotation } from '../client/index.js';
import type { RotationActivities } from '../common/activities.js';
import { fleetRotationWorkflowId } from '../common/names.js';
import type { FleetReport, FleetRotationInput, FleetStatus } from '../common/types.js';
import { FakeCluster } from './support/fakeActivities.js';
import { FakeLinode, noKube, range, waitFor } from './support/fleetFakes.js';
import { recordFixture } from './support/histories.js';
import { useTemporal } from './support/temporal.js';

Runtime.install({ logger: new DefaultLogger('WARN') });
const temporal = useTemporal();

describe('fleet rotation with the real clusterRotation', { timeout: 240_000 }, () => {
  test('every cluster rotated once, after the canary gate; no token in the fleet history', async (t) => {
    const { client } = temporal;
    const linode = new FakeLinode();
    const ids = range(900, 3);
    linode.add('real', ids, 'us-sea');
    const fakes = new Map(ids.map((id) => [id, new FakeCluster(id, `lke-${id}`, 'us-sea')]));
    const byCluster = (name: keyof RotationActivities) => (input: { clusterId: number }) =>
      (fakes.get(input.clusterId)!.activities()[name] as (i: unknown) => Promise<unknown>)(input);
    const rotationActivities = Object.fromEntries(
      Object.keys(fakes.get(900)!.activities()).map((name) => [name, byCluster(name as keyof RotationActivities)]));
    const { taskQueue } = await temporal.startWorker(t, {
      activities: { ...rotationActivities, ...createFleetActivities({ linode, kube: noKube, client }) },
    });

    const input: FleetRotationInput = {
      name: 'real', requestedBy: 'alice', selector: { tags: ['real'] }, watchIntervalMs: 300, rotation: { restart: { scope: 'all' } },
    };
    await startFleetRotation(client, input, { taskQueue });
    // Nobody but the requester has approved anything yet, so the canary cluster waits at its own gate.
    await waitFor('the canary cluster at its own gate', async () =>
      (await getFleetStatus(client, 'real', { withRotationPhases: true }))?.clusters[0]?.rotationPhase === 'AwaitingApproval');
    await sendControl(client, 900, 'approve', { by: 'bob' });
    await waitFor('fleet real to be AwaitingApproval', async () => {
      const status: FleetStatus | null = await getFleetStatus(client, 'real');
      return status?.phase === 'AwaitingApproval' && status;
    });
    const live = await getFleetStatus(client, 'real', { withRotationPhases: true });
    assert.equal(live?.counts.Completed, 1);
    await sendFleetControl(client, 'real', { update: 'approve', input: { by: 'bob' } });

    const handle = client.workflow.getHandle(fleetRotationWorkflowId('real'));
    const report = await handle.result() as FleetReport;
    assert.equal(report.phase, 'Completed', JSON.stringify(report.clusters.map((c) => [c.id, c.phase, c.error])));
    for (const [id, fake] of fakes) {
      assert.equal(fake.count('deleteTokenSecrets'), 1, `cluster ${id} tokens deleted once`);
      assert.equal(fake.count('regenerateCredentials'), 1, `cluster ${id} regenerated once`);
    }
    const history = await handle.fetchHistory();
    const text = JSON.stringify(history);
    const tokens = [...fakes.values()].flatMap((fake) => fake.issuedTokens);
    assert.ok(tokens.length > 0 && tokens.every((token) => !text.includes(token)), 'no token in the fleet history');
    recordFixture('fleet-canary', history);
  });
});
