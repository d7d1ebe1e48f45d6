// The rotation of one LKE cluster: Linode's "Rotate Kubernetes Secrets" runbook as a durable
// workflow (docs/design.md, "The steps"). Humans steer it through Updates (controls.ts); it never
// leaves the cluster without working admin credentials: from the token deletes until delivery, any
// stop rolls forward (regenerate, await, verify, deliver) instead of ending (docs/design.md, "The
// credential window").
import { allHandlersFinished, CancellationScope, condition, patched } from '@temporalio/workflow';
import type { ClusterRotationWorkflowInput, RotationReport } from '../../common/types.js';
import { FLEET_ROTATION_ID, LKE_CLUSTER_ID, REQUESTED_BY } from '../../common/searchAttributes.js';
import { releaseKubeconfigs } from './releaseKubeconfigs.js';
import { reportToFleet } from './reportToFleet.js';
import { cancel, installControls } from './controls.js';
import { applyGatePolicy } from './gatePolicy.js';
import { RotationRun, StopRequested } from './run.js';
import {
  declineRecycling, deleteTokens, gate, plan, prepareRecycle, recycleNodes, regenerate, restartWorkloads, rollsForwardFromSnapshot, takeSnapshot,
} from './steps.js';
import { step } from './stepRunner.js';
import { AFFECTED_RESTART_DEFAULT } from './patches.js';
import { closeCredentialWindow, deliverFreshCredentials, openCredentialWindow } from './window.js';

export async function clusterRotation(input: ClusterRotationWorkflowInput): Promise<RotationReport> {
  const run = new RotationRun(withRestartDefault(input));
  installControls(run);
  // Cancellation is handled like an abort, at the next safe point: the body runs non-cancellable
  // so an activity in flight settles (a half-done restart or recycle is never abandoned) and the
  // compensation can run to the end.
  CancellationScope.current().cancelRequested.catch(() => cancel(run));
  return await CancellationScope.nonCancellable(() => runToTheEnd(run));
}

async function runToTheEnd(run: RotationRun): Promise<RotationReport> {
  try {
    await runbook(run);
  } catch (err) {
    if (!(err instanceof StopRequested)) throw err;
    await stopRotation(run);
  }
  const { phase, lastError } = run.status;
  const reason = phase === 'Completed' ? undefined : endReason(run);
  // started beside the release, so the two usually complete into one workflow task (fewer history events)
  run.notifier.emit('rotation.ended', { phase, ...(reason ? { reason } : {}) });
  await releaseKubeconfigs(run);
  // An Update answered in the last activation must finish before the run closes.
  await condition(allHandlersFinished);
  await reportToFleet(run.input, phase, lastError?.message);
  // after the fleet heard: a slow webhook delays only the close of this run, never its fleet
  await run.notifier.settled();
  return run.ledger.report();
}

/** The runbook, in order. A step a resumed run already did is skipped by step(). */
async function runbook(run: RotationRun): Promise<void> {
  begin(run);
  await step(run, 'snapshot', () => takeSnapshot(run));
  const planned = plan(run);
  if (run.status.dryRun) {
    run.ledger.note('dry run: plan ready, nothing changed');
    return run.ledger.finish('Completed');
  }
  // A cluster found without working credentials: the window is open from the snapshot, ungated.
  const rollingForward = rollsForwardFromSnapshot(run);
  if (planned.gates.beforeDelete && (await step(run, 'approval', () => gate(run, 'beforeDelete'))) === 'declined') {
    return run.ledger.finish('Rejected');
  }

  await openCredentialWindow(run, rollingForward);
  await step(run, 'deleteTokens', () => deleteTokens(run));
  await step(run, 'regenerate', () => regenerate(run));
  // await, verify and deliver; delivery is inside the window: a stop now must still hand it over
  await deliverFreshCredentials(run);
  closeCredentialWindow(run);

  await step(run, 'restartWorkloads', () => restartWorkloads(run, planned));
  await prepareRecycle(run, planned);
  const recycleGate = planned.recycleNodes.length > 0 && planned.gates.beforeRecycle;
  if (recycleGate && (await step(run, 'recycleApproval', () => gate(run, 'beforeRecycle'))) === 'declined') {
    declineRecycling(run);
  } else {
    await step(run, 'recycleNodes', () => recycleNodes(run, planned));
  }
  run.ledger.finish('Completed');
}

/** Why a run ended other than Completed: the timeline's latest entry that says why (a stop, a rejection, a timeout). */
function endReason(run: RotationRun): string | undefined {
  const why = [...run.status.timeline].reverse().find((entry) => entry.detail);
  return why ? `${why.event}: ${why.detail}` : undefined;
}

/** Without a restart option, the workloads that use the rotated token Secrets are restarted (runs since the patch). */
function withRestartDefault(input: ClusterRotationWorkflowInput): ClusterRotationWorkflowInput {
  if (input.restart || !patched(AFFECTED_RESTART_DEFAULT)) return input;
  return { ...input, restart: { scope: 'affected' } };
}

function begin(run: RotationRun): void {
  const { input } = run;
  if (input.resume) run.ledger.resumeFrom(input.resume);
  // Set here, not only by the client, so a run started from the Temporal CLI is searchable too.
  run.addSearchAttributes(
    { key: LKE_CLUSTER_ID, value: input.clusterId },
    { key: REQUESTED_BY, value: input.requestedBy },
    ...(input.fleetRotationId ? [{ key: FLEET_ROTATION_ID, value: input.fleetRotationId }] : []),
  );
  const resumedBy = input.resume && input.resumedBy ? ` by ${input.resumedBy}` : '';
  run.ledger.setPhase('Snapshotting', 'snapshot', input.resume ? `resumed from run ${input.resume.previousRunId}${resumedBy}` : 'started');
  applyGatePolicy(run);
}


async function stopRotation(run: RotationRun): Promise<void> {
  const stop = run.stop;
  if (!stop) throw new Error('stopRotation without a stop request');
  run.consumeTickets();
  const why = stop.kind === 'abort' ? `aborted by ${stop.by}: ${stop.reason}` : 'cancelled';
  if (run.compensations.length) {
    run.compensating = true;
    run.status.paused = false;
    if (run.status.pausePending) run.status.pausePending = false;
    run.ledger.setPhase('Compensating', null, `${why}; rolling forward to working credentials`);
    for (const compensate of run.compensations.reverse()) await compensate();
    run.compensations = [];
  }
  run.ledger.finish('Cancelled', why);
}
