// The dev harness end to end: a real Temporal dev server from the provisioned binary, a worker on the
// `lke-rotation` task queue running the real clusterRotation workflow, driven through the client
// with the `status` Query and the `approve`/`reject` Updates. The activities are fakes that keep a
// tiny cluster's state, so the test checks what the workflow did, not only that it ended. Also: the
// SQLite-backed and time-skipping servers, and that no server outlives its process.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import type { RotationActivities } from '../common/activities.js';
import { clusterRotationWorkflowId, TASK_QUEUE } from '../common/names.js';
import type { ClusterRotationWorkflowInput, RotationReport, RotationStatus, TokenSecretRef } from '../common/types.js';
import { ensureSearchAttributes } from '../config/temporalConnection.js';
import { startDevServer, startTimeSkippingServer } from '../dev/devServer.js';
import { createRotationWorker } from '../worker/worker.js';
import { useTemporal } from './support/temporal.js';

const temporal = useTemporal();

/** A one-node cluster whose admin token changes on regenerate; records the order of calls. */
function fakeCluster(clusterId: number) {
  const calls: string[] = [];
  let generation = 1;
  const token = () => `secret-admin-token-${clusterId}-gen${generation}`;
  const fingerprint = () => `fp-${clusterId}-gen${generation}`;
  const secret = (sa: string): TokenSecretRef => ({
    namespace: 'kube-system', name: `${sa}-token-g${generation}`, uid: `uid-${sa}-${generation}`, serviceAccount: sa,
    created: '2026-01-01T00:00:00Z',
  });
  const activities: RotationActivities = {
    async snapshotCluster() {
      calls.push('snapshotCluster');
      return {
        clusterId, label: `cluster-${clusterId}`, region: 'us-iad', k8sVersion: '1.31', tier: 'standard',
        highAvailability: false, takenAt: '2026-01-01T00:00:00Z', adminTokenFingerprint: fingerprint(),
        tokenSecrets: [secret('lke-admin'), secret('ccm-user')],
        nodes: [{ name: 'lke-node-1', providerID: 'linode://100', ready: true }],
        poolNodes: [{ poolId: 7, nodeId: '7-a0', instanceId: 100, status: 'ready' }],
        workloads: [{ kind: 'Deployment', namespace: 'kube-system', name: 'coredns' }],
      };
    },
    async deleteTokenSecrets({ secrets }) {
      calls.push('deleteTokenSecrets');
      return { deleted: secrets.map((s) => s.name), alreadyGone: [], conflicts: [] };
    },
    async regenerateCredentials() {
      calls.push('regenerateCredentials');
      generation++;
    },
    async awaitKubeconfig() {
      calls.push('awaitKubeconfig');
      return { fingerprint: fingerprint(), attempts: 1 };
    },
    async recreateUserTokenSecrets() {
      calls.push('recreateUserTokenSecrets');
      return { created: [], alreadyThere: [], serviceAccountMissing: [] };
    },
    async verifyRotation({ newFingerprint }) {
      calls.push('verifyRotation');
      return { nodesReady: 1, serviceAccountsWithNewToken: ['lke-admin', 'ccm-user'], oldTokenRejected: true, newFingerprint };
    },
    async deliverKubeconfig({ fingerprint: fp }) {
      calls.push('deliverKubeconfig');
      return { location: `/kubeconfigs/cluster-${clusterId}.yaml`, fingerprint: fp };
    },
    async restartWorkload({ workload }) {
      calls.push(`restartWorkload:${workload.name}`);
      return { workload, patched: true };
    },
    async recycleNode({ node }) {
      calls.push(`recycleNode:${node.nodeId}`);
      return { nodeId: node.nodeId, oldInstanceId: node.instanceId, newInstanceId: 200, skipped: false };
    },
    // the batches (what runs now) record each item as the one-item activities did
    async restartWorkloads({ workloads }) {
      for (const w of workloads) calls.push(`restartWorkload:${w.name}`);
      return { restarted: workloads.map((workload) => ({ workload, patched: true })), interrupted: false };
    },
    async recycleNodes({ nodes }) {
      for (const n of nodes) calls.push(`recycleNode:${n.nodeId}`);
      return { recycled: nodes.map((n) => ({ nodeId: n.nodeId, oldInstanceId: n.instanceId, newInstanceId: 200, skipped: false, evicted: 0 })), interrupted: false };
    },
    // housekeeping, not steps of the runbook: not among the calls these tests compare
    async previewDrain({ nodes }) {
      return nodes.map((n) => ({ nodeId: n.nodeId, nodeName: null, evict: [], unmanaged: [], blockingBudgets: [] }));
    },
    async releaseKubeconfigs() {
      return { released: 0 };
    },
  };
  return { activities, calls, token };
}

