// The Linode adapter on @linode/api-v4 against the simulator over HTTP: the library's calls and
// ours reach the port's own origin with its own token, failures are classified, and two ports in one
// process stay apart. Also the X-Filter the adapter writes from the port's criteria.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLinodePort } from '../activities/linode/adapter.js';
import { linodeFilter } from '../activities/linode/filter.js';
import { FailureType } from '../common/failures.js';
import { kubeconfigFingerprint } from '../activities/kubeconfig/parse.js';
import { useSimulator } from './support/sim.js';
import { rejection } from './support/failures.js';
import { RETRY_AFTER_SCALE, linodeFor, kubeconfigOf, issuedTokens, assertNoToken } from './support/liveAdapters.js';

describe('Linode adapter on @linode/api-v4', () => {
  const sim = useSimulator({ clusters: 30, timeScale: 0.001, seed: 4, rateLimit: false });

  test('the library\'s calls and ours go to the port\'s origin (/v4beta and /v4) with its token', async () => {
    const linode = linodeFor(sim());
    const [first] = sim().state.list();
    const cluster = await linode.getCluster(first.cluster.id); // /v4beta
    assert.equal(cluster.label, first.cluster.label);
    const pools = await linode.listPools(first.cluster.id); // /v4beta
    const nodeId = pools[0].nodes[0].id;
    const node = await linode.getNode(first.cluster.id, nodeId); // /v4, request helper
    assert.equal(node.id, nodeId);
    assert.equal(typeof node.instance_id, 'number');
    await linode.recycleNode(first.cluster.id, nodeId); // /v4, library function
    assert.equal(sim().audit.count({ api: 'linode', method: 'POST', path: `/nodes/${nodeId}/recycle`, applied: true }), 1);
  });

  test('listClusters pages and filters through X-Filter', async () => {
    const linode = linodeFor(sim());
    const page1 = await linode.listClusters({ pageSize: 25 });
    assert.equal(page1.results, 30);
    assert.equal(page1.pages, 2);
    assert.equal(page1.data.length, 25);
    const page2 = await linode.listClusters({ pageSize: 25, page: 2 });
    assert.equal(page2.data.length, 5);
    const region = page1.data[0].region;
    const filtered = await linode.listClusters({ where: { regions: [region] } });
    assert.ok(filtered.data.length > 0);
    assert.ok(filtered.data.every((c) => c.region === region));
    assert.equal(filtered.results, sim().state.list().filter((c) => c.cluster.region === region).length);
  });

  test('regenerate, service-token and kubeconfig deletes go through the request helpers; the kubeconfig is 503 meanwhile', async () => {
    const linode = linodeFor(sim());
    const id = sim().state.list()[1].cluster.id;
    const before = kubeconfigFingerprint(await kubeconfigOf(linode, id));
    await linode.regenerate(id, { kubeconfig: true, servicetoken: true });
    assert.deepEqual(await linode.getKubeconfig(id), { status: 'notReady' });
    await linode.deleteServiceToken(id);
    await linode.deleteKubeconfig(id);
    for (const path of ['/regenerate', '/servicetoken', '/kubeconfig']) {
      assert.equal(sim().audit.count({ api: 'linode', clusterId: id, path, applied: true }), 1, path);
    }
    let fetched = await linode.getKubeconfig(id);
    for (let i = 0; i < 200 && fetched.status === 'notReady'; i++) {
      await sleep(10);
      fetched = await linode.getKubeconfig(id);
    }
    assert.equal(fetched.status, 'ready');
    assert.notEqual(kubeconfigFingerprint(fetched.status === 'ready' ? fetched.kubeconfig : ''), before);
  });

  test('429 with Retry-After is retryable with a scaled nextRetryDelay; 404 and 401 are not retryable', async () => {
    const linode = linodeFor(sim());
    const id = sim().state.list()[2].cluster.id;
    sim().faults.add({ api: 'linode', kind: 'failNext', count: 1, status: 429, retryAfterSeconds: 12, path: `/lke/clusters/${id}` });
    const limited = await rejection(linode.getCluster(id));
    assert.equal(limited.type, FailureType.linodeRateLimited);
    assert.equal(limited.nonRetryable, false);
    assert.equal(limited.nextRetryDelay, 12_000 * RETRY_AFTER_SCALE);
    assert.equal((await linode.getCluster(id)).id, id);

    const missing = await rejection(linode.getCluster(424242));
    assert.equal(missing.type, FailureType.linodeNotFound);
    assert.equal(missing.nonRetryable, true);

    const wrongToken = 'f'.repeat(64);
    const unauthorized = await rejection(
      createLinodePort({ apiUrl: sim().linodeApiUrl, token: wrongToken }).getCluster(id));
    assert.equal(unauthorized.type, FailureType.linodeUnauthorized);
    assert.equal(unauthorized.nonRetryable, true);
    assertNoToken(new Set([wrongToken, sim().linodeToken]), limited, missing, unauthorized);
  });

  test('a Linode call slower than the timeout is abandoned and retryable', async () => {
    const id = sim().state.list()[4].cluster.id;
    const linode = createLinodePort({ apiUrl: sim().linodeApiUrl, token: sim().linodeToken, timeoutMs: 100 });
    const removeLatency = sim().faults.add({ api: 'linode', clusterId: id, kind: 'latency', ms: 1_000 });
    try {
      const slow = await rejection(linode.getCluster(id));
      assert.equal(slow.type, FailureType.linodeUnavailable);
      assert.equal(slow.nonRetryable, false);
    } finally {
      removeLatency();
    }
  });

  test('a side effect answered 5xx or a dropped connection is retryable and names no secret', async () => {
    const linode = linodeFor(sim());
    const id = sim().state.list()[3].cluster.id;
    sim().faults.add({ api: 'linode', kind: 'sideEffectThenFail', count: 1, outcome: 502, path: `/lke/clusters/${id}/regenerate` });
    const serverError = await rejection(linode.regenerate(id, { kubeconfig: true, servicetoken: true }));
    assert.equal(serverError.type, FailureType.linodeServerError);
    assert.equal(serverError.nonRetryable, false);
    sim().faults.add({ api: 'linode', kind: 'sideEffectThenFail', count: 1, outcome: 'drop', path: `/lke/clusters/${id}/servicetoken` });
    const dropped = await rejection(linode.deleteServiceToken(id));
    assert.equal(dropped.type, FailureType.linodeUnavailable);
    assert.equal(dropped.nonRetryable, false);
    assert.equal(sim().audit.count({ clusterId: id, path: '/regenerate', applied: true }), 1);
    assertNoToken(issuedTokens(sim()), serverError, dropped);
  });
});

