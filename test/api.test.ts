// The HTTP API driving a real rotation: a real dev server, a worker with the real activities and
// the simulator. The HTTP layer on its own (over fake services) is tested in test/api-*.test.ts.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
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
import { API_TOKENS, bearer, TOKENS } from './support/apiFakes.js';
import { assertError, operator } from './support/apiHttp.js';

describe('API driving a real rotation (dev server, worker with real activities, simulator)', () => {
  // Worker chatter drowns the report; must happen before the dev server creates the runtime.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const temporal = useTemporal();
  // 0.002: LKE's two-minute kubeconfig wait takes a quarter of a second
  // tokenCacheMs 0: this tests the API, not the token cache (verify's 50 ms window is near its 20 ms here)
  const sim = useSimulator({ clusters: 3, timeScale: 0.002, tokenCacheMs: 0, rateLimit: false });
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
      clusterId: cluster.id, restart: { scope: 'kube-system' },
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
    // every field of the summary comes from visibility: the run's search attributes and times
    assert.deepEqual(
      [listed.rotations[0].clusterId, listed.rotations[0].region, listed.rotations[0].phase, listed.rotations[0].fleetRotationId],
      [cluster.id, cluster.region, 'Completed', null]);
    assert.ok(Date.parse(listed.rotations[0].startTime) <= Date.parse(listed.rotations[0].closeTime));
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

    // No second person has approved anything yet: the canary cluster waits at its own gate.
    const canaryId = await waitUntil('the canary cluster at its own gate', async () => {
      for (const id of ids) {
        const res = await call('GET', `/v1/rotations/${id}`, TOKENS.viewer);
        if (res.body.status?.phase === 'AwaitingApproval') return id;
      }
      return undefined;
    }, 120_000);
    assert.equal((await call('POST', `/v1/rotations/${canaryId}/approve`, TOKENS.opsApprover, {})).status, 403,
      "the fleet's requester cannot approve its clusters either");
    assert.equal((await call('POST', `/v1/rotations/${canaryId}/approve`, TOKENS.approver, {})).status, 200);
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
    // a fleet that passes no gate (canary 0) is an admin's to schedule
    const byOperator = await call('POST', '/v1/schedules', TOKENS.operator, body);
    assert.equal(byOperator.status, 403, JSON.stringify(byOperator.body));
    assert.equal(byOperator.body.error.field, 'fleet.waves.canary');
    const created = await call('POST', '/v1/schedules', TOKENS.admin, body);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await call('POST', '/v1/schedules', TOKENS.admin, body)).status, 409);
    const badCron = await call('POST', '/v1/schedules', TOKENS.admin, { ...body, scheduleId: 'api-bad', timing: { cron: '99 99 * * *' } });
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
    assert.equal(run.requestedBy, 'root-admin');

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
