// The real adapters (@linode/api-v4 with its URLs rewritten, @kubernetes/client-node with the served
// kubeconfig) against the real simulator over HTTP(S), and the whole activity sequence through them.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger, type LogEntry } from '@temporalio/worker';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { createActivities } from '../activities/index.js';
import { createLiveDependencies } from '../activities/live.js';
import { createLinodePort } from '../activities/linode/adapter.js';
import { createKubePort } from '../activities/kube/adapter.js';
import { FailureType } from '../activities/errors.js';
import { kubeconfigFingerprint } from '../activities/kubeconfig.js';
import type { LinodePort } from '../activities/ports.js';
import type { Simulator } from '../sim/index.js';
import { useSimulator, withSimulator } from './support/sim.js';
import { rejection } from './support/failures.js';

const RETRY_AFTER_SCALE = 0.001;

function linodeFor(sim: Simulator): LinodePort {
  return createLinodePort({ apiUrl: sim.linodeApiUrl, token: sim.linodeToken, retryAfterScale: RETRY_AFTER_SCALE });
}

async function kubeconfigOf(linode: LinodePort, clusterId: number): Promise<string> {
  const fetched = await linode.getKubeconfig(clusterId);
  assert.equal(fetched.status, 'ready');
  return fetched.kubeconfig;
}


/** Every token the simulator has issued so far: the Linode token and each token Secret's data.token. */
function issuedTokens(sim: Simulator, into = new Set<string>()): Set<string> {
  into.add(sim.linodeToken);
  for (const { cluster } of sim.state.list()) {
    const kube = sim.state.kube(cluster.id)!;
    into.add(kube.adminToken());
    for (const secret of kube.tokenSecrets()) {
      const encoded = (secret.data as { token?: string } | undefined)?.token;
      if (encoded) into.add(Buffer.from(encoded, 'base64').toString('utf8'));
    }
  }
  return into;
}

function assertNoToken(tokens: Set<string>, ...values: unknown[]): void {
  const text = JSON.stringify(values, (_k, v: unknown) =>
    (v instanceof Error ? { message: v.message, stack: v.stack, type: (v as ApplicationFailure).type } : v));
  for (const token of tokens) assert.ok(!text.includes(token), 'a token leaked into an error, result or log');
}

