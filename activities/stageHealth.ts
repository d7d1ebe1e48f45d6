// The soak's health check of one fleet stage (docs/design.md, "Stages"): for each cluster whose
// rotation completed, with the kubeconfig the Linode API serves now, every Node must be Ready, and
// every workload the rotation restarted must have a rollout that is not failing (kubectl rollout
// status semantics) and no fewer ready replicas than at the soak's first check. Read-only. Results
// carry names and counts only: they land in the fleet's history.
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import { FailureType } from '../common/failures.js';
import type {
  RotationReport, SoakFinding, StageHealthBaseline, StageHealthInput, StageHealthResult, WorkloadRef,
} from '../common/types.js';
import type { KubePort, KubePortFactory, LinodePort, WorkloadState } from './ports.js';
import { rolloutStatus } from './rollout.js';

export interface StageHealthDeps {
  linode: Pick<LinodePort, 'getKubeconfig'>;
  kube: KubePortFactory;
  /** reads the rotations' reports; defaults to the worker's own client (Context.current().client) */
  client?: Client;
}

type BaselineWorkload = StageHealthBaseline['workloads'][number];

/** Ready pods as rollout status counts them: available for a Deployment or a DaemonSet, ready for a StatefulSet. */
export function readyReplicas(state: WorkloadState): number {
  switch (state.kind) {
    case 'Deployment': return state.availableReplicas;
    case 'StatefulSet': return state.readyReplicas;
    case 'DaemonSet': return state.numberAvailable;
  }
}

/** The workloads a rotation restarted, from its report (paused Deployments were left alone); none when the run is gone. */
async function restartedWorkloads(client: Client, ref: StageHealthInput['clusters'][number]): Promise<WorkloadRef[]> {
  try {
    const report = await client.workflow.getHandle(ref.workflowId, ref.runId ?? undefined).result() as RotationReport;
    return (report.restarted ?? []).filter((r) => !r.paused).map((r) => r.workload);
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return []; // expired from retention: the Nodes are still checked
    throw error;
  }
}

const workloadName = (w: Pick<WorkloadRef, 'kind' | 'namespace' | 'name'>): string => `${w.kind} ${w.namespace}/${w.name}`;

async function kubeOf(deps: StageHealthDeps, clusterId: number): Promise<KubePort> {
  const fetched = await deps.linode.getKubeconfig(clusterId);
  if (fetched.status !== 'ready') {
    // a regenerate under way (another rotation, or by hand): retried, and after the attempts the fleet halts on it
    throw ApplicationFailure.retryable(`cluster ${clusterId}: the Linode API serves no kubeconfig yet`, FailureType.kubeconfigNotReady);
  }
  return deps.kube(fetched.kubeconfig);
}

/** One cluster: its findings, and its workloads with their ready replicas (the baseline's, once there is one). */
async function checkCluster(
  deps: StageHealthDeps, clusterId: number, workloads: BaselineWorkload[], hasBaseline: boolean, at: string,
): Promise<{ findings: SoakFinding[]; workloads: BaselineWorkload[] }> {
  const findings: SoakFinding[] = [];
  const found = (reason: string) => findings.push({ clusterId, reason, at });
  const kube = await kubeOf(deps, clusterId);
  const nodes = await kube.listNodes();
  if (nodes.length === 0) found('the cluster has no Nodes');
  for (const node of nodes) if (!node.ready) found(`node ${node.name} is NotReady`);
  const measured: BaselineWorkload[] = [];
  for (const workload of workloads) {
    let state: WorkloadState;
    try {
      state = await kube.getWorkload(workload);
    } catch (error) {
      if (error instanceof ApplicationFailure && error.type === FailureType.kubeNotFound) {
        found(`${workloadName(workload)} is gone`);
        measured.push(workload);
        continue;
      }
      throw error;
    }
    const rollout = rolloutStatus(state);
    if (rollout.state === 'failed') found(`rollout failing: ${rollout.message}`);
    const ready = readyReplicas(state);
    if (hasBaseline && ready < workload.ready) {
      found(`${workloadName(workload)}: ready replicas dropped from ${workload.ready} to ${ready}`);
    }
    measured.push({ ...workload, ready: hasBaseline ? workload.ready : ready });
  }
  return { findings, workloads: measured };
}

function heartbeat(details: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    /* called outside an activity (a test) */
  }
}

export async function checkStageHealth(deps: StageHealthDeps, input: StageHealthInput): Promise<StageHealthResult> {
  const at = new Date().toISOString();
  const baseline: StageHealthBaseline[] = [];
  const findings: SoakFinding[] = [];
  for (const [index, ref] of input.clusters.entries()) {
    const known = input.baseline?.find((b) => b.clusterId === ref.clusterId);
    const workloads = known?.workloads
      ?? (await restartedWorkloads(deps.client ?? Context.current().client, ref))
        .map(({ kind, namespace, name }) => ({ kind, namespace, name, ready: 0 }));
    const checked = await checkCluster(deps, ref.clusterId, workloads, known !== undefined, at);
    baseline.push({ clusterId: ref.clusterId, workloads: checked.workloads });
    findings.push(...checked.findings);
    heartbeat({ stage: input.stage, checked: index + 1, of: input.clusters.length });
  }
  // a check given the baseline does not send it back: the workflow has it
  return input.baseline ? { findings } : { baseline, findings };
}