async function waitForPhase(handle: WorkflowHandle, phase: RotationStatus['phase'], timeoutMs = 20_000): Promise<RotationStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: RotationStatus | undefined;
  while (Date.now() < deadline) {
    last = await handle.query<RotationStatus>('status');
    if (last.phase === phase) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`phase stayed ${last?.phase}, expected ${phase}`);
}

function rotationInput(clusterId: number): ClusterRotationWorkflowInput {
  return {
    clusterId,
    requestedBy: 'engine-test',
    approvals: { beforeDelete: true, beforeRecycle: false },
    restart: { scope: 'kube-system' },
    recycle: { mode: 'none' },
  };
}

/** A worker on `lke-rotation` with a fake cluster, and a rotation of it started the way the API does. */
async function startRotation(t: TestContext, clusterId: number) {
  const cluster = fakeCluster(clusterId);
  await temporal.startWorker(t, { activities: cluster.activities, taskQueue: TASK_QUEUE });
  const handle = await temporal.client.workflow.start('clusterRotation', {
    taskQueue: TASK_QUEUE,
    workflowId: clusterRotationWorkflowId(clusterId),
    args: [rotationInput(clusterId)],
  });
  return { cluster, handle };
}

test('the dev server has the rotation search attributes registered', async () => {
  const { customAttributes } = await temporal.server.connection.operatorService.listSearchAttributes({
    namespace: temporal.server.namespace,
  });
  for (const name of ['LkeClusterId', 'LkeRegion', 'RotationPhase', 'FleetRotationId', 'RequestedBy']) {
    assert.ok(name in customAttributes, `${name} registered`);
  }
  // What a worker does at start-up against any server: here everything exists already.
  assert.deepEqual(await ensureSearchAttributes(temporal.server.connection, temporal.server.namespace), []);
});

test('a clusterRotation on lke-rotation: Query shows the gate, the approve Update releases it, the run completes', { timeout: 60_000 }, async (t) => {
  const { cluster, handle } = await startRotation(t, 4242);
  const gated = await waitForPhase(handle, 'AwaitingApproval');
  assert.equal(gated.pendingGate?.gate, 'beforeDelete');
  assert.deepEqual(gated.plan?.deleteSecrets.map((s) => s.name), ['lke-admin-token-g1', 'ccm-user-token-g1']);
  assert.deepEqual(cluster.calls, ['snapshotCluster'], 'nothing destructive before approval');

  const approved = await handle.executeUpdate<{ phase: string; message: string }, [{ by: string; comment: string }]>('approve', {
    args: [{ by: 'alice', comment: 'change ticket 1' }],
  });
  assert.match(approved.message, /approved beforeDelete/);

  const report = await handle.result() as RotationReport;
  assert.equal(report.phase, 'Completed');
  assert.equal(report.newFingerprint, 'fp-4242-gen2');
  assert.deepEqual(cluster.calls, [
    'snapshotCluster', 'deleteTokenSecrets', 'regenerateCredentials', 'awaitKubeconfig', 'verifyRotation',
    'deliverKubeconfig', 'restartWorkload:coredns',
  ]);
  const status = await handle.query<RotationStatus>('status');
  assert.deepEqual(status.approvals.map((a) => [a.gate, a.by]), [['beforeDelete', 'alice']]);

  const description = await handle.describe();
  assert.equal(description.status.name, 'COMPLETED');
  assert.deepEqual(description.searchAttributes.LkeClusterId, [4242]);
  assert.deepEqual(description.searchAttributes.RotationPhase, ['Completed']);

  const history = JSON.stringify(await handle.fetchHistory());
  assert.ok(!history.includes('secret-admin-token'), 'no token in workflow history');
});

