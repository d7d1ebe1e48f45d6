// The rotation of one LKE cluster: Linode's "Rotate Kubernetes Secrets" runbook as a durable
// workflow (docs/design.md, "The steps"). Humans steer it through Updates (controls.ts); it never
// leaves the cluster without working admin credentials: from the token deletes until delivery, any
// stop rolls forward (regenerate, await, verify, deliver) instead of ending (docs/design.md, "The
// credential window").
import { allHandlersFinished, CancellationScope, condition, patched } from '@temporalio/workflow';
import type { ClusterRotationWorkflowInput, RotationReport } from '../../common/types.js';
import { FLEET_ROTATION_ID, LKE_CLUSTER_ID, REQUESTED_BY } from '../../common/searchAttributes.js';
import { reportToFleet } from './reportToFleet.js';
import { cancel, installControls } from './controls.js';
import { RotationRun, StopRequested } from './run.js';
import {
  awaitKubeconfig, declineRecycling, deleteTokens, deliver, gate, plan, recreateUserTokens, recycleNodes, regenerate,
  restartWorkloads, takeSnapshot, userTokenSecrets, verify,
} from './steps.js';
import { step } from './stepRunner.js';

export async function clusterRotation(input: ClusterRotationWorkflowInput): Promise<RotationReport> {
  const run = new RotationRun(input);
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
  // An Update answered in the last activation must finish before the run closes.
  await condition(allHandlersFinished);
  await reportToFleet(run.input, run.status.phase, run.status.lastError?.message);
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
  if (planned.gates.beforeDelete && (await step(run, 'approval', () => gate(run, 'beforeDelete'))) === 'declined') {
    return run.ledger.finish('Rejected');
  }

  await openCredentialWindow(run);
  await step(run, 'deleteTokens', () => deleteTokens(run));
  await step(run, 'regenerate', () => regenerate(run));
  await step(run, 'awaitKubeconfig', () => awaitKubeconfig(run));
  await recreateUserTokensStep(run);
  await step(run, 'verify', () => verify(run));
  // Delivery is inside the window: a stop now must still hand over the new kubeconfig.
  await step(run, 'deliverKubeconfig', () => deliver(run));
  closeCredentialWindow(run);

  await step(run, 'restartWorkloads', () => restartWorkloads(run, planned));
  const recycleGate = planned.recycleNodes.length > 0 && planned.gates.beforeRecycle;
  if (recycleGate && (await step(run, 'recycleApproval', () => gate(run, 'beforeRecycle'))) === 'declined') {
    declineRecycling(run);
  } else {
    await step(run, 'recycleNodes', () => recycleNodes(run, planned));
  }
  run.ledger.finish('Completed');
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
  run.ledger.setPhase('Snapshotting', 'snapshot', input.resume ? `resumed from run ${input.resume.previousRunId}` : 'started');
}

/**
 * From here until delivery the cluster may be without working credentials, so a stop rolls forward
 * (the saga's one compensation). A resumed run that already delivered never opens it.
 */
async function openCredentialWindow(run: RotationRun): Promise<void> {
  if (run.ledger.done('deliverKubeconfig')) return;
  // Until the deletes start nothing has changed, so a stop arriving before them just ends the run.
  if (!run.ledger.done('deleteTokens')) await run.checkpoint();
  run.compensations.push(() => rollForward(run));
}

function closeCredentialWindow(run: RotationRun): void {
  run.compensations = [];
}

/** The cluster may be without working credentials: finish getting new ones, never restore old. */
async function rollForward(run: RotationRun): Promise<void> {
  const { ledger } = run;
  // A kubeconfig that never appeared is most likely fixed by asking Linode to regenerate again.
  const again = run.stoppedWhileBlockedOn === 'awaitKubeconfig';
  if (!ledger.done('regenerate') || again) await regenerate(run);
  if (!ledger.done('awaitKubeconfig') || again) await awaitKubeconfig(run);
  await recreateUserTokensStep(run);
  await step(run, 'verify', () => verify(run));
  await step(run, 'deliverKubeconfig', () => deliver(run));
}

/**
 * User-owned token Secrets the deletes removed, created again once the new kubeconfig works (LKE's
 * regenerate brings back only its own). Only rotations that have some run it, behind a patch marker,
 * so histories recorded before it replay unchanged.
 */
async function recreateUserTokensStep(run: RotationRun): Promise<void> {
  if (userTokenSecrets(run).length === 0 || !patched('recreate-user-token-secrets')) return;
  await step(run, 'recreateUserTokens', () => recreateUserTokens(run));
}

async function stopRotation(run: RotationRun): Promise<void> {
  const stop = run.stop;
  if (!stop) throw new Error('stopRotation without a stop request');
  run.consumeTickets();
  const why = stop.kind === 'abort' ? `aborted by ${stop.by}: ${stop.reason}` : 'cancelled';
  if (run.compensations.length) {
    run.compensating = true;
    run.status.paused = false;
    run.ledger.setPhase('Compensating', null, `${why}; rolling forward to working credentials`);
    for (const compensate of run.compensations.reverse()) await compensate();
    run.compensations = [];
  }
  run.ledger.finish('Cancelled', why);
}
