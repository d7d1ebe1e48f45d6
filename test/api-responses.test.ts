// The HTTP API's answers: status codes, run ids, links, 404/409, readiness and the error format, over fake services.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useFakeApp, withFakeApp } from './support/apiFakes.js';
import { assertError, operator, viewer } from './support/apiHttp.js';

describe('API responses', () => {
  const f = useFakeApp();

  it('starts a rotation with 202, the run ids, a Temporal Web link and the caller as requester', async () => {
    const res = await f.app.inject({
      method: 'POST', url: '/v1/rotations', headers: operator,
      payload: { clusterId: 77, approvals: { beforeRecycle: true }, restart: { scope: { namespaces: ['web'] } }, recycle: { mode: 'rolling' } },
    });
    assert.equal(res.statusCode, 202, res.body);
    const body = res.json();
    assert.equal(body.workflowId, 'rotate-cluster-77');
    assert.equal(body.webUrl, `http://127.0.0.1:8233/namespaces/default/workflows/rotate-cluster-77/${body.runId}`);
    assert.deepEqual(f.deps.rotations.started.at(-1), {
      clusterId: 77, approvals: { beforeRecycle: true }, restart: { scope: { namespaces: ['web'] } },
      recycle: { mode: 'rolling' }, requestedBy: 'olga',
    });
  });

  it('answers 409 when the cluster already has a rotation running', async () => {
    await f.app.inject({ method: 'POST', url: '/v1/rotations', headers: operator, payload: { clusterId: 78 } });
    const error = assertError(await f.app.inject({ method: 'POST', url: '/v1/rotations', headers: operator, payload: { clusterId: 78 } }), 409, 'conflict');
    assert.match(error.message, /rotate-cluster-78/);
  });

  it('answers 404 for a cluster without rotation and for unknown routes', async () => {
    assertError(await f.app.inject({ method: 'GET', url: '/v1/rotations/4040', headers: viewer }), 404, 'not_found');
    assertError(await f.app.inject({ method: 'POST', url: '/v1/rotations/4040/pause', headers: operator }), 404, 'not_found');
    assertError(await f.app.inject({ method: 'GET', url: '/v2/nothing' }), 404, 'not_found');
    assertError(await f.app.inject({ method: 'DELETE', url: '/v1/rotations/1', headers: operator }), 404, 'not_found');
  });

  it("answers 409 with the workflow validator's reason when an Update is refused", async () => {
    await f.app.inject({ method: 'POST', url: '/v1/rotations', headers: operator, payload: { clusterId: 79 } });
    const error = assertError(await f.app.inject({ method: 'POST', url: '/v1/rotations/79/retry', headers: operator }), 409, 'conflict');
    assert.equal(error.message, 'retry applies only to a Blocked rotation (phase is AwaitingApproval)');
  });

  it('refuses to steer a finished rotation, and resumes one whose run ended unfinished', async () => {
    await f.app.inject({ method: 'POST', url: '/v1/rotations', headers: operator, payload: { clusterId: 80 } });
    const view = f.deps.rotations.views.get(80)!;
    f.deps.rotations.views.set(80, { ...view, execution: 'COMPLETED', status: { ...view.status!, phase: 'Completed' } });
    const error = assertError(await f.app.inject({ method: 'POST', url: '/v1/rotations/80/pause', headers: operator }), 409, 'conflict');
    assert.match(error.message, /not running.*COMPLETED.*Completed/);
    const notResumable = assertError(await f.app.inject({ method: 'POST', url: '/v1/rotations/80/resume', headers: operator }), 409, 'conflict');
    assert.match(notResumable.message, /nothing to resume/);
    assert.equal(f.deps.rotations.resumed.length, 0);

    f.deps.rotations.views.set(80, { ...view, execution: 'TERMINATED' });
    const resumed = await f.app.inject({ method: 'POST', url: '/v1/rotations/80/resume', headers: operator });
    assert.equal(resumed.statusCode, 202, resumed.body);
    assert.notEqual(resumed.json().runId, view.runId);
    assert.deepEqual(f.deps.rotations.resumed, [{ clusterId: 80, requestedBy: 'olga' }]);
  });

  it('passes list filters and paging to the service', async () => {
    const res = await f.app.inject({
      method: 'GET', url: '/v1/rotations?phase=Blocked&clusterId=12&fleet=nightly-1&pageSize=10&nextPageToken=abc_-9', headers: viewer,
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { rotations: [], nextPageToken: null });
    assert.deepEqual(f.deps.rotations.listed.at(-1), {
      phase: 'Blocked', clusterId: 12, fleetRotationId: 'nightly-1', pageSize: 10, nextPageToken: 'abc_-9',
    });
  });

  it('lists clusters with filters and Linode paging', async () => {
    const res = await f.app.inject({ method: 'GET', url: '/v1/clusters?tag=prod&region=us-iad&page=2&pageSize=25', headers: viewer });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().data[0].id, 101);
    assert.deepEqual(f.deps.clusters.calls.at(-1), [{ tag: 'prod', region: 'us-iad', label: undefined }, { page: 2, pageSize: 25 }]);
    assertError(await f.app.inject({ method: 'GET', url: '/v1/clusters?pageSize=5', headers: viewer }), 400, 'invalid_request', 'pageSize');
  });

  it('reports readiness from Temporal: 503 when it is unreachable', async () => {
    assert.deepEqual((await f.app.inject({ method: 'GET', url: '/readyz' })).json(), { status: 'ok' });
    await withFakeApp({ temporalHealth: async () => false }, async ({ app }) => {
      assertError(await app.inject({ method: 'GET', url: '/readyz' }), 503, 'unavailable');
      assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
    });
    const refused = async () => { throw new Error('connect ECONNREFUSED 127.0.0.1:7233'); };
    await withFakeApp({ temporalHealth: refused }, async ({ app }) => {
      const error = assertError(await app.inject({ method: 'GET', url: '/readyz' }), 503, 'unavailable');
      assert.doesNotMatch(error.message, /ECONNREFUSED/);
    });
  });

  it('hides internal errors behind a bare 500', async () => {
    await withFakeApp({}, async ({ app, deps }) => {
      deps.rotations.start = async () => { throw new Error('secret internal detail at /srv/x.ts:1:2'); };
      const res = await app.inject({ method: 'POST', url: '/v1/rotations', headers: operator, payload: { clusterId: 1 } });
      assert.deepEqual(res.json(), { error: { code: 'internal_error', message: 'internal error' } });
      assert.equal(res.statusCode, 500);
    });
  });
});
