// Who marks a run to notify: the API's services, from the configuration (the webhook configured),
// for rotations, fleets and schedules alike; never a request body (the body schemas refuse the field).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { createFleetService, createRotationService, createScheduleService } from '../api/services.js';
import type { ClusterRotationInput, FleetRotationInput } from '../common/types.js';
import { TOKENS, bearer, withFakeApp } from './support/apiFakes.js';

/** A Temporal client that records what would be started and scheduled. */
function recordingClient() {
  const started: unknown[] = [];
  const scheduled: unknown[] = [];
  const client = {
    withDeadline: <T>(_deadline: number, call: () => Promise<T>) => call(),
    workflow: {
      start: async (_type: string, options: { workflowId: string; args: unknown[] }) => {
        started.push(options.args[0]);
        return { workflowId: options.workflowId, firstExecutionRunId: 'run-1' };
      },
    },
    schedule: {
      create: async (options: { scheduleId: string; action: { args: unknown[] } }) => {
        scheduled.push(options.action.args[0]);
        return { scheduleId: options.scheduleId };
      },
    },
  } as unknown as Client;
  return { client, started, scheduled };
}

const rotation: ClusterRotationInput = { clusterId: 5, requestedBy: 'olga' };
const fleet: FleetRotationInput = { name: 'prod', requestedBy: 'olga', selector: { tags: ['prod'] } };

describe('notify: set by the API from the configuration', () => {
  test('with the webhook configured, rotations, fleets and schedules start with notify: true', async () => {
    const { client, started, scheduled } = recordingClient();
    await createRotationService(client, { notify: true }).start(rotation);
    await createFleetService(client, { notify: true }).start(fleet);
    await createScheduleService(client, { notify: true }).create({ scheduleId: 's', fleet, timing: { every: '1h' } });
    assert.deepEqual(started.map((input) => (input as { notify?: boolean }).notify), [true, true]);
    assert.equal((scheduled[0] as FleetRotationInput).notify, true);
  });

  test('without it, the inputs go as given: no notify field at all', async () => {
    const { client, started, scheduled } = recordingClient();
    await createRotationService(client).start(rotation);
    await createFleetService(client).start(fleet);
    await createScheduleService(client).create({ scheduleId: 's', fleet, timing: { every: '1h' } });
    assert.deepEqual(started, [rotation, fleet]);
    assert.deepEqual(scheduled, [fleet]);
  });

  test('a request body cannot ask for notifications: 400 naming the field', async () => {
    await withFakeApp({}, async ({ app, deps }) => {
      for (const [url, body] of [
        ['/v1/rotations', { clusterId: 5, notify: true }],
        ['/v1/fleet-rotations', { name: 'prod', selector: { tags: ['prod'] }, notify: true }],
      ] as const) {
        const res = await app.inject({ method: 'POST', url, headers: bearer(TOKENS.operator), payload: body });
        assert.equal(res.statusCode, 400, `${url}: ${res.body}`);
        assert.match(res.body, /notify/);
      }
      assert.equal(deps.rotations.started.length, 0);
    });
  });
});
