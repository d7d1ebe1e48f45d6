// The HTTP API: input validation, error format, 404/409, OpenAPI; over fake services here, and
// (at the end of this file) a real rotation through a real dev server, worker and simulator.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { compose } from '../activities/compose.js';
import { Secret } from '../config/config.js';
import { buildApp } from '../api/app.js';
import {
  createClusterService, createFleetService, createRotationService, createScheduleService, temporalHealthCheck,
} from '../api/services.js';
import { TASK_QUEUE } from '../common/names.js';
import { useSimulator } from './support/sim.js';
import { useTemporal } from './support/temporal.js';
import { API_TOKENS, bearer, TOKENS, useFakeApp, withFakeApp } from './support/apiFakes.js';

const operator = bearer(TOKENS.operator);
const viewer = bearer(TOKENS.viewer);
const json = { 'content-type': 'application/json' };

function assertError(res: { statusCode: number; json(): unknown; body: string }, status: number, code: string, field?: string) {
  assert.equal(res.statusCode, status, res.body);
  const body = res.json() as { error: { code: string; message: string; field?: string } };
  assert.deepEqual(Object.keys(body), ['error']);
  assert.equal(body.error.code, code);
  assert.equal(typeof body.error.message, 'string');
  assert.ok(body.error.message.length > 0);
  assert.doesNotMatch(body.error.message, /\bat .+:\d+:\d+|node_modules|FST_/, 'no stack or internals');
  for (const key of Object.keys(body.error)) assert.ok(['code', 'message', 'field'].includes(key), key);
  if (field !== undefined) assert.equal(body.error.field, field, body.error.message);
  return body.error;
}