test('a wrong-time Update is refused with a reason, and reject ends the run with nothing changed', { timeout: 60_000 }, async (t) => {
  const { cluster, handle } = await startRotation(t, 4343);
  await waitForPhase(handle, 'AwaitingApproval');
  await assert.rejects(handle.executeUpdate('retry', { args: [{ by: 'bob' }] }), (err: Error) => {
    assert.match(String(err.cause), /only possible while the rotation is Blocked/);
    return true;
  });
  await handle.executeUpdate('reject', { args: [{ by: 'bob', reason: 'not during the release' }] });
  const report = await handle.result() as RotationReport;
  assert.equal(report.phase, 'Rejected');
  assert.deepEqual(cluster.calls, ['snapshotCluster']);
});

test('a dev server with a SQLite file keeps history across a restart', { timeout: 60_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lke-rotator-db-'));
  try {
    const dbFilename = join(dir, 'temporal.db');
    const first = await startDevServer({ dbFilename });
    try {
      await first.client.workflow.start('clusterRotation', {
        taskQueue: 'nobody-polls-this', workflowId: 'kept-across-restart', args: [rotationInput(1)],
      });
    } finally {
      await first.stop();
    }
    const second = await startDevServer({ dbFilename });
    try {
      const described = await second.client.workflow.getHandle('kept-across-restart').describe();
      assert.equal(described.type, 'clusterRotation');
      assert.equal(described.status.name, 'RUNNING');
    } finally {
      await second.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the time-skipping test server runs a 24-hour approval timeout in seconds', { timeout: 60_000 }, async () => {
  const server = await startTimeSkippingServer();
  try {
    const cluster = fakeCluster(4444);
    const worker = await createRotationWorker({
      connection: server.nativeConnection, taskQueue: 'time-skipping', activities: cluster.activities,
    });
    const started = Date.now();
    const report = await worker.runUntil(server.client.workflow.execute('clusterRotation', {
      taskQueue: 'time-skipping', workflowId: clusterRotationWorkflowId(4444), args: [rotationInput(4444)],
    })) as RotationReport;
    assert.equal(report.phase, 'Rejected', 'an unanswered gate ends as Rejected');
    assert.deepEqual(cluster.calls, ['snapshotCluster']);
    assert.ok(Date.now() - started < 20_000, 'time was skipped');
  } finally {
    await server.stop();
  }
});

// A process that started a dev server and is then ended from outside must not leave it running.
for (const signal of ['SIGTERM', 'SIGINT', 'SIGKILL'] as const) {
  test(`no Temporal server outlives its process after ${signal}`, { timeout: 60_000 }, async () => {
    const script = [
      "import { startDevServer } from './dev/devServer.ts';",
      'const s = await startDevServer();',
      // marked: the server's own banner goes to the same stdout and also names an address
      'console.log(`ADDRESS=${s.address}`);',
      'setInterval(() => {}, 1000);',
    ].join('\n');
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: join(import.meta.dirname, '..'), stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    try {
      const address = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /^ADDRESS=(\S+)$/m.exec(out);
          if (match) resolve(match[1]);
        });
        child.on('exit', (code) => reject(new Error(`child exited early with ${code}`)));
      });
      assert.ok(await accepts(address), `server is up at ${address}`);
      child.kill(signal);
      await exited;
      const deadline = Date.now() + 5_000;
      while (await accepts(address)) {
        assert.ok(Date.now() < deadline, `the server at ${address} still accepts connections after ${signal}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      // a failed assertion must not leave the child (and its server) holding this test process open
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    }
  });
}

function accepts(address: string): Promise<boolean> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