describe('Linode ports are instances: two in one process do not interfere', () => {
  const simA = useSimulator({ clusters: 4, timeScale: 0.001, seed: 21, rateLimit: false });
  const simB = useSimulator({ clusters: 4, timeScale: 0.001, seed: 22, rateLimit: false });

  test('calls of two ports on two simulators, interleaved, each reach their own origin with their own token', async () => {
    const a = linodeFor(simA());
    const b = linodeFor(simB()); // built second: it must not re-target `a`
    const clustersA = simA().state.list().map(({ cluster }) => cluster);
    const clustersB = simB().state.list().map(({ cluster }) => cluster);
    assert.ok(simA().linodeToken !== simB().linodeToken && simA().linodeApiUrl !== simB().linodeApiUrl);
    // a little latency on both, so that every call is in flight while the other port's are made
    const removeA = simA().faults.add({ api: 'linode', kind: 'latency', ms: 20 });
    const removeB = simB().faults.add({ api: 'linode', kind: 'latency', ms: 20 });
    try {
      const calls: Promise<void>[] = [];
      for (let i = 0; i < 4; i++) {
        for (const [port, clusters] of [[a, clustersA], [b, clustersB]] as const) {
          const expected = clusters[i];
          // a library function (/v4beta) and one of ours (/v4, get-node) per cluster and port
          calls.push(port.getCluster(expected.id).then((got) => assert.deepEqual([got.id, got.label], [expected.id, expected.label])));
          calls.push(port.listPools(expected.id).then(async (pools) => {
            const node = pools[0].nodes[0];
            assert.equal((await port.getNode(expected.id, node.id)).instance_id, node.instance_id);
          }));
        }
      }
      await Promise.all(calls);
      // side effects land on the port's own simulator only
      await Promise.all([a.regenerate(clustersA[0].id, { kubeconfig: true, servicetoken: false }),
        b.regenerate(clustersB[1].id, { kubeconfig: true, servicetoken: false })]);
      assert.deepEqual(simA().audit.list({ path: '/regenerate' }).map((e) => [e.clusterId, e.status]), [[clustersA[0].id, 200]]);
      assert.deepEqual(simB().audit.list({ path: '/regenerate' }).map((e) => [e.clusterId, e.status]), [[clustersB[1].id, 200]]);
    } finally {
      removeA();
      removeB();
    }
  });

  test('token and timeout are per port: a wrong token or a short timeout fails only its own port', async () => {
    const id = simA().state.list()[2].cluster.id;
    const good = linodeFor(simA());
    const wrongToken = createLinodePort({ apiUrl: simA().linodeApiUrl, token: simB().linodeToken });
    const impatient = createLinodePort({ apiUrl: simA().linodeApiUrl, token: simA().linodeToken, timeoutMs: 50 });
    const removeLatency = simA().faults.add({ api: 'linode', clusterId: id, kind: 'latency', ms: 300 });
    try {
      const [fine, unauthorized, slow] = await Promise.all([
        good.getCluster(id), rejection(wrongToken.getCluster(id)), rejection(impatient.getCluster(id)),
      ]);
      assert.equal(fine.id, id);
      assert.equal(unauthorized.type, FailureType.linodeUnauthorized);
      assert.equal(slow.type, FailureType.linodeUnavailable);
      assertNoToken(new Set([simA().linodeToken, simB().linodeToken]), unauthorized, slow);
    } finally {
      removeLatency();
    }
  });
});

describe('X-Filter from the port\'s cluster criteria', () => {
  test('one value is equality, several are +or, criteria combine with +and, label text is +contains', () => {
    assert.equal(linodeFilter(), undefined);
    assert.equal(linodeFilter({ tags: [], regions: undefined }), undefined, 'no criteria, no header');
    assert.deepEqual(linodeFilter({ tags: ['prod'] }), { tags: 'prod' });
    assert.deepEqual(linodeFilter({ tags: ['prod'], regions: ['us-ord', 'us-iad'] }),
      { '+and': [{ tags: 'prod' }, { '+or': [{ region: 'us-ord' }, { region: 'us-iad' }] }] });
    assert.deepEqual(linodeFilter({ tags: ['a', 'b'], labelContains: 'pay' }),
      { '+and': [{ '+or': [{ tags: 'a' }, { tags: 'b' }] }, { label: { '+contains': 'pay' } }] });
  });
});