describe('Linode adapter on @linode/api-v4', () => {
  const sim = useSimulator({ clusters: 30, timeScale: 0.001, seed: 4 });

  test('the one interceptor sends /v4beta and /v4 calls to the simulator with the token', async () => {
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

  test('listClusters pages and passes X-Filter', async () => {
    const linode = linodeFor(sim());
    const page1 = await linode.listClusters({ pageSize: 25 });
    assert.equal(page1.results, 30);
    assert.equal(page1.pages, 2);
    assert.equal(page1.data.length, 25);
    const page2 = await linode.listClusters({ pageSize: 25, page: 2 });
    assert.equal(page2.data.length, 5);
    const region = page1.data[0].region;
    const filtered = await linode.listClusters({ filter: { region } });
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
    linodeFor(sim()); // back to the real token for the tests after this one
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
      linodeFor(sim()); // default timeout again for the tests after this one
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

describe('Kubernetes adapter on @kubernetes/client-node', () => {
  const sim = useSimulator({ clusters: 3, timeScale: 0.001, seed: 5 });

  test('delete with a uid precondition: conflict, deleted, then notFound', async () => {
    const linode = linodeFor(sim());
    const id = sim().state.list()[0].cluster.id;
    const kube = createKubePort(await kubeconfigOf(linode, id));
    const secrets = await kube.listTokenSecrets('kube-system');
    const victim = secrets.find((s) => s.serviceAccount !== 'lke-admin')!;
    assert.ok(victim.uid && victim.serviceAccount && victim.created && victim.tokenFingerprint);
    assert.equal(await kube.deleteSecret('kube-system', victim.name, 'not-the-uid'), 'conflict');
    assert.equal(await kube.deleteSecret('kube-system', victim.name, victim.uid), 'deleted');
    assert.equal(await kube.deleteSecret('kube-system', victim.name, victim.uid), 'notFound');
    assert.ok(!(await kube.listTokenSecrets('kube-system')).some((s) => s.uid === victim.uid));
  });

  test('restartedAt is set by a strategic merge patch and rolls out', async () => {
    const linode = linodeFor(sim());
    const id = sim().state.list()[1].cluster.id;
    const kube = createKubePort(await kubeconfigOf(linode, id));
    const [workload] = await kube.listWorkloads('all');
    const before = await kube.getWorkload(workload);
    await kube.patchRestartedAt(workload, '2026-11-29T10:30:00Z');
    const after = await kube.getWorkload(workload);
    assert.equal(after.restartedAt, '2026-11-29T10:30:00Z');
    assert.equal(after.generation, before.generation + 1);
    assert.equal(sim().state.kube(id)!.restartedAt(workload.kind, workload.namespace, workload.name), '2026-11-29T10:30:00Z');
    assert.ok((await kube.listWorkloads('kube-system')).every((w) => w.namespace === 'kube-system'));
    assert.deepEqual(await kube.listWorkloads('none'), []);
  });

  test('nodes and access checks; a kubeconfig with an unknown token is unauthorized', async () => {
    const linode = linodeFor(sim());
    const id = sim().state.list()[2].cluster.id;
    const kubeconfig = await kubeconfigOf(linode, id);
    const kube = createKubePort(kubeconfig);
    const nodes = await kube.listNodes();
    assert.ok(nodes.length > 0 && nodes.every((n) => n.ready && n.providerID?.startsWith('linode://')));
    assert.equal(await kube.checkAccess(), 'ok');
    const bogus = kubeconfig.replace(/token: \S+/, 'token: not-a-real-token');
    assert.equal(await createKubePort(bogus).checkAccess(), 'unauthorized');
    const failure = await rejection(createKubePort(bogus).listNodes());
    assert.equal(failure.type, FailureType.kubeUnauthorized);
    assert.equal(failure.nonRetryable, true);
    const broken = await rejection(Promise.resolve().then(() => createKubePort('clusters: [')));
    assert.equal(broken.type, FailureType.badKubeconfig);
  });

  test('a request slower than the timeout is abandoned and retryable', async () => {
    const linode = linodeFor(sim());
    const id = sim().state.list()[2].cluster.id;
    const kube = createKubePort(await kubeconfigOf(linode, id), { timeoutMs: 100 });
    const removeLatency = sim().faults.add({ api: 'kube', clusterId: id, kind: 'latency', ms: 1_000 });
    const started = Date.now();
    const slow = await rejection(kube.listNodes());
    removeLatency();
    assert.ok(Date.now() - started < 900, 'the client gave up at its timeout');
    assert.equal(slow.type, FailureType.kubeUnavailable);
    assert.equal(slow.nonRetryable, false);
    assert.match(slow.message, /timeout/);
  });
});

describe('cancellation reaches requests in flight', () => {
  const sim = useSimulator({ clusters: 2, timeScale: 0.001, seed: 7 });

  for (const api of ['linode', 'kube'] as const) {
    test(`a cancelled activity abandons a slow ${api} request and ends as cancelled`, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'adapters-cancel-'));
      try {
        const deps = createLiveDependencies({
          linodeApiUrl: sim().linodeApiUrl, linodeToken: sim().linodeToken, kubeconfigDir: dir, pollIntervalMs: 10,
        });
        const activities = createActivities(deps);
        const clusterId = sim().state.list()[api === 'linode' ? 0 : 1].cluster.id;
        const removeLatency = sim().faults.add({ api, clusterId, kind: 'latency', ms: 5_000 });
        const env = new MockActivityEnvironment({ startToCloseTimeoutMs: 60_000 }, { logger: new DefaultLogger('ERROR') });
        const started = Date.now();
        const running = env.run(activities.snapshotCluster, { clusterId, restartScope: 'none' as const });
        setTimeout(() => env.cancel('CANCELLED'), 100);
        await assert.rejects(running, (err: unknown) => err instanceof CancelledFailure);
        assert.ok(Date.now() - started < 3_000, `took ${Date.now() - started} ms: the request was not aborted`);
        removeLatency();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});

describe('the whole activity sequence through the real adapters', () => {
  /** What the Temporal worker would do: retry retryable failures after their delay, passing the last heartbeat. */
  async function runLikeTemporal<I, O>(fn: (input: I) => Promise<O>, input: I, errors: unknown[], logger: DefaultLogger): Promise<O> {
    let details: unknown;
    for (let attempt = 1; ; attempt++) {
      const env = new MockActivityEnvironment({ attempt, heartbeatDetails: details, startToCloseTimeoutMs: 60_000 }, { logger });
      env.on('heartbeat', (d: unknown) => { details = d; });
      try {
        return await env.run(fn, input);
      } catch (err) {
        errors.push(err);
        if (!(err instanceof ApplicationFailure) || err.nonRetryable || attempt >= 10) throw err;
        await sleep(typeof err.nextRetryDelay === 'number' ? err.nextRetryDelay : 10);
      }
    }
  }

  test('snapshot, delete, regenerate, await, verify, deliver, restart, recycle with faults on the way', async () => {
    await withSimulator({ clusters: 1, timeScale: 0.001, seed: 6 }, async (sim) => {
      const dir = await mkdtemp(join(tmpdir(), 'adapters-sequence-'));
      const logs: LogEntry[] = [];
      const logger = new DefaultLogger('TRACE', (entry) => { logs.push(entry); });
      const errors: unknown[] = [];
      const tokens = issuedTokens(sim);
      try {
        const deps = createLiveDependencies({
          linodeApiUrl: sim.linodeApiUrl, linodeToken: sim.linodeToken, kubeconfigDir: dir,
          pollIntervalMs: 10, tokenCacheWindowMs: 2_000, retryAfterScale: RETRY_AFTER_SCALE,
        });
        const activities = createActivities(deps);
        const clusterId = sim.state.list()[0].cluster.id;
        const run = <I, O>(fn: (input: I) => Promise<O>, input: I): Promise<O> => runLikeTemporal(fn, input, errors, logger);
        const started = Date.now();

        const snapshot = await run(activities.snapshotCluster, { clusterId, restartScope: 'all' as const });
        const oldKubeconfig = await kubeconfigOf(deps.linode, clusterId);
        assert.ok(snapshot.tokenSecrets.length >= 4 && snapshot.workloads.length > 0 && snapshot.poolNodes.length > 0);

        // a dropped connection after the second delete took effect: the retry finds it gone
        sim.faults.add({ api: 'kube', clusterId, method: 'DELETE', path: '/secrets/', kind: 'sideEffectThenFail', count: 1, outcome: 'drop' });
        const deleted = await run(activities.deleteTokenSecrets, { clusterId, secrets: snapshot.tokenSecrets });
        assert.equal(deleted.deleted.length + deleted.alreadyGone.length, snapshot.tokenSecrets.length);
        assert.deepEqual(deleted.conflicts, []);
        assert.equal(sim.audit.count({ api: 'kube', clusterId, method: 'DELETE', applied: true }), snapshot.tokenSecrets.length,
          'each token Secret deleted exactly once');

        // regenerate answered 502 after it happened: the retry regenerates again, which is safe
        sim.faults.add({ api: 'linode', clusterId, path: '/regenerate', kind: 'sideEffectThenFail', count: 1, outcome: 502 });
        await run(activities.regenerateCredentials, { clusterId });
        // a burst of 429s while the kubeconfig is awaited
        sim.faults.add({ api: 'linode', clusterId, path: '/kubeconfig', kind: 'failNext', count: 3, status: 429, retryAfterSeconds: 5 });
        const awaited = await run(activities.awaitKubeconfig, { clusterId, previousFingerprint: snapshot.adminTokenFingerprint });
        assert.notEqual(awaited.fingerprint, snapshot.adminTokenFingerprint);

        const verified = await run(activities.verifyRotation, {
          clusterId, newFingerprint: awaited.fingerprint, previousFingerprint: snapshot.adminTokenFingerprint,
          nodes: snapshot.nodes, oldSecrets: snapshot.tokenSecrets,
        });
        assert.equal(verified.oldTokenRejected, true);
        assert.equal(verified.nodesReady, snapshot.nodes.length);
        assert.deepEqual(verified.serviceAccountsWithNewToken, [...new Set(snapshot.tokenSecrets.map((s) => s.serviceAccount))].sort());

        const delivered = await run(activities.deliverKubeconfig, { clusterId, label: snapshot.label, fingerprint: awaited.fingerprint });
        assert.equal((await stat(delivered.location)).mode & 0o777, 0o600);
        const deliveredYaml = await readFile(delivered.location, 'utf8');
        assert.equal(kubeconfigFingerprint(deliveredYaml), awaited.fingerprint);
        assert.equal(await createKubePort(deliveredYaml).checkAccess(), 'ok');
        assert.equal(await createKubePort(oldKubeconfig).checkAccess(), 'unauthorized');

        const restartedAt = '2026-11-29T11:00:00Z';
        for (const workload of snapshot.workloads) {
          const result = await run(activities.restartWorkload, { clusterId, workload, restartedAt });
          assert.equal(result.patched, true);
          assert.equal(sim.state.kube(clusterId)!.restartedAt(workload.kind, workload.namespace, workload.name), restartedAt);
        }
        const again = await run(activities.restartWorkload, { clusterId, workload: snapshot.workloads[0], restartedAt });
        assert.equal(again.patched, false);
        assert.equal(sim.audit.count({ api: 'kube', clusterId, method: 'PATCH' }), snapshot.workloads.length);

        for (const node of snapshot.poolNodes) {
          const recycled = await run(activities.recycleNode, { clusterId, node });
          assert.equal(recycled.skipped, false);
          assert.ok(recycled.newInstanceId !== null && recycled.newInstanceId !== node.instanceId);
        }
        const skipped = await run(activities.recycleNode, { clusterId, node: snapshot.poolNodes[0] });
        assert.equal(skipped.skipped, true);
        assert.equal(sim.audit.count({ api: 'linode', clusterId, path: '/recycle' }), snapshot.poolNodes.length);
        const elapsedMs = Date.now() - started;

        // the faults did fire, and nothing they produced names a secret
        assert.ok(errors.length >= 2, `expected the injected faults to surface, got ${errors.length}`);
        issuedTokens(sim, tokens);
        assertNoToken(tokens, errors, snapshot, deleted, awaited, verified, delivered, logs.map((l) => [l.message, l.meta]));
        assert.ok(!JSON.stringify(logs.map((l) => l.meta)).includes('certificate-authority-data'));
        process.stdout.write(`# full activity sequence: ${elapsedMs} ms, ${snapshot.workloads.length} workloads, ` +
          `${snapshot.poolNodes.length} nodes, ${errors.length} injected failures retried\n`);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
});
