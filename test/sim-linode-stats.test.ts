// GET /_sim/stats: the simulator's count of every Linode API request by endpoint (method + route
// template) and answer, 429s apart, which the scale bench reads from outside the simulator's process.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSimulator, STATS_PATH, type LinodeStatsSnapshot, type Simulator } from '../sim/index.js';

let sim: Simulator;
let clusterId: number;

before(async () => {
  // the per-endpoint limit made small, so a handful of calls trips it
  sim = await startSimulator({ clusters: 2, seed: 3, timeScale: 1, rateLimit: { perEndpoint: { limit: 3 } } });
  clusterId = sim.state.list()[0].cluster.id;
});
after(() => sim.stop());

function call(method: string, path: string, token = sim.linodeToken, body?: unknown): Promise<Response> {
  return fetch(`${sim.linodeApiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function stats(token = sim.linodeToken): Promise<LinodeStatsSnapshot> {
  const reply = await call('GET', STATS_PATH, token);
  assert.equal(reply.status, 200);
  return await reply.json() as LinodeStatsSnapshot;
}

/** what happened between two snapshots, per endpoint (counts only grow) */
function delta(before: LinodeStatsSnapshot, after: LinodeStatsSnapshot): Record<string, { requests: number; rateLimited: number }> {
  const out: Record<string, { requests: number; rateLimited: number }> = {};
  for (const [endpoint, { requests, rateLimited }] of Object.entries(after.endpoints)) {
    const was = before.endpoints[endpoint] ?? { requests: 0, rateLimited: 0 };
    if (requests > was.requests) out[endpoint] = { requests: requests - was.requests, rateLimited: rateLimited - was.rateLimited };
  }
  return out;
}

describe('GET /_sim/stats', () => {
  it('counts each request under its route template, /v4 and /v4beta alike, with 429s and statuses apart', async () => {
    const start = await stats();
    for (const prefix of ['/v4', '/v4beta', '/v4', '/v4beta', '/v4']) {
      await (await call('GET', `${prefix}/lke/clusters/${clusterId}`)).arrayBuffer();
    }
    const regenerate = await call('POST', `/v4/lke/clusters/${clusterId}/regenerate`, sim.linodeToken, { kubeconfig: true });
    assert.equal(regenerate.status, 200);
    // a time scale of 1: the new kubeconfig is minutes away, so this is LKE's 503
    assert.equal((await call('GET', `/v4/lke/clusters/${clusterId}/kubeconfig`)).status, 503);
    await (await call('GET', '/v4/no/such/route')).arrayBuffer();

    const end = await stats();
    assert.deepEqual(delta(start, end), {
      'GET /lke/clusters/:id': { requests: 5, rateLimited: 2 },
      'POST /lke/clusters/:id/regenerate': { requests: 1, rateLimited: 0 },
      'GET /lke/clusters/:id/kubeconfig': { requests: 1, rateLimited: 0 },
      unmatched: { requests: 1, rateLimited: 0 },
    });
    assert.deepEqual(end.endpoints['GET /lke/clusters/:id'].statuses, { 200: 3, 429: 2 });
    assert.equal(end.endpoints['GET /lke/clusters/:id'].collection, false);
    assert.deepEqual(end.endpoints['GET /lke/clusters/:id/kubeconfig'].statuses, { 503: 1 });
    assert.equal(end.total.requests - start.total.requests, 8);
    assert.equal(end.total.rateLimited - start.total.rateLimited, 2);
    // the same counters in process
    assert.deepEqual(sim.linodeStats.snapshot().total, end.total);
  });

  it('marks the collection GETs, which Linode limits apart', async () => {
    await (await call('GET', '/v4/lke/clusters?page_size=25')).arrayBuffer();
    await (await call('GET', `/v4beta/lke/clusters/${clusterId}/pools`)).arrayBuffer();
    const { endpoints } = await stats();
    assert.equal(endpoints['GET /lke/clusters'].collection, true);
    assert.equal(endpoints['GET /lke/clusters/:id/pools'].collection, true);
  });

  it('is not itself counted nor rate-limited', async () => {
    const first = await stats();
    for (let i = 0; i < 6; i++) await stats();
    const last = await stats();
    assert.deepEqual(last.total, first.total);
    assert.equal(Object.keys(last.endpoints).some((e) => e.includes('_sim')), false);
  });

  it('counts a connection dropped after the side effect as "dropped"', async () => {
    const remove = sim.faults.add({ api: 'linode', method: 'DELETE', path: '/servicetoken', kind: 'sideEffectThenFail', count: 1, outcome: 'drop' });
    try {
      const start = await stats();
      await assert.rejects(call('DELETE', `/v4/lke/clusters/${clusterId}/servicetoken`));
      // the server records on close, which may come a moment after the client saw the reset
      let end = await stats();
      for (let i = 0; i < 20 && !end.endpoints['DELETE /lke/clusters/:id/servicetoken']; i++) end = await stats();
      assert.deepEqual(end.endpoints['DELETE /lke/clusters/:id/servicetoken'], { collection: false, requests: 1, rateLimited: 0, statuses: { dropped: 1 } });
      assert.equal(end.total.requests - start.total.requests, 1);
    } finally {
      remove();
    }
  });

  it('answers the read-only token, refuses a missing or wrong one (401) and anything but GET (405)', async () => {
    await stats(sim.readOnlyToken);
    assert.equal((await fetch(`${sim.linodeApiUrl}${STATS_PATH}`)).status, 401);
    const wrong = await call('GET', STATS_PATH, 'not-the-token');
    assert.equal(wrong.status, 401);
    assert.deepEqual(await wrong.json(), { errors: [{ reason: 'Invalid Token' }] });
    const post = await call('POST', STATS_PATH, sim.linodeToken, {});
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET');
  });
});
