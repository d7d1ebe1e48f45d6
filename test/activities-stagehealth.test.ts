// The soak's health check (activities/stageHealth.ts) over fake ports: Nodes Ready, restarted
// workloads read from the rotation's report, the baseline of ready replicas and what counts as a
// regression (a failing rollout, fewer ready replicas, a workload gone); retryable when LKE serves
// no kubeconfig. The simulator run is test/fleet-stages-e2e.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import type { KubePort, LinodePort, WorkloadState } from '../activities/ports.js';
import { checkStageHealth } from '../activities/stageHealth.js';
import { FailureType } from '../common/failures.js';
import type { KubeNodeRef, RestartResult, StageHealthInput, WorkloadRef } from '../common/types.js';

const web: WorkloadRef = { kind: 'Deployment', namespace: 'shop', name: 'web' };
const db: WorkloadRef = { kind: 'StatefulSet', namespace: 'shop', name: 'db' };
const paused: WorkloadRef = { kind: 'Deployment', namespace: 'shop', name: 'frozen' };

const deployment = (available: number, extra: Partial<WorkloadState> = {}): WorkloadState => ({
  kind: 'Deployment', namespace: 'shop', name: 'web', generation: 2, observedGeneration: 2, restartedAt: null, paused: false,
  specReplicas: 3, replicas: 3, updatedReplicas: 3, availableReplicas: available, progressDeadlineExceeded: false, ...extra,
} as WorkloadState);
const statefulSet = (ready: number): WorkloadState => ({
  kind: 'StatefulSet', namespace: 'shop', name: 'db', generation: 1, observedGeneration: 1, restartedAt: null, updateStrategy: 'RollingUpdate',
  partition: 0, specReplicas: 2, readyReplicas: ready, updatedReplicas: 2,
});

/** One cluster's state, changed by the tests between checks. */
class World {
  nodes: KubeNodeRef[] = [{ name: 'n1', providerID: 'linode://1', ready: true }, { name: 'n2', providerID: 'linode://2', ready: true }];
  workloads = new Map<string, WorkloadState>([['Deployment/web', deployment(3)], ['StatefulSet/db', statefulSet(2)]]);
  kubeconfigReady = true;
  restarted: RestartResult[] = [{ workload: web, patched: true }, { workload: db, patched: true }, { workload: paused, patched: false, paused: true }];
  reportMissing = false;
  kubeconfigs: string[] = [];

  deps() {
    const linode: Pick<LinodePort, 'getKubeconfig'> = {
      getKubeconfig: async (clusterId) => (this.kubeconfigReady ? { status: 'ready', kubeconfig: `kubeconfig-of-${clusterId}` } : { status: 'notReady' }),
    };
    const kube = (yaml: string) => {
      this.kubeconfigs.push(yaml);
      return {
        listNodes: async () => this.nodes,
        getWorkload: async (ref: WorkloadRef) => {
          const state = this.workloads.get(`${ref.kind}/${ref.name}`);
          if (!state) throw ApplicationFailure.nonRetryable(`${ref.kind} ${ref.name} not found`, FailureType.kubeNotFound);
          return state;
        },
      } as unknown as KubePort;
    };
    const client = {
      workflow: {
        getHandle: (workflowId: string) => ({
          result: async () => {
            if (this.reportMissing) throw new WorkflowNotFoundError('gone', workflowId, undefined);
            return { restarted: this.restarted };
          },
        }),
      },
    } as unknown as Client;
    return { linode, kube, client };
  }
}

const input = (baseline?: StageHealthInput['baseline']): StageHealthInput => ({
  stage: 'canary', clusters: [{ clusterId: 7, workflowId: 'rotate-cluster-7', runId: 'r1' }], ...(baseline ? { baseline } : {}),
});

describe('checkStageHealth', () => {
  test('the first check records the restarted workloads (not the paused one) and their ready replicas; a healthy cluster has no finding', async () => {
    const world = new World();
    const first = await checkStageHealth(world.deps(), input());
    assert.deepEqual(first, {
      findings: [],
      baseline: [{ clusterId: 7, workloads: [{ ...web, ready: 3 }, { ...db, ready: 2 }] }],
    });
    assert.deepEqual(world.kubeconfigs, ['kubeconfig-of-7'], "the kubeconfig LKE serves now, through the Kube port");
    const again = await checkStageHealth(world.deps(), input(first.baseline));
    assert.deepEqual(again, { findings: [] }, 'nothing found; the baseline is not sent back');
  });

  test('a NotReady Node, a failing rollout, fewer ready replicas and a workload gone are findings, each naming the cluster', async () => {
    const world = new World();
    const { baseline } = await checkStageHealth(world.deps(), input());
    assert.ok(baseline);
    world.nodes[1] = { ...world.nodes[1], ready: false };
    world.workloads.set('Deployment/web', deployment(2, { progressDeadlineExceeded: true }));
    world.workloads.delete('StatefulSet/db');
    const { findings } = await checkStageHealth(world.deps(), input(baseline));
    assert.deepEqual(findings.map((f) => [f.clusterId, f.reason]), [
      [7, 'node n2 is NotReady'],
      [7, 'rollout failing: Deployment shop/web exceeded its progress deadline'],
      [7, 'Deployment shop/web: ready replicas dropped from 3 to 2'],
      [7, 'StatefulSet shop/db is gone'],
    ]);
  });

  test('more ready replicas than at the start, or a rollout still progressing, are no regression', async () => {
    const world = new World();
    world.workloads.set('Deployment/web', deployment(2, { updatedReplicas: 2 }));
    const { baseline } = await checkStageHealth(world.deps(), input());
    assert.equal(baseline?.[0].workloads[0].ready, 2);
    world.workloads.set('Deployment/web', deployment(3));
    assert.deepEqual((await checkStageHealth(world.deps(), input(baseline))).findings, []);
  });

  test('a cluster with no Nodes is a finding; a rotation gone from retention leaves the Nodes to check', async () => {
    const world = new World();
    world.reportMissing = true;
    world.nodes = [];
    const result = await checkStageHealth(world.deps(), input());
    assert.deepEqual(result.baseline, [{ clusterId: 7, workloads: [] }]);
    assert.deepEqual(result.findings.map((f) => f.reason), ['the cluster has no Nodes']);
  });

  test('no kubeconfig served (a regenerate under way): a retryable failure, so Temporal retries before the fleet halts on it', async () => {
    const world = new World();
    world.kubeconfigReady = false;
    await assert.rejects(checkStageHealth(world.deps(), input()), (err: unknown) =>
      err instanceof ApplicationFailure && !err.nonRetryable && err.type === FailureType.kubeconfigNotReady && /cluster 7/.test(err.message));
  });
});
