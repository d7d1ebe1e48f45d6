// The gate policy at the API, over fake services: switching an approval gate off needs the admin
// role (and names the admin in the workflow input), a fleet over every cluster says `all: true`, and
// schedules run at most hourly, their no-gate fleets by an admin only.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, TOKENS, useFakeApp } from './support/apiFakes.js';
import { assertError } from './support/apiHttp.js';

const operator = bearer(TOKENS.operator);
const admin = bearer(TOKENS.admin);

describe('API gate policy', () => {
  const f = useFakeApp();
  const post = (url: string, headers: Record<string, string>, payload: object) => f.app.inject({ method: 'POST', url, headers, payload });

  it('refuses an operator switching a rotation gate off, naming the field and the role; an admin is recorded as who did', async () => {
    for (const gate of ['beforeDelete', 'beforeRecycle']) {
      const error = assertError(await post('/v1/rotations', operator, { clusterId: 31, approvals: { [gate]: false } }), 403, 'forbidden', `approvals.${gate}`);
      assert.equal(error.message, `'olga' lacks the 'admin' role needed to switch approval gates off (approvals.${gate}): the rotation would pass without a second person's approval`);
    }
    assert.equal(f.deps.rotations.started.length, 0);
    const started = await post('/v1/rotations', admin, { clusterId: 31, approvals: { beforeDelete: false } });
    assert.equal(started.statusCode, 202, started.body);
    assert.deepEqual(f.deps.rotations.started.at(-1)?.approvals, { beforeDelete: false, disabledBy: 'root-admin' });
    assert.equal(f.deps.rotations.started.at(-1)?.requestedBy, 'root-admin');
    // gates left on need no privilege, and no disabledBy is written
    assert.equal((await post('/v1/rotations', operator, { clusterId: 32, approvals: { beforeDelete: true } })).statusCode, 202);
    assert.deepEqual(f.deps.rotations.started.at(-1)?.approvals, { beforeDelete: true });
  });

  it('a body cannot name who switched a gate off', async () => {
    assertError(await post('/v1/rotations', admin, { clusterId: 33, approvals: { beforeDelete: false, disabledBy: 'someone' } }), 400, 'invalid_request', 'approvals.disabledBy');
    assertError(await post('/v1/fleet-rotations', admin, { name: 'spoof', selector: { tags: ['x'] }, gatesDisabledBy: 'someone' }), 400, 'invalid_request', 'gatesDisabledBy');
  });

  it('refuses an operator a fleet that passes no gate; an admin starts it with gatesDisabledBy', async () => {
    const cases: [object, string][] = [
      [{ waves: { canary: 0 } }, 'waves.canary'],
      [{ waves: { canaryApproval: false } }, 'waves.canaryApproval'],
      [{ rotation: { approvals: { beforeDelete: false } } }, 'rotation.approvals.beforeDelete'],
    ];
    for (const [extra, field] of cases) {
      const error = assertError(await post('/v1/fleet-rotations', operator, { name: 'nogate', selector: { tags: ['prod'] }, ...extra }), 403, 'forbidden', field);
      assert.match(error.message, new RegExp(`'olga' lacks the 'admin' role needed to switch approval gates off \\(${field.replace(/\./g, '\\.')}\\)`));
    }
    assert.equal(f.deps.fleets.started.length, 0);
    const started = await post('/v1/fleet-rotations', admin, { name: 'nogate', selector: { tags: ['prod'] }, waves: { canary: 0 } });
    assert.equal(started.statusCode, 202, started.body);
    assert.equal(f.deps.fleets.started.at(-1)?.gatesDisabledBy, 'root-admin');
  });

  it('a fleet over every cluster must say all: true', async () => {
    const error = assertError(await post('/v1/fleet-rotations', operator, { name: 'everything', selector: {} }), 400, 'invalid_request', 'selector.all');
    assert.match(error.message, /selects every cluster of the account: set selector.all to true/);
    assertError(await post('/v1/fleet-rotations', operator, { name: 'everything', selector: { all: false } }), 400, 'invalid_request', 'selector.all');
    const started = await post('/v1/fleet-rotations', operator, { name: 'everything', selector: { all: true } });
    assert.equal(started.statusCode, 202, started.body);
    assert.equal(f.deps.fleets.started.at(-1)?.gatesDisabledBy, undefined);
  });

  it('schedules: a fleet that passes no gate is an admin\'s; never more often than hourly', async () => {
    const schedule = (scheduleId: string, timing: object, fleet: object = {}) =>
      ({ scheduleId, timing, fleet: { name: scheduleId, selector: { tags: ['prod'] }, ...fleet } });
    assertError(await post('/v1/schedules', operator, schedule('nightly', { cron: '0 3 * * *' }, { waves: { canaryApproval: false } })),
      403, 'forbidden', 'fleet.waves.canaryApproval');
    const byAdmin = await post('/v1/schedules', admin, schedule('nightly', { cron: '0 3 * * *' }, { waves: { canaryApproval: false } }));
    assert.equal(byAdmin.statusCode, 201, byAdmin.body);
    assert.equal(f.deps.schedules.created.at(-1)?.fleet.gatesDisabledBy, 'root-admin');
    assertError(await post('/v1/schedules', operator, schedule('all', { every: '30 days' }, { selector: {} })), 400, 'invalid_request', 'fleet.selector.all');

    for (const every of ['59m', '30 minutes', '3600s']) {
      const res = await post('/v1/schedules', operator, schedule(`every-${every.replace(/\W/g, '')}`, { every }));
      if (every === '3600s') assert.equal(res.statusCode, 201, res.body);
      else assert.match(assertError(res, 400, 'invalid_request', 'timing.every').message, /at most once an hour/);
    }
    for (const cron of ['*/5 * * * *', '0,30 * * * *', '0-10 3 * * *', '* 3 * * *']) {
      assert.match(assertError(await post('/v1/schedules', operator, schedule('often', { cron })), 400, 'invalid_request', 'timing.cron').message,
        /may fire more often than hourly/);
    }
    assert.equal((await post('/v1/schedules', operator, schedule('hourly', { cron: '15 * * * *' }))).statusCode, 201);
    assert.equal((await post('/v1/schedules', operator, schedule('daily', { every: '1d' }))).statusCode, 201);
  });
});
