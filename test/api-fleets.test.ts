// The HTTP API's fleet-rotation and schedule routes, over fake services.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { InjectOptions } from 'fastify';
import { useFakeApp, withFakeApp } from './support/apiFakes.js';
import { assertError, operator, viewer } from './support/apiHttp.js';

describe('API fleet rotations and schedules', () => {
  const f = useFakeApp();
  const startFleet = (payload: unknown) =>
    f.app.inject({ method: 'POST', url: '/v1/fleet-rotations', headers: operator, payload: payload as InjectOptions['payload'] });

  it('starts a fleet with 202 and answers 409 for a running one of the same name', async () => {
    const body = {
      name: 'nightly', selector: { regions: ['us-iad'], labelPattern: 'prod-*' }, rotation: { restart: { scope: 'none' } },
      waves: { canary: 1 }, concurrency: 10, errorBudget: { percent: 10 }, soakMs: 1000,
    };
    const res = await startFleet(body);
    assert.equal(res.statusCode, 202, res.body);
    assert.equal(res.json().workflowId, 'rotate-fleet-nightly');
    assert.deepEqual(f.deps.fleets.started.at(-1), { ...body, requestedBy: 'olga' });
    assertError(await startFleet(body), 409, 'conflict');
    const status = await f.app.inject({ method: 'GET', url: '/v1/fleet-rotations/nightly', headers: viewer });
    assert.equal(status.statusCode, 200);
    assert.equal(status.json().status.pendingGate.gate, 'canary');
    assert.equal(status.json().status.counts.Completed, 1);
  });

  it('refuses bad fleet input and names the field', async () => {
    const cases: [unknown, string][] = [
      [{ selector: {} }, 'name'],
      [{ name: 'Bad Name', selector: {} }, 'name'],
      [{ name: 'ok' }, 'selector'],
      [{ name: 'ok', selector: { clusterIds: [-1] } }, 'selector.clusterIds.0'],
      [{ name: 'ok', selector: { clusterIds: [1, 1] } }, 'selector.clusterIds'],
      [{ name: 'ok', selector: { zones: ['x'] } }, 'selector.zones'],
      [{ name: 'ok', selector: {}, concurrency: 0 }, 'concurrency'],
      [{ name: 'ok', selector: {}, errorBudget: { percent: 150 } }, 'errorBudget.percent'],
      [{ name: 'ok', selector: {}, errorBudget: { count: 1, percent: 1 } }, 'errorBudget'],
      [{ name: 'ok', selector: {}, rotation: { clusterId: 5 } }, 'rotation.clusterId'],
    ];
    for (const [payload, field] of cases) assertError(await startFleet(payload), 400, 'invalid_request', field);
    assert.equal(f.deps.fleets.started.length, 1);
  });

  it('answers 404 for an unknown fleet and 409 when steering one that ended', async () => {
    assertError(await f.app.inject({ method: 'GET', url: '/v1/fleet-rotations/nope', headers: viewer }), 404, 'not_found');
    assertError(await f.app.inject({ method: 'POST', url: '/v1/fleet-rotations/nope/pause', headers: operator }), 404, 'not_found');
    await f.deps.fleets.start({ name: 'ended', requestedBy: 'x', selector: {} });
    const view = f.deps.fleets.views.get('rotate-fleet-ended')!;
    f.deps.fleets.views.set('rotate-fleet-ended', { ...view, execution: 'COMPLETED' });
    assertError(await f.app.inject({ method: 'POST', url: '/v1/fleet-rotations/ended/pause', headers: operator }), 409, 'conflict');
    const skip = await f.app.inject({ method: 'POST', url: '/v1/fleet-rotations/nightly/skip', headers: operator, payload: { clusterIds: [101] } });
    assert.equal(skip.statusCode, 200, skip.body);
    assert.deepEqual(f.deps.fleets.controls.at(-1), { fleet: 'rotate-fleet-nightly', control: { update: 'skip', input: { by: 'olga', clusterIds: [101] } } });
  });

  it('resume continues a terminated fleet in a new run (202); one that ended with its report is 409', async () => {
    await f.deps.fleets.start({ name: 'cut-off', requestedBy: 'x', selector: {} });
    const view = f.deps.fleets.views.get('rotate-fleet-cut-off')!;
    f.deps.fleets.views.set('rotate-fleet-cut-off', { ...view, execution: 'TERMINATED' });
    const resumed = await f.app.inject({ method: 'POST', url: '/v1/fleet-rotations/cut-off/resume', headers: operator });
    assert.equal(resumed.statusCode, 202, resumed.body);
    assert.equal(resumed.json().workflowId, 'rotate-fleet-cut-off');
    assert.deepEqual(f.deps.fleets.resumed.at(-1), { fleet: 'rotate-fleet-cut-off', resumedBy: 'olga' });
    f.deps.fleets.views.set('rotate-fleet-cut-off', { ...view, execution: 'COMPLETED' });
    const refused = assertError(await f.app.inject({ method: 'POST', url: '/v1/fleet-rotations/cut-off/resume', headers: operator }), 409, 'conflict');
    assert.match(refused.message, /nothing to resume/);
  });

  it('creates, lists, pauses, triggers and deletes schedules; 404 and 409 by id', async () => {
    const create = (payload: unknown) =>
      f.app.inject({ method: 'POST', url: '/v1/schedules', headers: operator, payload: payload as InjectOptions['payload'] });
    const body = { scheduleId: 'monthly', fleet: { name: 'monthly', selector: { tags: ['prod'] } }, timing: { every: '30 days' }, note: 'n' };
    assert.equal((await create(body)).statusCode, 201);
    assertError(await create(body), 409, 'conflict');
    for (const [payload, field] of [
      [{ ...body, scheduleId: 'x', timing: { every: 'often' } }, 'timing.every'],
      [{ ...body, scheduleId: 'x', timing: { every: '1d', cron: '* * * * *' } }, 'timing'],
      [{ ...body, scheduleId: 'x', timing: { cron: 'never' } }, 'timing.cron'],
      [{ ...body, scheduleId: 'Bad_Id' }, 'scheduleId'],
      [{ ...body, scheduleId: 'x', fleet: { name: 'x' } }, 'fleet.selector'],
    ] as [unknown, string][]) {
      assertError(await create(payload), 400, 'invalid_request', field);
    }
    const listed = await f.app.inject({ method: 'GET', url: '/v1/schedules', headers: viewer });
    assert.deepEqual(listed.json().schedules.map((x: { scheduleId: string }) => x.scheduleId), ['monthly']);
    for (const action of ['pause', 'unpause', 'trigger']) {
      const res = await f.app.inject({ method: 'POST', url: `/v1/schedules/monthly/${action}`, headers: operator });
      assert.equal(res.statusCode, 204, res.body);
      assertError(await f.app.inject({ method: 'POST', url: `/v1/schedules/unknown/${action}`, headers: operator }), 404, 'not_found');
    }
    assert.equal((await f.app.inject({ method: 'DELETE', url: '/v1/schedules/monthly', headers: operator })).statusCode, 204);
    assert.deepEqual(f.deps.schedules.actions, ['pause monthly', 'unpause monthly', 'trigger monthly', 'delete monthly']);
    assertError(await f.app.inject({ method: 'DELETE', url: '/v1/schedules/unknown', headers: operator }), 404, 'not_found');
  });

  it('serves no fleet or schedule routes when those services are absent', async () => {
    await withFakeApp({ fleets: undefined, schedules: undefined }, async ({ app }) => {
      assertError(await app.inject({ method: 'GET', url: '/v1/fleet-rotations', headers: viewer }), 404, 'not_found');
      assertError(await app.inject({ method: 'GET', url: '/v1/schedules', headers: viewer }), 404, 'not_found');
    });
  });
});
