// The HTTP API's fleet-rotation and schedule routes, over fake services.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { InjectOptions } from 'fastify';
import { TOKENS, bearer, useFakeApp, withFakeApp } from './support/apiFakes.js';
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

  it('starts a staged fleet; refuses stages that break a rule (400, naming the field) and stages without a gate unless an admin asks', async () => {
    const stages = [
      { name: 'canary', select: { count: 1 }, approval: true, soakMs: 600_000 },
      { select: { percent: 10 }, soakMs: 60_000 }, { select: { region: 'us-iad' } }, { select: { tag: 'db' } }, { select: { rest: true } },
    ];
    const res = await startFleet({ name: 'staged', selector: { tags: ['prod'] }, stages });
    assert.equal(res.statusCode, 202, res.body);
    assert.deepEqual(f.deps.fleets.started.at(-1), { name: 'staged', selector: { tags: ['prod'] }, stages, requestedBy: 'olga' });
    const bad: [unknown[], string, RegExp?][] = [
      [[], 'stages'],
      [[{ select: { percent: 0 } }], 'stages.0.select.percent'],
      [[{ select: { percent: 101 } }], 'stages.0.select.percent'],
      [[{ select: { count: 1, tag: 'x' } }], 'stages.0.select', /exactly one of count, percent, region, tag, rest/],
      [[{ select: { rest: false } }], 'stages.0.select.rest'],
      [[{ select: { region: 'US East' } }], 'stages.0.select.region'],
      [[{ select: {} }], 'stages.0.select'],
      [[{ select: { count: 1 }, soakMs: -1 }], 'stages.0.soakMs'],
      [[{ select: { count: 1 }, colour: 'red' }], 'stages.0.colour'],
      [[{ select: { rest: true }, approval: true }, { select: { count: 1 } }], 'stages.0.select', /only the last stage may take the rest/],
      [[{ name: 'a', select: { count: 1 }, approval: true }, { name: 'a', select: { rest: true } }], 'stages.1.name', /used twice/],
    ];
    for (const [list, field, message] of bad) {
      const error = assertError(await startFleet({ name: 'bad', selector: { tags: ['prod'] }, stages: list }), 400, 'invalid_request', field);
      if (message) assert.match(error.message, message);
    }
    const both = assertError(await startFleet({ name: 'bad', selector: { tags: ['prod'] }, stages, waves: { canary: 2 } }), 400, 'invalid_request', 'waves');
    assert.match(both.message, /either stages or waves/);
    // stages without a gate let clusters pass without a second person: the admin role, recorded as who
    const ungated = [{ select: { count: 1 } }, { select: { rest: true }, approval: true }];
    const forbidden = assertError(await startFleet({ name: 'ungated', selector: { tags: ['prod'] }, stages: ungated }), 403, 'forbidden', 'stages');
    assert.match(forbidden.message, /lacks the 'admin' role/);
    const admin = await f.app.inject({
      method: 'POST', url: '/v1/fleet-rotations', headers: bearer(TOKENS.admin),
      payload: { name: 'ungated', selector: { tags: ['prod'] }, stages: ungated },
    });
    assert.equal(admin.statusCode, 202, admin.body);
    assert.equal(f.deps.fleets.started.at(-1)?.gatesDisabledBy, 'root-admin');
    const schedule = await f.app.inject({
      method: 'POST', url: '/v1/schedules', headers: operator,
      payload: { scheduleId: 'staged', fleet: { name: 'staged-monthly', selector: { tags: ['prod'] }, stages: [{ select: { rest: true } }, { select: { count: 1 } }] }, timing: { every: '30 days' } },
    });
    assertError(schedule, 400, 'invalid_request', 'fleet.stages.0.select');
  });

  it('approve names the stage it answers (passed to the Update); an unknown field is refused', async () => {
    const approve = (payload: unknown) => f.app.inject({
      method: 'POST', url: '/v1/fleet-rotations/nightly/approve', headers: bearer(TOKENS.approver), payload: payload as InjectOptions['payload'],
    });
    const res = await approve({ stage: 'canary', comment: 'looks fine' });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(f.deps.fleets.controls.at(-1), {
      fleet: 'rotate-fleet-nightly', control: { update: 'approve', input: { by: 'ana', comment: 'looks fine', stage: 'canary' } },
    });
    assertError(await approve({ stage: '' }), 400, 'invalid_request', 'stage');
    assertError(await approve({ wave: 1 }), 400, 'invalid_request', 'wave');
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
