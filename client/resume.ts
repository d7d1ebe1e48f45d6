// Continuing a cluster rotation that ended without completing, in a new run that repeats nothing
// destructive the old run finished. What the old run got done is read from its history.
import type { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { MEMO_KEYS, clusterRotationWorkflowId, type RotationPhase } from '../common/names.js';
import type {
  Approval, AwaitKubeconfigResult, ClusterRotationWorkflowInput, ClusterSnapshot, DeleteTokensResult, RecycleBatchResult, RecycleResult, RestartBatchResult,
  RestartResult, ResumeState, RotationControlResult, RotationReport, RotationStep, VerifyResult,
} from '../common/types.js';
import { startRotation, type StartedRotation } from './rotations.js';
import { decodeFirstPayload } from './payloads.js';

/** The rotation cannot be resumed (still running, completed, or never started). */
export class RotationNotResumableError extends Error {
  override name = 'RotationNotResumableError';
}

/**
 * Continues the cluster's latest rotation run that ended without completing (terminated, timed
 * out, failed, or cancelled): a new run with the old snapshot, approvals and finished steps, so no
 * destructive step the old run finished is repeated. Progress is read from the old run's history
 * (completed activities and approvals), which a terminated run cannot have failed to write.
 *
 * The new run keeps the old run's requester, so four-eyes still keeps them from approving it
 * whoever resumes; `resumedBy` is recorded in the new run's input, status and timeline.
 */
export async function resumeRotation(
  client: Client, clusterId: number, opts: { resumedBy: string; taskQueue?: string },
): Promise<StartedRotation> {
  const workflowId = clusterRotationWorkflowId(clusterId);
  const latest = client.workflow.getHandle(workflowId);
  const description = await latest.describe();
  const { runId } = description;
  const status = description.status.name;
  if (status === 'RUNNING' || status === 'CONTINUED_AS_NEW') {
    throw new RotationNotResumableError(`rotation ${workflowId} is still running (run ${runId})`);
  }
  if (status === 'COMPLETED') {
    const report = (await client.workflow.getHandle(workflowId, runId).result()) as RotationReport;
    const resumable: RotationPhase[] = ['Cancelled', 'Failed'];
    if (!resumable.includes(report.phase)) {
      throw new RotationNotResumableError(`rotation ${workflowId} ended ${report.phase}: nothing to resume; start a new rotation`);
    }
  }
  const { input, resume } = await readProgress(client, workflowId, runId);
  return startRotation(client, { ...input, requestedBy: input.requestedBy, resumedBy: opts.resumedBy, resume }, {
    ...(opts.taskQueue ? { taskQueue: opts.taskQueue } : {}),
    ...(resume.snapshot ? { region: resume.snapshot.region, label: resume.snapshot.label } : {}),
  });
}

/** Reads a run's input and what it got done from its history. Exported for tests. */
export async function readProgress(
  client: Client, workflowId: string, runId: string,
): Promise<{ input: ClusterRotationWorkflowInput; resume: ResumeState }> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const events = history.events ?? [];
  const decode = payloadDecoder(client);
  const input = await startInputOf<ClusterRotationWorkflowInput>(client, history, `run ${runId} of ${workflowId}`);
  const previous = input.resume;
  const resume: ResumeState = {
    previousRunId: runId,
    snapshot: previous?.snapshot ?? null,
    approvals: [...(previous?.approvals ?? [])],
    completedSteps: [...(previous?.completedSteps ?? [])],
    deleted: previous?.deleted ?? null,
    restarted: [...(previous?.restarted ?? [])],
    recycled: [...(previous?.recycled ?? [])],
    newFingerprint: previous?.newFingerprint ?? null,
  };
  const done = (step: RotationStep): void => {
    if (!resume.completedSteps.includes(step)) resume.completedSteps.push(step);
  };
  const undo = (...steps: RotationStep[]): void => {
    resume.completedSteps = resume.completedSteps.filter((s) => !steps.includes(s));
  };

  const scheduled = new Map<string, string>();
  for (const event of events) {
    const scheduledAttrs = event.activityTaskScheduledEventAttributes;
    if (scheduledAttrs) scheduled.set(String(event.eventId), scheduledAttrs.activityType?.name ?? '');
    const completed = event.activityTaskCompletedEventAttributes;
    if (completed) {
      const type = scheduled.get(String(completed.scheduledEventId)) ?? '';
      await applyActivityResult(type, () => decode(completed.result?.payloads));
    }
    // approvals written to the memo (every approval, Signal or Update, in runs since that patch)
    const memoApprovals = event.workflowPropertiesModifiedEventAttributes?.upsertedMemo?.fields?.[MEMO_KEYS.approvals];
    if (memoApprovals) for (const approval of await decode<Approval[]>([memoApprovals])) addApproval(approval);
    const update = event.workflowExecutionUpdateCompletedEventAttributes;
    const outcome = update?.outcome?.success?.payloads;
    if (outcome) {
      const approval = (await decode<RotationControlResult>(outcome)).approval;
      if (approval) addApproval(approval);
    }
  }
  return { input, resume };

  function addApproval(approval: Approval): void {
    if (resume.approvals.some((a) => a.gate === approval.gate)) return;
    resume.approvals.push(approval);
    done(approval.gate === 'beforeDelete' ? 'approval' : 'recycleApproval');
    done(approval.gate === 'beforeDelete' ? 'approval' : 'recycleApproval');
  }

  async function applyActivityResult(type: string, result: () => Promise<unknown>): Promise<void> {
    switch (type) {
      case 'snapshotCluster':
        resume.snapshot = (await result()) as ClusterSnapshot;
        return done('snapshot');
      case 'deleteTokenSecrets':
        resume.deleted = (await result()) as DeleteTokensResult;
        return done('deleteTokens');
      case 'regenerateCredentials':
        // A later regenerate (compensation) makes any kubeconfig fetched before it stale.
        undo('awaitKubeconfig', 'verify', 'deliverKubeconfig');
        resume.newFingerprint = null;
        return done('regenerate');
      case 'awaitKubeconfig':
        resume.newFingerprint = ((await result()) as AwaitKubeconfigResult).fingerprint;
        return done('awaitKubeconfig');
      case 'verifyRotation':
        resume.newFingerprint = ((await result()) as VerifyResult).newFingerprint;
        return done('verify');
      case 'deliverKubeconfig':
        return done('deliverKubeconfig');
      case 'restartWorkload':
        return addRestarts(resume, [(await result()) as RestartResult]);
      case 'recycleNode':
        return addRecycles(resume, [(await result()) as RecycleResult]);
      // the batches (runs since BATCHED_NODE_WORK): what each finished batch, or interrupted one, did
      case 'restartWorkloads':
        return addRestarts(resume, ((await result()) as RestartBatchResult).restarted);
      case 'recycleNodes':
        return addRecycles(resume, ((await result()) as RecycleBatchResult).recycled);
      default:
        return;
    }
  }
}

