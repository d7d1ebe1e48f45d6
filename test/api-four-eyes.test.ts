// Who the API says did what (the caller, never a body field) and the four-eyes rule, over fake services.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, TOKENS, withFakeApp } from './support/apiFakes.js';

describe('API identity and four-eyes', () => {
  it('records the caller as requester and approver, never a body field', async () => {
    await withFakeApp({}, async ({ app, deps }) => {
      const spoofed = await app.inject({
        method: 'POST', url: '/v1/rotations', headers: bearer(TOKENS.operator), payload: { clusterId: 11, requestedBy: 'ana' },
      });
      assert.equal(spoofed.statusCode, 400);
      assert.equal(spoofed.json().error.field, 'requestedBy');

      const started = await app.inject({ method: 'POST', url: '/v1/rotations', headers: bearer(TOKENS.operator), payload: { clusterId: 11 } });
      assert.equal(started.statusCode, 202);
      assert.equal(deps.rotations.started[0].requestedBy, 'olga');

      const spoofedApproval = await app.inject({
        method: 'POST', url: '/v1/rotations/11/approve', headers: bearer(TOKENS.approver), payload: { by: 'olga' },
      });
      assert.equal(spoofedApproval.statusCode, 400);
      assert.equal(deps.rotations.controls.length, 0);

      const approved = await app.inject({
        method: 'POST', url: '/v1/rotations/11/approve', headers: bearer(TOKENS.approver), payload: { comment: 'looks right' },
      });
      assert.equal(approved.statusCode, 200);
      assert.deepEqual(deps.rotations.controls, [{ clusterId: 11, control: { update: 'approve', input: { by: 'ana', comment: 'looks right' } } }]);
    });
  });

  it('forbids approving a rotation one requested, and sends nothing to the workflow', async () => {
    await withFakeApp({}, async ({ app, deps }) => {
      await app.inject({ method: 'POST', url: '/v1/rotations', headers: bearer(TOKENS.opsApprover), payload: { clusterId: 12 } });
      const res = await app.inject({ method: 'POST', url: '/v1/rotations/12/approve', headers: bearer(TOKENS.opsApprover), payload: {} });
      assert.equal(res.statusCode, 403);
      assert.match(res.json().error.message, /four-eyes/);
      assert.equal(deps.rotations.controls.length, 0);
      // rejecting is a gate answer too: the requester stops their own rotation with abort
      const rejected = await app.inject({ method: 'POST', url: '/v1/rotations/12/reject', headers: bearer(TOKENS.opsApprover), payload: { reason: 'changed my mind' } });
      assert.equal(rejected.statusCode, 403);
      assert.match(rejected.json().error.message, /four-eyes rule: 'sam' requested this rotation and cannot reject it \(abort stops it\)/);
      assert.equal(deps.rotations.controls.length, 0);
    });
  });

  it('applies four-eyes to fleet rotations too, with the caller recorded on start and approval', async () => {
    await withFakeApp({}, async ({ app, deps }) => {
      const started = await app.inject({
        method: 'POST', url: '/v1/fleet-rotations', headers: bearer(TOKENS.opsApprover), payload: { name: 'weekly', selector: { tags: ['prod'] } },
      });
      assert.equal(started.statusCode, 202, started.body);
      assert.equal(deps.fleets.started[0].requestedBy, 'sam');
      const own = await app.inject({ method: 'POST', url: '/v1/fleet-rotations/weekly/approve', headers: bearer(TOKENS.opsApprover), payload: {} });
      assert.equal(own.statusCode, 403);
      assert.match(own.json().error.message, /four-eyes/);
      const other = await app.inject({ method: 'POST', url: '/v1/fleet-rotations/weekly/approve', headers: bearer(TOKENS.approver), payload: { comment: 'canary fine' } });
      assert.equal(other.statusCode, 200, other.body);
      assert.deepEqual(deps.fleets.controls, [{ fleet: 'rotate-fleet-weekly', control: { update: 'approve', input: { by: 'ana', comment: 'canary fine' } } }]);
    });
  });

  it('records the caller as the requester of scheduled fleet runs', async () => {
    await withFakeApp({}, async ({ app, deps }) => {
      const res = await app.inject({
        method: 'POST', url: '/v1/schedules', headers: bearer(TOKENS.operator),
        payload: { scheduleId: 'monthly', fleet: { name: 'monthly', selector: { all: true } }, timing: { cron: '0 3 1 * *' } },
      });
      assert.equal(res.statusCode, 201, res.body);
      assert.equal(deps.schedules.created[0].fleet.requestedBy, 'olga');
      const spoofed = await app.inject({
        method: 'POST', url: '/v1/schedules', headers: bearer(TOKENS.operator),
        payload: { scheduleId: 'other', fleet: { name: 'other', selector: { all: true }, requestedBy: 'ana' }, timing: { every: '1d' } },
      });
      assert.equal(spoofed.statusCode, 400);
      assert.equal(spoofed.json().error.field, 'fleet.requestedBy');
    });
  });

  it('compares identities trimmed and case-insensitive', async () => {
    await withFakeApp({}, async ({ app, deps }) => {
      await app.inject({ method: 'POST', url: '/v1/rotations', headers: bearer(TOKENS.opsApprover), payload: { clusterId: 13 } });
      deps.rotations.views.get(13)!.status!.requestedBy = ' SAM ';
      const res = await app.inject({ method: 'POST', url: '/v1/rotations/13/approve', headers: bearer(TOKENS.opsApprover), payload: {} });
      assert.equal(res.statusCode, 403);
      assert.equal(deps.rotations.controls.length, 0);
    });
  });
});
