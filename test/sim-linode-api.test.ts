// The simulator's Linode API through the real client, @linode/api-v4 (see test/support/simLinodeHarness.ts):
// paging, filtering, errors, regenerate, recycle, read-only tokens and injected faults.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_DELAYS } from '../sim/state.js';
import {
  auth, baseRequest, getKubeConfig, getKubernetesCluster, getKubernetesClusters, getNodePool, getNodePools, httpError, KUBE,
  linodeError, raw, READ_ONLY_TOKEN, recycleAllNodes, recycleClusterNodes, recycleNode, resetKubeConfig, startHarness, TIME_SCALE, TOKEN,
  useSimulator, useToken, v4, v4beta, waitFor, type Harness,
} from './support/simLinodeHarness.js';

describe('Linode API through @linode/api-v4', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ clusters: 60, rateLimit: false });
    useSimulator(h.server.url);
    useToken(TOKEN);
  });
  after(async () => { await h.server.stop(); });

  it('pages cluster lists like Linode (page from 1, page_size 25..500, default 100)', async () => {
    const all = await getKubernetesClusters();
    assert.equal(all.results, 60);
    assert.equal(all.pages, 1);
    assert.equal(all.page, 1);
    assert.equal(all.data.length, 60);

    const seen: number[] = [];
    for (let page = 1; page <= 3; page++) {
      const result = await getKubernetesClusters({ page, page_size: 25 });
      assert.deepEqual({ page: result.page, pages: result.pages, results: result.results }, { page, pages: 3, results: 60 });
      seen.push(...result.data.map((c) => c.id));
    }
    assert.equal(seen.length, 60);
    assert.deepEqual(seen, [...seen].sort((a, b) => a - b));
    assert.deepEqual(seen, all.data.map((c) => c.id));

    const beyond = await getKubernetesClusters({ page: 9, page_size: 25 });
    assert.deepEqual(beyond.data, []);

    for (const [params, field] of [[{ page_size: 10 }, 'page_size'], [{ page_size: 501 }, 'page_size'], [{ page: 0 }, 'page'], [{ page: 'abc' }, 'page']] as const) {
      const error = await httpError(getKubernetesClusters(params));
      assert.equal(error.status, 400, JSON.stringify(params));
      assert.equal((error.data as { errors: { field?: string }[] }).errors[0].field, field);
    }
  });

  it('filters with X-Filter: equality, tags, +or, +and, +contains, +order_by', async () => {
    const clusters = h.state.list().map((c) => c.cluster);
    const ids = (list: { id: number }[]): number[] => list.map((c) => c.id);
    const expect = async (filter: object, predicate: (c: (typeof clusters)[number]) => boolean): Promise<void> => {
      const page = await getKubernetesClusters({ page_size: 500 }, filter);
      const wanted = clusters.filter(predicate);
      assert.ok(wanted.length > 0 && wanted.length < clusters.length, `filter ${JSON.stringify(filter)} should select some`);
      assert.deepEqual(ids(page.data), ids(wanted), JSON.stringify(filter));
      assert.equal(page.results, wanted.length);
    };
    const region = clusters[0].region;
    await expect({ region }, (c) => c.region === region);
    await expect({ tags: 'env:prod' }, (c) => c.tags.includes('env:prod'));
    await expect({ '+or': [{ region: 'us-east' }, { region: 'eu-west' }] }, (c) => c.region === 'us-east' || c.region === 'eu-west');
    await expect({ '+and': [{ tags: 'env:prod' }, { tags: 'team:payments' }] }, (c) => c.tags.includes('env:prod') && c.tags.includes('team:payments'));
    await expect({ label: { '+contains': 'payments' } }, (c) => c.label.includes('payments'));
    await expect({ k8s_version: { '+gte': '1.30' } }, (c) => Number(c.k8s_version.split('.')[1]) >= 30);
    await expect({ region, tags: { '+neq': 'pci' } }, (c) => c.region === region && !c.tags.includes('pci'));

    const ordered = await getKubernetesClusters({ page_size: 500 }, { '+order_by': 'label', '+order': 'desc' });
    const labels = ordered.data.map((c) => c.label);
    assert.deepEqual(labels, [...labels].sort((a, b) => b.localeCompare(a, 'en', { numeric: true })));
  });

  it('rejects malformed or unsupported X-Filter with 400 on field X-Filter', async () => {
    for (const filter of ['{not json', '[1]', '{"status":"ready"}', '{"+or":"x"}', '{"label":{"+regex":"a"}}', '{"label":{"+contains":{}}}']) {
      const error = await httpError(baseRequest.get(v4beta('/lke/clusters'), { headers: { 'X-Filter': filter } }));
      assert.equal(error.status, 400, filter);
      const errors = (error.data as { errors: { reason: string; field?: string }[] }).errors;
      assert.equal(errors[0].field, 'X-Filter', filter);
    }
    const unfilterable = await httpError(getKubernetesClusters({}, { status: 'ready' }));
    assert.deepEqual(unfilterable.data, linodeError('Cannot filter on status', 'X-Filter'));
    const badTags = await httpError(getKubernetesClusters({}, { tags: ['a', 'b'] }));
    assert.deepEqual(badTags.data, linodeError('Tags filter must be a string or dict', 'X-Filter'));
  });

  it('gets a cluster with exactly the documented fields, on /v4 and /v4beta', async () => {
    const sim = h.state.list()[3];
    const cluster = await getKubernetesCluster(sim.cluster.id);
    assert.deepEqual(Object.keys(cluster).sort(), ['control_plane', 'created', 'id', 'k8s_version', 'label', 'region', 'status', 'tags', 'tier', 'updated']);
    assert.equal(cluster.status, 'ready');
    assert.match(cluster.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    const onV4 = await baseRequest.get(v4(`/lke/clusters/${sim.cluster.id}`));
    assert.deepEqual(onV4.data, cluster);
  });

  it('answers 404 Not found for unknown and malformed ids, 405 for wrong methods', async () => {
    for (const path of ['/lke/clusters/1', '/lke/clusters/abc', '/lke/clusters/-5', '/lke/clusters/99999999999', '/lke/clusters/0',
      `/lke/clusters/${h.state.list()[0].cluster.id}/pools/1`, `/lke/clusters/${h.state.list()[0].cluster.id}/nodes/nope`,
      '/lke/clusters/%zz', '/lke/nothing', '/lke/clusters/1/2/3']) {
      const error = await httpError(baseRequest.get(v4beta(path)));
      assert.equal(error.status, 404, path);
      assert.deepEqual(error.data, linodeError('Not found'), path);
    }
    const outside = await raw('GET', '/lke/clusters', { headers: auth });
    assert.equal(outside.status, 404, 'paths exist only under /v4 and /v4beta');

    const id = h.state.list()[0].cluster.id;
    const wrong = await httpError(baseRequest.put(v4(`/lke/clusters/${id}/regenerate`), {}));
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.allow, 'POST');
    assert.equal((wrong.data as { errors: unknown[] }).errors.length, 1);
  });

  it('answers 401 Invalid Token without a token or with a wrong one', async () => {
    for (const headers of [{}, { Authorization: 'Bearer nope' }, { Authorization: `Basic ${TOKEN}` }, { Authorization: 'Bearer' }]) {
      const reply = await raw('GET', '/v4/lke/clusters', { headers: headers as Record<string, string> });
      assert.equal(reply.status, 401);
      assert.deepEqual(JSON.parse(reply.body), linodeError('Invalid Token'));
    }
  });

  it('lists pools, gets a pool and a node', async () => {
    const sim = h.state.list()[1];
    const pools = await getNodePools(sim.cluster.id);
    assert.equal(pools.results, sim.pools.length);
    const pool = pools.data[0];
    assert.equal(pool.id, sim.pools[0].id);
    assert.equal(pool.nodes.length, pool.count);
    assert.deepEqual(Object.keys(pool.nodes[0]).sort(), ['id', 'instance_id', 'status']);
    assert.deepEqual(await getNodePool(sim.cluster.id, pool.id), pool);
    const node = await baseRequest.get(v4beta(`/lke/clusters/${sim.cluster.id}/nodes/${pool.nodes[0].id}`));
    assert.deepEqual(node.data, pool.nodes[0]);
  });

  it('validates regenerate bodies strictly', async () => {
    const id = h.state.list()[2].cluster.id;
    const url = `/v4/lke/clusters/${id}/regenerate`;
    const cases: [string, unknown][] = [
      ['{}', linodeError('At least one of kubeconfig or servicetoken must be true')],
      ['', linodeError('At least one of kubeconfig or servicetoken must be true')],
      ['{"kubeconfig":false,"servicetoken":false}', linodeError('At least one of kubeconfig or servicetoken must be true')],
      ['{"kubeconfig":true,"admin":true}', linodeError('Unexpected field', 'admin')],
      ['{"kubeconfig":"yes"}', linodeError('Must be a boolean', 'kubeconfig')],
      ['{"kubeconfig":true', linodeError('Invalid JSON')],
      ['[true]', linodeError('Request body must be a JSON object')],
      ['null', linodeError('At least one of kubeconfig or servicetoken must be true')],
    ];
    for (const [body, expected] of cases) {
      const reply = await raw('POST', url, { body, headers: auth });
      assert.equal(reply.status, 400, body);
      assert.deepEqual(JSON.parse(reply.body), expected, body);
    }
    assert.equal(h.audit.count({ path: `/lke/clusters/${id}/regenerate`, applied: true }), 0);
    assert.equal(h.audit.count({ path: `/lke/clusters/${id}/regenerate`, applied: false }), cases.length);
    assert.equal(h.state.cluster(id)?.kubeconfigReady, true, 'nothing was regenerated');
  });

  it('regenerate: 503 with the exact reason until the kubeconfig delay passes, then a kubeconfig with the new token', async () => {
    const sim = h.state.list()[4];
    const id = sim.cluster.id;
    const before = Buffer.from((await getKubeConfig(id)).kubeconfig, 'base64').toString();
    assert.equal(parseYaml(before).users[0].user.token, 'admin-token-0');

    const started = Date.now();
    const reply = await baseRequest.post(v4(`/lke/clusters/${id}/regenerate`), { kubeconfig: true, servicetoken: true });
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.data, {});

    const unavailable = await httpError(getKubeConfig(id));
    assert.equal(unavailable.status, 503);
    assert.deepEqual(unavailable.data, linodeError('Cluster kubeconfig is not yet available. Please try again later.'));
    assert.equal((await getKubernetesCluster(id)).status, 'ready', 'the cluster says ready all along');

    const kubeconfig = await waitFor('the kubeconfig', async () => {
      try { return (await getKubeConfig(id)).kubeconfig; } catch { return undefined; }
    });
    const waited = Date.now() - started;
    assert.ok(waited >= DEFAULT_DELAYS.kubeconfigReadyMs * TIME_SCALE - 5, `ready after ${waited} ms`);
    assert.equal(h.kube(id).regenerations, 1, 'kube-system token Secrets recreated once');

    const config = parseYaml(Buffer.from(kubeconfig, 'base64').toString());
    assert.equal(config['current-context'], `lke${id}-ctx`);
    assert.deepEqual(config.contexts[0], { name: `lke${id}-ctx`, context: { cluster: `lke${id}`, namespace: 'default', user: `lke${id}-admin` } });
    assert.equal(config.clusters[0].name, `lke${id}`);
    assert.equal(config.clusters[0].cluster.server, `${KUBE.baseUrl}/${id}`);
    assert.equal(Buffer.from(config.clusters[0].cluster['certificate-authority-data'], 'base64').toString(), KUBE.caPem);
    assert.equal(config.users[0].name, `lke${id}-admin`);
    assert.equal(config.users[0].user.token, 'admin-token-1');
  });

  it('servicetoken delete recreates token Secrets after the token delay; kubeconfig delete makes it unavailable for a while', async () => {
    const id = h.state.list()[5].cluster.id;
    const reply = await baseRequest.delete(v4(`/lke/clusters/${id}/servicetoken`));
    assert.deepEqual(reply.data, {});
    assert.equal(h.kube(id).regenerations, 0, 'not at once');
    await waitFor('token Secrets recreated', () => h.kube(id).regenerations === 1);
    assert.ok((await getKubeConfig(id)).kubeconfig, 'a service token reset leaves the kubeconfig available');

    assert.deepEqual(await resetKubeConfig(id), {});
    assert.equal((await httpError(getKubeConfig(id))).status, 503);
    await waitFor('the kubeconfig', async () => { try { return await getKubeConfig(id); } catch { return undefined; } });
  });

  it('a second regenerate restarts the kubeconfig wait', async () => {
    const id = h.state.list()[17].cluster.id;
    // five times the file's scale: 600 ms waits leave room for a busy machine's late timers
    const scale = TIME_SCALE * 5;
    h.state.clock.timeScale = scale;
    try {
      const delay = DEFAULT_DELAYS.kubeconfigReadyMs * scale;
      await baseRequest.post(v4(`/lke/clusters/${id}/regenerate`), { kubeconfig: true });
      await new Promise((resolve) => setTimeout(resolve, delay * 0.6));
      await baseRequest.post(v4(`/lke/clusters/${id}/regenerate`), { kubeconfig: true });
      const second = Date.now();
      await new Promise((resolve) => setTimeout(resolve, delay * 0.6));
      assert.equal((await httpError(getKubeConfig(id))).status, 503, 'the first regenerate\'s delay no longer counts');
      await waitFor('the kubeconfig', async () => { try { return await getKubeConfig(id); } catch { return undefined; } });
      assert.ok(Date.now() - second >= delay - 5);
    } finally {
      h.state.clock.timeScale = TIME_SCALE;
    }
  });

  it('a kubeconfig that never becomes ready stays 503 until the fault is cleared', async () => {
    const id = h.state.list()[6].cluster.id;
    h.state.setKubeconfigNeverReady(id, true);
    await baseRequest.post(v4(`/lke/clusters/${id}/regenerate`), { kubeconfig: true });
    await new Promise((resolve) => setTimeout(resolve, DEFAULT_DELAYS.kubeconfigReadyMs * TIME_SCALE * 3));
    assert.equal((await httpError(getKubeConfig(id))).status, 503);
    h.state.setKubeconfigNeverReady(id, false);
    await waitFor('the kubeconfig', async () => { try { return await getKubeConfig(id); } catch { return undefined; } });
  });

  it('recycles a node in the background: instance_id null and not_ready, then a new instance and a new Ready Node', async () => {
    const sim = h.state.list()[7];
    const id = sim.cluster.id;
    const pool = sim.pools[0];
    const nodeId = pool.nodes[0].id;
    const oldInstance = pool.nodes[0].instance_id;
    const oldName = sim.instanceLabels.get(nodeId) ?? assert.fail('no label');
    const kube = h.kube(id);
    const nodesBefore = kube.nodes.size;

    assert.deepEqual(await recycleNode(id, nodeId), {});
    const getNode = async (): Promise<{ id: string; instance_id: number | null; status: string }> =>
      (await baseRequest.get(v4beta(`/lke/clusters/${id}/nodes/${nodeId}`))).data;
    assert.deepEqual(await getNode(), { id: nodeId, instance_id: null, status: 'not_ready' });
    assert.equal(kube.nodes.has(oldName), false, 'the old Node is gone');

    const replaced = await waitFor('a new instance', async () => { const n = await getNode(); return n.instance_id !== null ? n : undefined; });
    assert.notEqual(replaced.instance_id, oldInstance);
    const newName = sim.instanceLabels.get(nodeId) ?? assert.fail('no label');
    assert.match(newName, new RegExp(`^lke${id}-${pool.id}-[0-9a-f]{12}$`));
    assert.notEqual(newName, oldName);
    assert.deepEqual(kube.nodes.get(newName)?.providerID, `linode://${replaced.instance_id}`);

    await waitFor('the node ready', async () => (await getNode()).status === 'ready');
    assert.equal(kube.nodes.get(newName)?.ready, true);
    assert.equal(kube.nodes.size, nodesBefore);
    assert.equal(h.state.isRecycling(id), false);
  });

  it('recycles pools and clusters one node at a time', async () => {
    const sim = h.state.list().find((c) => c.pools.reduce((n, p) => n + p.nodes.length, 0) >= 3) ?? assert.fail('no cluster with 3 nodes');
    const id = sim.cluster.id;
    const before = new Map(sim.pools.flatMap((p) => p.nodes.map((n) => [n.id, n.instance_id] as const)));
    assert.deepEqual(await recycleClusterNodes(id), {});
    // recycling the pool again while the cluster recycle runs must not queue its nodes twice
    assert.deepEqual(await recycleAllNodes(id, sim.pools[0].id), {});
    let maxConcurrent = 0;
    await waitFor('every node replaced and ready', () => {
      const nodes = sim.pools.flatMap((p) => p.nodes);
      maxConcurrent = Math.max(maxConcurrent, nodes.filter((n) => n.status === 'not_ready').length);
      return nodes.every((n) => n.status === 'ready' && n.instance_id !== before.get(n.id)) || undefined;
    }, 10_000);
    assert.equal(maxConcurrent, 1, 'one node at a time');
    assert.equal(h.kube(id).nodes.size, before.size);
    assert.ok([...h.kube(id).nodes.values()].every((n) => n.ready));
    assert.equal(h.audit.count({ clusterId: id, path: '/recycle', applied: true }), 2);
  });

  it('a node that never becomes Ready keeps its replacement NotReady and stalls the recycle', async () => {
    const sim = h.state.list()[9];
    const id = sim.cluster.id;
    const nodeId = sim.pools[0].nodes[0].id;
    const name = sim.instanceLabels.get(nodeId) ?? assert.fail('no label');
    h.state.setNodeNeverReady(id, name);
    assert.equal(h.kube(id).nodes.get(name)?.ready, false);
    assert.equal(sim.pools[0].nodes[0].status, 'not_ready');

    await recycleNode(id, nodeId);
    await waitFor('a new instance', () => sim.pools[0].nodes[0].instance_id ?? undefined);
    await new Promise((resolve) => setTimeout(resolve, DEFAULT_DELAYS.nodeReadyMs * TIME_SCALE * 3));
    const newName = sim.instanceLabels.get(nodeId) ?? assert.fail('no label');
    assert.equal(h.kube(id).nodes.get(newName)?.ready, false);
    assert.equal(sim.pools[0].nodes[0].status, 'not_ready');
    assert.equal(h.state.isRecycling(id), true);

    h.state.setNodeNeverReady(id, nodeId, false);
    await waitFor('ready after the fault is cleared', () => sim.pools[0].nodes[0].status === 'ready');
    assert.equal(h.kube(id).nodes.get(newName)?.ready, true);
    assert.equal(h.state.isRecycling(id), false);
  });

  it('refuses writes with a read-only token (401, not authorized for this endpoint) and lets it read', async () => {
    const id = h.state.list()[10].cluster.id;
    useToken(READ_ONLY_TOKEN);
    try {
      const read = await baseRequest.get(v4beta(`/lke/clusters/${id}`));
      assert.equal(read.data.id, id);
      assert.equal(read.headers['x-oauth-scopes'], 'lke:read_only');
      for (const call of [
        baseRequest.post(v4(`/lke/clusters/${id}/regenerate`), { kubeconfig: true }),
        baseRequest.delete(v4(`/lke/clusters/${id}/servicetoken`)),
        resetKubeConfig(id),
        recycleClusterNodes(id),
      ]) {
        const error = await httpError(call);
        assert.equal(error.status, 401);
        assert.deepEqual(error.data, linodeError('Your OAuth token is not authorized to use this endpoint.'));
      }
    } finally {
      useToken(TOKEN);
    }
    assert.equal(h.audit.count({ clusterId: id }), 4);
    assert.equal(h.audit.count({ clusterId: id, applied: true }), 0);
    assert.equal(h.state.cluster(id)?.kubeconfigReady, true);
    assert.equal(h.state.isRecycling(id), false);
    assert.equal(h.kube(id).regenerations, 0);
  });

  it('failNext faults answer Linode-shaped errors with Retry-After, then let calls through', async () => {
    const id = h.state.list()[11].cluster.id;
    h.faults.add({ api: 'linode', clusterId: id, path: '/kubeconfig', method: 'GET', kind: 'failNext', count: 2, status: 503, retryAfterSeconds: 7 });
    for (let i = 0; i < 2; i++) {
      const error = await httpError(getKubeConfig(id));
      assert.equal(error.status, 503);
      assert.deepEqual(error.data, linodeError('Service unavailable'));
      assert.equal(error.headers['retry-after'], '7');
    }
    assert.ok((await getKubeConfig(id)).kubeconfig);

    h.faults.add({ api: 'linode', path: '/lke/clusters', kind: 'failNext', count: 1, status: 429 });
    const limited = await httpError(getKubernetesClusters());
    assert.equal(limited.status, 429);
    assert.deepEqual(limited.data, linodeError('Too many requests'));
    assert.equal((await getKubernetesClusters()).results, 60);
  });

  it('sideEffectThenFail applies the side effect, then drops the connection or answers the status', async () => {
    const id = h.state.list()[12].cluster.id;
    h.faults.add({ api: 'linode', clusterId: id, path: '/regenerate', kind: 'sideEffectThenFail', count: 1, outcome: 'drop' });
    await assert.rejects(baseRequest.post(v4(`/lke/clusters/${id}/regenerate`), { kubeconfig: true, servicetoken: true }),
      (err: { code?: string; response?: unknown }) => err.response === undefined && typeof err.code === 'string');
    assert.equal(h.state.cluster(id)?.kubeconfigReady, false, 'the regenerate happened');
    assert.deepEqual(h.audit.list({ clusterId: id }).map((e) => [e.method, e.path, e.status, e.applied]),
      [['POST', `/lke/clusters/${id}/regenerate`, 'dropped', true]]);

    h.faults.add({ api: 'linode', clusterId: id, path: '/recycle', kind: 'sideEffectThenFail', count: 1, outcome: 500 });
    const error = await httpError(recycleClusterNodes(id));
    assert.equal(error.status, 500);
    assert.deepEqual(error.data, linodeError('Internal server error'));
    assert.equal(h.state.isRecycling(id), true, 'the recycle started');
    assert.equal(h.audit.count({ clusterId: id, path: '/recycle', applied: true }), 1);
  });

  it('errorRate faults fail matching calls only, with the Linode error shape', async () => {
    const [faulty, healthy] = h.state.list().slice(15, 17).map((c) => c.cluster.id);
    const remove = h.faults.add({ api: 'linode', clusterId: faulty, kind: 'errorRate', rate: 1, status: 502 });
    try {
      for (let i = 0; i < 3; i++) {
        const error = await httpError(getKubernetesCluster(faulty));
        assert.equal(error.status, 502);
        assert.deepEqual(error.data, linodeError('Bad gateway'));
      }
      assert.equal((await getKubernetesCluster(healthy)).id, healthy);
    } finally {
      remove();
    }
    assert.equal((await getKubernetesCluster(faulty)).id, faulty);
  });

  it('maintenance mode answers every call 503 with X-Maintenance-Mode, and nothing is applied', async () => {
    const id = h.state.list()[18].cluster.id;
    h.state.maintenanceMode = true;
    try {
      for (const call of [getKubernetesClusters(), getKubeConfig(id), recycleClusterNodes(id)]) {
        const error = await httpError(call);
        assert.equal(error.status, 503);
        assert.ok(error.headers['x-maintenance-mode'] !== undefined);
        assert.deepEqual(error.data, linodeError('Service unavailable'));
      }
    } finally {
      h.state.maintenanceMode = false;
    }
    assert.equal(h.state.isRecycling(id), false);
    assert.equal(h.audit.count({ clusterId: id, applied: true }), 0);
    assert.ok((await getKubeConfig(id)).kubeconfig);
  });

  it('adds injected latency', async () => {
    const id = h.state.list()[13].cluster.id;
    const remove = h.faults.add({ api: 'linode', clusterId: id, kind: 'latency', ms: 150 });
    try {
      const started = Date.now();
      await getKubernetesCluster(id);
      assert.ok(Date.now() - started >= 145, `took ${Date.now() - started} ms`);
    } finally {
      remove();
    }
    const started = Date.now();
    await getKubernetesCluster(id);
    assert.ok(Date.now() - started < 100);
  });

  it('survives bad input: every reply is a Linode error body and the server keeps serving', async () => {
    const id = h.state.list()[14].cluster.id;
    const cases: [string, string, string | undefined, number][] = [
      ['POST', `/v4/lke/clusters/${id}/regenerate`, '{"kubeconfig":', 400],
      ['POST', `/v4/lke/clusters/${id}/regenerate`, '\u0000\u0001', 400],
      ['POST', `/v4/lke/clusters/${id}/regenerate`, 'x'.repeat(200_000), 413],
      ['POST', `/v4/lke/clusters/${id}/recycle`, '{oops', 400],
      ['GET', '/v4beta/lke/clusters?page=1e3', undefined, 400],
      ['GET', '/v4beta/lke/clusters?page_size=%', undefined, 400],
      ['GET', '/v4beta/lke/clusters/%E0%A4%A', undefined, 404],
      ['DELETE', `/v4/lke/clusters/${id}`, undefined, 405],
      ['PATCH', `/v4/lke/clusters/${id}/kubeconfig`, undefined, 405],
      ['GET', `/v4/lke/clusters/${id}/pools/${'9'.repeat(40)}`, undefined, 404],
    ];
    for (const [method, path, body, status] of cases) {
      const reply = await raw(method, path, { body, headers: auth }).catch((err: Error) => ({ status: -1, body: err.message, headers: {} }));
      assert.equal(reply.status, status, `${method} ${path}`);
      const parsed = JSON.parse(reply.body) as { errors: { reason: string }[] };
      assert.equal(typeof parsed.errors[0].reason, 'string');
    }
    assert.equal((await getKubernetesCluster(id)).id, id);
    assert.equal(h.state.cluster(id)?.kubeconfigReady, true);
  });
});