function addRestarts(resume: ResumeState, results: RestartResult[]): void {
  for (const r of results) {
    const same = (x: RestartResult): boolean =>
      x.workload.kind === r.workload.kind && x.workload.namespace === r.workload.namespace && x.workload.name === r.workload.name;
    if (!resume.restarted.some(same)) resume.restarted.push(r);
  }
}

function addRecycles(resume: ResumeState, results: RecycleResult[]): void {
  for (const r of results) if (!resume.recycled.some((x) => x.nodeId === r.nodeId)) resume.recycled.push(r);
}

/** The input a run was started with, from its history's first event. */
export async function startInputOf<T>(client: Client, history: temporal.api.history.v1.IHistory, run: string): Promise<T> {
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  if (!started) throw new RotationNotResumableError(`${run} has no start event`);
  return payloadDecoder(client)<T>(started.input?.payloads);
}

/** Decodes the first payload with the client's own converter and codecs. */
function payloadDecoder(client: Client): <T>(payloads: Payload[] | null | undefined) => Promise<T> {
  return async <T>(payloads: Payload[] | null | undefined): Promise<T> => {
    const decoded = await decodeFirstPayload<T>(client, payloads);
    if (decoded === undefined) throw new RotationNotResumableError('history event without a payload');
    return decoded;
  };
}