describe('API input validation', () => {
  const f = useFakeApp();

  const start = (payload: unknown, headers: Record<string, string> = {}) =>
    f.app.inject({ method: 'POST', url: '/v1/rotations', headers: { ...operator, ...headers }, payload: payload as InjectOptions['payload'] });

  it('refuses wrong types and names the field', async () => {
    const cases: [unknown, string][] = [
      [{ clusterId: '5' }, 'clusterId'],
      [{ clusterId: 5.5 }, 'clusterId'],
      [{ clusterId: true }, 'clusterId'],
      [{ clusterId: null }, 'clusterId'],
      [{ clusterId: 5, dryRun: 'yes' }, 'dryRun'],
      [{ clusterId: 5, approvals: { beforeDelete: 1 } }, 'approvals.beforeDelete'],
      [{ clusterId: 5, restart: { scope: 'everything' } }, 'restart.scope'],
      [{ clusterId: 5, restart: { scope: { namespaces: ['Not_A_Namespace'] } } }, 'restart.scope.namespaces.0'],
      [{ clusterId: 5, recycle: { mode: 'fast' } }, 'recycle.mode'],
    ];
    for (const [payload, field] of cases) {
      const error = assertError(await start(payload), 400, 'invalid_request', field);
      assert.match(error.message, new RegExp(field.replace('.', '\\.')));
    }
    assert.equal(f.deps.rotations.started.length, 0, 'nothing was started');
  });

  it('refuses unknown fields at every level instead of dropping them', async () => {
    const cases: [unknown, string][] = [
      [{ clusterId: 5, force: true }, 'force'],
      [{ clusterId: 5, requestedBy: 'mallory' }, 'requestedBy'],
      [{ clusterId: 5, approvals: { beforeDelete: false, skipAll: true } }, 'approvals.skipAll'],
      [{ clusterId: 5, recycle: { mode: 'rolling', parallel: 10 } }, 'recycle.parallel'],
    ];
    for (const [payload, field] of cases) {
      const error = assertError(await start(payload), 400, 'invalid_request', field);
      assert.match(error.message, /unknown field/);
    }
    assertError(await f.app.inject({ method: 'GET', url: '/v1/rotations?colour=red', headers: viewer }), 400, 'invalid_request', 'colour');
    assertError(await f.app.inject({ method: 'POST', url: '/v1/rotations/5/pause', headers: operator, payload: { by: 'x' } }), 400, 'invalid_request', 'by');
    assert.equal(f.deps.rotations.started.length, 0);
  });

  it('names a missing required field', async () => {
    assertError(await start({}), 400, 'invalid_request', 'clusterId');
    assertError(await start({ clusterId: 5, restart: {} }), 400, 'invalid_request', 'restart.scope');
  });

  it('refuses negative, zero, fractional and huge ids in bodies and paths', async () => {
    for (const clusterId of [-1, 0, 2 ** 31, 1e30, Number.MAX_SAFE_INTEGER]) {
      assertError(await start({ clusterId }), 400, 'invalid_request', 'clusterId');
    }
    assertError(await start('{"clusterId": 99999999999999999999999999999}', json), 400, 'invalid_request', 'clusterId');
    for (const id of ['-5', '0', '1.5', 'abc', '99999999999999999999999', '1e3', '2147483648', '%00']) {
      const res = await f.app.inject({ method: 'GET', url: `/v1/rotations/${id}`, headers: viewer });
      assertError(res, 400, 'invalid_request');
    }
    assertError(await f.app.inject({ method: 'GET', url: '/v1/rotations?clusterId=-3', headers: viewer }), 400, 'invalid_request', 'clusterId');
    assertError(await f.app.inject({ method: 'GET', url: '/v1/rotations?pageSize=100000', headers: viewer }), 400, 'invalid_request', 'pageSize');
    assertError(await f.app.inject({ method: 'GET', url: `/v1/rotations/${'9'.repeat(500)}`, headers: viewer }), 400, 'invalid_request');
  });

  it('refuses malformed JSON, an empty JSON body and a JSON array with 400', async () => {
    for (const payload of ['{"clusterId": ', '{clusterId: 5}', "{'clusterId': 5}", 'null x', '']) {
      const res = await start(payload, json);
      assertError(res, 400, 'invalid_request');
    }
    assertError(await start('[1,2]', json), 400, 'invalid_request');
    assertError(await start('"5"', json), 400, 'invalid_request');
  });

  it('refuses bodies that are not JSON with 415', async () => {
    assertError(await start('clusterId=5', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type');
    assertError(await start('hello', { 'content-type': 'text/plain' }), 415, 'unsupported_media_type');
  });

  it('refuses oversized bodies with 413 before parsing them', async () => {
    const payload = JSON.stringify({ clusterId: 5, restart: { scope: { namespaces: Array.from({ length: 5000 }, (_, i) => `namespace-${i}`) } } });
    assert.ok(payload.length > 64 * 1024);
    const error = assertError(await start(payload, json), 413, 'payload_too_large');
    assert.match(error.message, /larger than the limit/);
    assert.equal(f.deps.rotations.started.length, 0);
  });

  it('refuses an unknown phase or fleet name in list filters', async () => {
    assertError(await f.app.inject({ method: 'GET', url: '/v1/rotations?phase=Exploded', headers: viewer }), 400, 'invalid_request', 'phase');
    assertError(await f.app.inject({ method: 'GET', url: "/v1/rotations?fleet=x'%20OR%20'1'='1", headers: viewer }), 400, 'invalid_request', 'fleet');
    assertError(await f.app.inject({ method: 'GET', url: '/v1/rotations?nextPageToken=not%20a%20token', headers: viewer }), 400, 'invalid_request', 'nextPageToken');
  });

  it('requires a reason to reject or abort, and bounds comments', async () => {
    await f.deps.rotations.start({ clusterId: 40, requestedBy: 'someone' });
    assertError(await f.app.inject({ method: 'POST', url: '/v1/rotations/40/abort', headers: operator, payload: {} }), 400, 'invalid_request', 'reason');
    assertError(await f.app.inject({ method: 'POST', url: '/v1/rotations/40/reject', headers: bearer(TOKENS.approver), payload: { reason: '' } }), 400, 'invalid_request', 'reason');
    assertError(await f.app.inject({ method: 'POST', url: '/v1/rotations/40/approve', headers: bearer(TOKENS.approver), payload: { comment: 'x'.repeat(1001) } }), 400, 'invalid_request', 'comment');
    assert.equal(f.deps.rotations.controls.length, 0);
  });
});

describe('API responses', () => {
  const f = useFakeApp();

  it('starts a rotation with 202, the run ids, a Temporal Web link and the caller as requester', async () => {
    const res = await f.app.inject({
      method: 'POST', url: '/v1/rotations', headers: operator,
      payload: { clusterId: 77, approvals: { beforeRecycle: false }, restart: { scope: { namespaces: ['web'] } }, recycle: { mode: 'rolling' } },
    });
    assert.equal(res.statusCode, 202, res.body);
    const body = res.json();
    assert.equal(body.workflowId, 'rotate-cluster-77');
    assert.equal(body.webUrl, `http://127.0.0.1:8233/namespaces/default/workflows/rotate-cluster-77/${body.runId}`);
    assert.deepEqual(f.deps.rotations.started.at(-1), {
      clusterId: 77, approvals: { beforeRecycle: false }, restart: { scope: { namespaces: ['web'] } },
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

describe('API OpenAPI document', () => {
  it('serves OpenAPI 3 with every route, its schemas, bearer security and the error format', async () => {
    await withFakeApp({}, async ({ app }) => {
      const res = await app.inject({ method: 'GET', url: '/docs/json' });
      assert.equal(res.statusCode, 200);
      const doc = res.json();
      assert.match(doc.openapi, /^3\./);
      const paths = doc.paths as Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties: object; additionalProperties: boolean } }> }; responses: Record<string, unknown>; security?: unknown; parameters?: unknown[] }>>;
      for (const path of ['/healthz', '/readyz', '/v1/rotations', '/v1/rotations/{clusterId}', '/v1/clusters',
        '/v1/fleet-rotations', '/v1/fleet-rotations/{fleet}', '/v1/fleet-rotations/{fleet}/approve', '/v1/schedules',
        '/v1/schedules/{scheduleId}', '/v1/schedules/{scheduleId}/trigger',
        ...['approve', 'reject', 'pause', 'resume', 'retry', 'skip', 'abort'].map((a) => `/v1/rotations/{clusterId}/${a}`)]) {
        assert.ok(paths[path], `${path} documented`);
      }
      const startOp = paths['/v1/rotations'].post;
      const startBody = startOp.requestBody!.content['application/json'].schema;
      assert.deepEqual(Object.keys(startBody.properties).sort(), ['approvals', 'clusterId', 'dryRun', 'recycle', 'restart']);
      assert.equal(startBody.additionalProperties, false);
      assert.ok(startOp.responses['202'] && startOp.responses['409'] && startOp.responses['400']);
      assert.deepEqual(startOp.security, [{ bearer: [] }]);
      assert.equal(paths['/healthz'].get.security, undefined);
      assert.deepEqual(doc.components.securitySchemes.bearer, { type: 'http', scheme: 'bearer' });
      const statusParams = paths['/v1/rotations/{clusterId}'].get.parameters as { name: string; in: string; schema: { type: string } }[];
      assert.deepEqual(statusParams.map((p) => [p.name, p.in, p.schema.type]), [['clusterId', 'path', 'integer']]);
      const ui = await app.inject({ method: 'GET', url: '/docs/' });
      assert.equal(ui.statusCode, 200);
      assert.match(ui.body, /swagger-ui/i);
    });
  });
});

describe('API driving a real rotation (dev server, worker with real activities, simulator)', () => {
  // Worker chatter drowns the report; must happen before the dev server creates the runtime.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const temporal = useTemporal();
  // 0.002: LKE's two-minute kubeconfig wait takes a quarter of a second
  // tokenCacheMs 0: this tests the API, not the token cache (verify's 50 ms window is near its 20 ms here)
  const sim = useSimulator({ clusters: 3, timeScale: 0.002, tokenCacheMs: 0 });
  let app: FastifyInstance;
  let kubeconfigDir: string;

  before(async () => {
    kubeconfigDir = await mkdtemp(join(tmpdir(), 'api-kubeconfigs-'));
    const live = compose({
      linode: { apiUrl: sim().linodeApiUrl, token: new Secret(sim().linodeToken) }, kubeconfigDir,
      activities: { pollIntervalMs: 20, tokenCacheWindowMs: 50, retryAfterScale: 0.002 },
    });
    const linode = live.activityDeps().linode;
    await temporal.startWorker(null, {
      activities: live.workerActivities(),
      taskQueue: TASK_QUEUE,
    });
    const { client } = temporal;
    app = await buildApp({
      rotations: createRotationService(client, { linode }),
      fleets: createFleetService(client),
      schedules: createScheduleService(client),
      clusters: createClusterService(linode),
      temporalHealth: temporalHealthCheck(client),
      tokens: API_TOKENS,
      webUrl: 'http://127.0.0.1:8233',
      namespace: temporal.server.namespace,
    });
  }, { timeout: 180_000 });

  after(async () => {
    await app?.close();
    if (kubeconfigDir) await rm(kubeconfigDir, { recursive: true, force: true });
  });

  const call = async (method: 'GET' | 'POST', url: string, token: string, payload?: object) => {
    const res = await app.inject({ method, url, headers: bearer(token), ...(payload ? { payload } : {}) });
    return { status: res.statusCode, body: res.json() };
  };

  async function waitUntil<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('is ready when Temporal answers', async () => {
    assert.deepEqual((await app.inject({ method: 'GET', url: '/readyz' })).json(), { status: 'ok' });
  });

  it('starts, is approved by a second identity, and completes with a new admin token', async () => {
    const clusters = await call('GET', '/v1/clusters', TOKENS.viewer);
    assert.equal(clusters.status, 200);
    assert.equal(clusters.body.results, 3);
    const cluster = clusters.body.data[0] as { id: number; region: string };
    const oldAdminToken = sim().state.kube(cluster.id)!.adminToken();

    assertError(await app.inject({ method: 'POST', url: '/v1/rotations', headers: operator, payload: { clusterId: 999_999 } }), 404, 'not_found');

    const started = await call('POST', '/v1/rotations', TOKENS.opsApprover, {
      clusterId: cluster.id, restart: { scope: 'kube-system' }, approvals: { beforeRecycle: false },
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal(started.body.workflowId, `rotate-cluster-${cluster.id}`);
    assert.match(started.body.webUrl, new RegExp(`/namespaces/default/workflows/rotate-cluster-${cluster.id}/${started.body.runId}$`));

    const duplicate = await call('POST', '/v1/rotations', TOKENS.operator, { clusterId: cluster.id });
    assert.equal(duplicate.status, 409);
    assert.equal(duplicate.body.error.code, 'conflict');

    const gated = await waitUntil('the approval gate', async () => {
      const res = await call('GET', `/v1/rotations/${cluster.id}`, TOKENS.viewer);
      return res.status === 200 && res.body.status?.phase === 'AwaitingApproval' ? res.body : undefined;
    });
    assert.equal(gated.status.requestedBy, 'sam');
    assert.equal(gated.status.region, cluster.region);
    assert.ok(gated.status.plan.deleteSecrets.length > 0, 'the plan lists the token Secrets to delete');

    // the workflow's own validator refuses a wrong-time Update; the API passes its reason on
    const retry = await call('POST', `/v1/rotations/${cluster.id}/retry`, TOKENS.operator);
    assert.equal(retry.status, 409);
    assert.ok(retry.body.error.message.length > 0);
    assert.deepEqual(sim().audit.list({ clusterId: cluster.id }), [], 'nothing changed before approval');

    const own = await call('POST', `/v1/rotations/${cluster.id}/approve`, TOKENS.opsApprover, {});
    assert.equal(own.status, 403, 'four-eyes: the requester cannot approve');

    const approved = await call('POST', `/v1/rotations/${cluster.id}/approve`, TOKENS.approver, { comment: 'checked the plan' });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    assert.deepEqual(approved.body.status.approvals.map((a: { by: string; gate: string }) => [a.gate, a.by]), [['beforeDelete', 'ana']]);

    const done = await waitUntil('completion', async () => {
      const res = await call('GET', `/v1/rotations/${cluster.id}`, TOKENS.viewer);
      return res.body.execution !== 'RUNNING' ? res.body : undefined;
    }, 120_000);
    assert.equal(done.execution, 'COMPLETED');
    assert.equal(done.status.phase, 'Completed', JSON.stringify(done.status.lastError));
    assert.notEqual(sim().state.kube(cluster.id)!.adminToken(), oldAdminToken, 'the admin token was rotated');

    const afterwards = await call('POST', `/v1/rotations/${cluster.id}/pause`, TOKENS.operator);
    assert.equal(afterwards.status, 409);
    assert.match(afterwards.body.error.message, /not running/);

    const listed = await waitUntil('visibility to show the completed run', async () => {
      const res = await call('GET', `/v1/rotations?clusterId=${cluster.id}&phase=Completed`, TOKENS.viewer);
      return res.body.rotations.length > 0 ? res.body : undefined;
    });
    assert.equal(listed.rotations[0].runId, started.body.runId);
    assert.equal(listed.rotations[0].requestedBy, 'sam');
    assert.equal(listed.rotations[0].execution, 'COMPLETED');
    const other = await call('GET', `/v1/rotations?clusterId=${cluster.id}&phase=Blocked`, TOKENS.viewer);
    assert.deepEqual(other.body.rotations, []);

    const text = JSON.stringify([started, gated, approved, done, listed]);
    assert.ok(!text.includes(oldAdminToken) && !text.includes(sim().state.kube(cluster.id)!.adminToken()), 'no token in API responses');
  });

  it('pages through visibility with nextPageToken', async () => {
    for (const { cluster } of sim().state.list().slice(1)) {
      const res = await call('POST', '/v1/rotations', TOKENS.operator, { clusterId: cluster.id, dryRun: true });
      assert.equal(res.status, 202);
    }
    const seen = new Set<string>();
    await waitUntil('three runs in visibility', async () => {
      const res = await call('GET', '/v1/rotations?pageSize=50', TOKENS.viewer);
      return res.body.rotations.length >= 3 ? true : undefined;
    });
    let token: string | null = null;
    let pages = 0;
    do {
      const res: { status: number; body: { rotations: { workflowId: string }[]; nextPageToken: string | null } } =
        await call('GET', `/v1/rotations?pageSize=1${token ? `&nextPageToken=${token}` : ''}`, TOKENS.viewer);
      assert.equal(res.status, 200);
      assert.ok(res.body.rotations.length <= 1);
      for (const r of res.body.rotations) seen.add(r.workflowId);
      token = res.body.nextPageToken;
      pages++;
    } while (token && pages < 10);
    assert.equal(seen.size, 3, [...seen].join(', '));
    // finish the dry runs, so that a later fleet rotates these clusters rather than attaching to them
    for (const { cluster } of sim().state.list().slice(1)) {
      await waitUntil(`the dry run of ${cluster.id}`, async () => {
        const res = await call('GET', `/v1/rotations/${cluster.id}`, TOKENS.viewer);
        return res.body.execution === 'RUNNING' ? undefined : res.body;
      });
    }
  });
  it('rotates a fleet: canary, approval by a second identity, the rest; status per cluster', async () => {
    const ids = sim().state.list().slice(1).map(({ cluster }) => cluster.id);
    const started = await call('POST', '/v1/fleet-rotations', TOKENS.opsApprover, {
      name: 'api-fleet', selector: { clusterIds: ids }, rotation: { restart: { scope: 'none' } }, waves: { canary: 1 }, concurrency: 2,
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal(started.body.workflowId, 'rotate-fleet-api-fleet');

    await waitUntil('the canary gate', async () => {
      const res = await call('GET', '/v1/fleet-rotations/api-fleet', TOKENS.viewer);
      return res.body.status?.pendingGate?.gate === 'canary' ? res.body : undefined;
    }, 120_000);
    assert.equal((await call('POST', '/v1/fleet-rotations/api-fleet/approve', TOKENS.opsApprover, {})).status, 403);
    const approved = await call('POST', '/v1/fleet-rotations/api-fleet/approve', TOKENS.approver, { comment: 'canary is healthy' });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));

    const done = await waitUntil('the fleet to finish', async () => {
      const res = await call('GET', '/v1/fleet-rotations/api-fleet', TOKENS.viewer);
      return res.body.execution !== 'RUNNING' ? res.body : undefined;
    }, 120_000);
    assert.equal(done.status.phase, 'Completed', JSON.stringify(done.status.timeline));
    assert.equal(done.status.counts.Completed, 2);
    assert.deepEqual(done.status.approvals.map((a: { by: string }) => a.by), ['ana']);
    const children = await waitUntil('the children in visibility', async () => {
      const res = await call('GET', '/v1/rotations?fleet=rotate-fleet-api-fleet&phase=Completed', TOKENS.viewer);
      return res.body.rotations?.length === 2 ? res.body.rotations : undefined;
    });
    assert.deepEqual(children.map((r: { clusterId: number }) => r.clusterId).sort(), [...ids].sort());
    const fleets = await call('GET', '/v1/fleet-rotations', TOKENS.viewer);
    assert.ok(fleets.body.fleets.some((f: { name: string; requestedBy: string }) => f.name === 'api-fleet' && f.requestedBy === 'sam'));
  });

  it('creates a schedule that starts a fleet rotation when triggered, then pauses and deletes it', async () => {
    const [first] = sim().state.list();
    const body = {
      scheduleId: 'api-monthly', timing: { cron: '0 3 1 * *' }, paused: true, note: 'from the API test',
      fleet: { name: 'api-monthly', selector: { clusterIds: [first.cluster.id] }, rotation: { dryRun: true }, waves: { canary: 0 } },
    };
    const created = await call('POST', '/v1/schedules', TOKENS.operator, body);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await call('POST', '/v1/schedules', TOKENS.operator, body)).status, 409);
    const badCron = await call('POST', '/v1/schedules', TOKENS.operator, { ...body, scheduleId: 'api-bad', timing: { cron: '99 99 * * *' } });
    assert.equal(badCron.status, 400, JSON.stringify(badCron.body));

    const listed = await call('GET', '/v1/schedules', TOKENS.viewer);
    const mine = listed.body.schedules.find((x: { scheduleId: string }) => x.scheduleId === 'api-monthly');
    assert.deepEqual([mine.fleetName, mine.paused, mine.note], ['api-monthly', true, 'from the API test']);

    assert.equal((await app.inject({ method: 'POST', url: '/v1/schedules/api-monthly/trigger', headers: operator })).statusCode, 204);
    const run = await waitUntil('the scheduled fleet run to finish', async () => {
      const res = await call('GET', '/v1/fleet-rotations', TOKENS.viewer);
      const scheduled = res.body.fleets.find((f: { workflowId: string; execution: string }) =>
        f.workflowId.startsWith('rotate-fleet-api-monthly') && f.execution !== 'RUNNING');
      return scheduled;
    }, 120_000);
    assert.equal(run.execution, 'COMPLETED');
    assert.equal(run.requestedBy, 'olga');

    assert.equal((await app.inject({ method: 'POST', url: '/v1/schedules/api-monthly/unpause', headers: operator })).statusCode, 204);
    assert.equal((await app.inject({ method: 'DELETE', url: '/v1/schedules/api-monthly', headers: operator })).statusCode, 204);
    assert.equal((await app.inject({ method: 'DELETE', url: '/v1/schedules/api-monthly', headers: operator })).statusCode, 404);
  });
  it('resumes a terminated run in a new run through the API, and refuses to resume a finished one', async () => {
    const [{ cluster }] = sim().state.list();
    const started = await call('POST', '/v1/rotations', TOKENS.operator, { clusterId: cluster.id, restart: { scope: 'none' } });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    await waitUntil('the approval gate', async () => {
      const res = await call('GET', `/v1/rotations/${cluster.id}`, TOKENS.viewer);
      return res.body.status?.phase === 'AwaitingApproval' ? true : undefined;
    });
    await temporal.client.workflow.getHandle(started.body.workflowId).terminate('test: the run dies');

    const resumed = await call('POST', `/v1/rotations/${cluster.id}/resume`, TOKENS.operator);
    assert.equal(resumed.status, 202, JSON.stringify(resumed.body));
    assert.notEqual(resumed.body.runId, started.body.runId);
    const gate = await waitUntil('the resumed run at its gate', async () => {
      const res = await call('GET', `/v1/rotations/${cluster.id}`, TOKENS.viewer);
      return res.body.runId === resumed.body.runId && res.body.status?.phase === 'AwaitingApproval' ? res.body : undefined;
    });
    assert.ok(gate.status.completedSteps.includes('snapshot'));
    assert.deepEqual(sim().audit.list({ clusterId: cluster.id, path: /regenerate/ }).length, 1, 'only the first test regenerated');

    const rejected = await call('POST', `/v1/rotations/${cluster.id}/reject`, TOKENS.approver, { reason: 'not today' });
    assert.equal(rejected.status, 200, JSON.stringify(rejected.body));
    await waitUntil('the rejected run to end', async () => {
      const res = await call('GET', `/v1/rotations/${cluster.id}`, TOKENS.viewer);
      return res.body.execution === 'COMPLETED' ? res.body : undefined;
    });
    const again = await call('POST', `/v1/rotations/${cluster.id}/resume`, TOKENS.operator);
    assert.equal(again.status, 409, JSON.stringify(again.body));
    assert.match(again.body.error.message, /Rejected/);
  });
});
