// The runbook's steps, each one activity (or one per workload or node) through the step runner,
// and the approval gates. The order they run in is in workflow.ts.
import { isUserOwned } from '../../common/lke.js';
import { LKE_REGION } from '../../common/searchAttributes.js';
import type { ClusterSnapshot, RotationPlan } from '../../common/types.js';
import { patched, upsertMemo } from '@temporalio/workflow';
import { MEMO_KEYS } from '../../common/names.js';
import { nodeLabel, workloadLabel } from '../plan.js';
import { APPROVALS_IN_MEMO, BATCHED_NODE_WORK, CLUSTER_MEMO, ROLL_FORWARD_FROM_SNAPSHOT } from './patches.js';
import { previewDrain, recycleNodesBatched, restartWorkloadsBatched } from './batches.js';
import type { Gate } from './ledger.js';
import { StopRequested, type RotationRun } from './run.js';
import { SKIPPED, call, mustRun, runStep } from './stepRunner.js';

const DEFAULT_GATE_TIMEOUT_MS = 24 * 60 * 60 * 1000;

export type GateOutcome = 'approved' | 'declined';

/** The snapshot the rest of the run works from (a resumed run carries its predecessor's). */
export function snapshotOf(run: RotationRun): ClusterSnapshot {
  if (!run.ledger.snapshot) throw new Error('no snapshot yet');
  return run.ledger.snapshot;
}

export async function takeSnapshot(run: RotationRun): Promise<void> {
  const { clusterId } = run.input;
  const restartScope = run.input.restart?.scope ?? 'none';
  // (the workflow gives runs without a restart option the 'affected' default at start: workflow.ts)
  // the pools are read only for a node recycle: a list is a collection GET, scarce in Linode's budget
  const pools = run.input.recycle?.mode === 'rolling';
  const snapshot = await mustRun(run, 'snapshot', 'Snapshotting', () =>
    call(run, 'snapshotCluster', `Snapshot cluster ${clusterId}: tokens, nodes, workloads`, { clusterId, restartScope, ...(pools ? {} : { pools }) }));
  run.ledger.snapshot = snapshot;
  run.ledger.complete('snapshot');
}

export function plan(run: RotationRun): RotationPlan {
  const snapshot = snapshotOf(run);
  const planned = run.ledger.applyPlan(snapshot, rollsForwardFromSnapshot(run));
  run.addSearchAttributes({ key: LKE_REGION, value: snapshot.region });
  // Temporal Web shows the memo on the run's page; runs recorded before it had none.
  if (patched(CLUSTER_MEMO)) upsertMemo({ [MEMO_KEYS.clusterLabel]: snapshot.label, [MEMO_KEYS.region]: snapshot.region });
  if (planned.rollForward) run.ledger.note('roll forward planned', planned.rollForward);
  run.ledger.changed();
  return planned;
}

/**
 * The snapshot found no working credentials (401, or a regeneration under way, e.g. of a run that was
 * terminated inside its window): the credential window is open from here, ungated. Asked only for
 * such snapshots, so histories of ordinary runs carry no marker.
 */
export function rollsForwardFromSnapshot(run: RotationRun): boolean {
  return snapshotOf(run).credentials !== undefined && patched(ROLL_FORWARD_FROM_SNAPSHOT);
}

/** Waits for approve or reject; declined when rejected or timed out (nothing is changed then). */
export async function gate(run: RotationRun, which: Gate): Promise<GateOutcome> {
  const { ledger, status } = run;
  await run.checkpoint();
  const timeoutMs = run.input.gateTimeoutMs ?? DEFAULT_GATE_TIMEOUT_MS;
  const since = ledger.now();
  status.pendingGate = { gate: which, since, timeoutAt: new Date(Date.parse(since) + timeoutMs).toISOString() };
  run.gateDecision = null;
  ledger.setPhase(which === 'beforeDelete' ? 'AwaitingApproval' : 'AwaitingRecycleApproval',
    which === 'beforeDelete' ? 'approval' : 'recycleApproval', `waiting for approval (${which})`);
  run.notifier.emit('rotation.gate.waiting', { phase: status.phase, gate: which, timeoutAt: status.pendingGate.timeoutAt });
  const answered = await run.waitForHuman(() => run.gateDecision !== null || run.stop !== null, timeoutMs);
  status.pendingGate = null;
  if (run.stop) throw new StopRequested();
  const decision = run.answeredGate();
  if (!answered || !decision) {
    ledger.note(`${which} gate timed out after ${timeoutMs} ms`);
    return 'declined';
  }
  if ('rejection' in decision) {
    ledger.note(`${which} rejected`, `${decision.rejection.by}: ${decision.rejection.reason}`);
    return 'declined';
  }
  status.approvals.push(decision.approval);
  // In history for resumeRotation (client/resume.ts): an approval sent as a Signal has no Update result there.
  if (patched(APPROVALS_IN_MEMO)) upsertMemo({ [MEMO_KEYS.approvals]: status.approvals });
  ledger.complete(which === 'beforeDelete' ? 'approval' : 'recycleApproval');
  ledger.note(`${which} approved`, decision.approval.by + (decision.approval.comment ? `: ${decision.approval.comment}` : ''));
  return 'approved';
}

export async function deleteTokens(run: RotationRun): Promise<void> {
  const { clusterId, tokenSecrets: secrets, credentials } = snapshotOf(run);
  if (credentials) {
    // the tokens are already dead (their Secrets deleted): there is nothing to delete, nor to read it with
    run.ledger.recordDeleted({ deleted: [], alreadyGone: [], conflicts: [] });
    run.ledger.complete('deleteTokens');
    run.ledger.note('deleteTokens: nothing to delete', credentials === 'rejected'
      ? 'the current kubeconfig was already rejected (401) at snapshot'
      : 'a regeneration was already under way at snapshot (the kubeconfig answered 503)');
    return;
  }
  const deleted = await mustRun(run, 'deleteTokens', 'DeletingTokens', () =>
    call(run, 'deleteTokenSecrets', `Delete ${secrets.length} token Secrets in kube-system`, { clusterId, secrets }));
  run.ledger.recordDeleted(deleted);
  if (deleted.conflicts.length) run.ledger.note('left alone (recreated after the snapshot)', deleted.conflicts.join(', '));
  run.ledger.complete('deleteTokens');
}

/**
 * `deliberately`: the roll-forward asks LKE again on purpose (the kubeconfig never appeared), so its
 * first POST does not look for an earlier one's sign; any other regenerate after the run's first
 * (a Blocked step retried, a roll-forward after a stop, a resumed run past its deletes) looks first,
 * since the earlier one may have reached LKE and lost its answer.
 */
export async function regenerate(run: RotationRun, deliberately = false): Promise<void> {
  const { clusterId } = run.input;
  if (run.ledger.snapshot?.credentials === 'regenerating' && !run.ledger.done('regenerate')) {
    // a second POST would only start another regeneration; a kubeconfig that never appears is
    // regenerated by the roll-forward (window.ts)
    run.ledger.complete('regenerate');
    run.ledger.note('regenerate: not sent', 'a regeneration was already under way at snapshot; awaiting its kubeconfig');
    return;
  }
  const previousFingerprint = run.ledger.snapshot?.adminTokenFingerprint ?? null;
  let onPurpose = deliberately;
  const result = await mustRun(run, 'regenerate', 'Regenerating', () => {
    const lookFirst = !onPurpose && (run.regenerateCalls > 0 || (run.input.resume !== undefined && run.ledger.done('deleteTokens')));
    onPurpose = false;
    run.regenerateCalls++;
    return call(run, 'regenerateCredentials', 'Regenerate kubeconfig and service token',
      { clusterId, previousFingerprint, ...(lookFirst ? { lookFirst } : {}) });
  });
  // a retried attempt (or a later regenerate that looked first) that POSTed again regenerated a second time: the timeline says why
  if (result?.posted && (result.attempt > 1 || result.reason !== undefined)) {
    run.ledger.note('roll forward: regenerate sent again', result.reason ?? `attempt ${result.attempt} of the regenerate POSTed again`);
  }
  run.ledger.complete('regenerate');
}

export async function awaitKubeconfig(run: RotationRun): Promise<void> {
  const snapshot = snapshotOf(run);
  const superseded = run.ledger.supersededFingerprints;
  const result = await mustRun(run, 'awaitKubeconfig', 'AwaitingKubeconfig', () =>
    call(run, 'awaitKubeconfig', 'Wait for the new kubeconfig to become available', {
      clusterId: snapshot.clusterId, previousFingerprint: snapshot.adminTokenFingerprint,
      ...(superseded.length ? { supersededFingerprints: [...superseded] } : {}),
    }));
  run.ledger.newFingerprint = result.fingerprint;
  run.ledger.complete('awaitKubeconfig');
}

/** The user-owned token Secrets the snapshot found: LKE's regenerate does not bring them back. */
export function userTokenSecrets(run: RotationRun) {
  return snapshotOf(run).tokenSecrets.filter(isUserOwned);
}

/** Once the new kubeconfig works: each user-owned token Secret created again, for the token controller to fill. */
export async function recreateUserTokens(run: RotationRun): Promise<void> {
  const secrets = userTokenSecrets(run);
  const result = await runStep(run, 'recreateUserTokens', 'Verifying', () =>
    call(run, 'recreateUserTokenSecrets', `Recreate ${secrets.length} user-owned token Secrets in kube-system`, {
      clusterId: run.input.clusterId, newFingerprint: run.ledger.newFingerprint as string, secrets,
    }));
  // skipped: verify names the Secrets that were not recreated
  if (result === SKIPPED) return;
  run.ledger.recordRecreated(result);
  run.ledger.complete('recreateUserTokens');
}

const UNTOUCHED_EVENT = 'user-owned token Secrets not verified: the rotation stopped before the deletes finished';

export async function verify(run: RotationRun): Promise<void> {
  const snapshot = snapshotOf(run);
  // Stopped before the deletes finished (an abort or cancel rolling forward): a user-owned token
  // Secret may never have been deleted, so it still holds its old token and would hold verify
  // forever. Those are left out of verify (any that were deleted are recreated all the same).
  const untouched = run.ledger.done('deleteTokens') ? [] : userTokenSecrets(run).map((t) => t.name);
  if (untouched.length && !run.status.timeline.some((t) => t.event === UNTOUCHED_EVENT)) {
    run.ledger.note(UNTOUCHED_EVENT, untouched.join(', '));
  }
  const result = await mustRun(run, 'verify', 'Verifying', () => {
    const excluded = [...new Set([...run.ledger.skippedTokenSecrets, ...untouched])];
    return call(run, 'verifyRotation', 'Verify: nodes Ready, new token per service account, old token refused', {
      clusterId: snapshot.clusterId,
      newFingerprint: run.ledger.newFingerprint as string,
      previousFingerprint: snapshot.adminTokenFingerprint,
      nodes: snapshot.nodes,
      oldSecrets: snapshot.tokenSecrets,
      ...(excluded.length ? { excludeSecrets: [...excluded] } : {}),
    });
  }, () => skipMissingUserTokenSecrets(run));
  run.ledger.newFingerprint = result.newFingerprint;
  run.ledger.complete('verify');
  // a cluster whose kubeconfig already answered 401 at snapshot proved its old token dead there
  run.ledger.recordVerified(result, snapshot.credentials === 'rejected');
}

/** skip at verify (allowed only for missing user-owned token Secrets, controls.ts): leave them out and verify again. */
function skipMissingUserTokenSecrets(run: RotationRun): boolean {
  const missing = run.status.lastError?.tokenSecrets ?? [];
  if (missing.length === 0 || missing.some((m) => m.owner !== 'user')) return false;
  run.ledger.skipTokenSecrets(missing);
  return true;
}

export async function deliver(run: RotationRun): Promise<void> {
  const snapshot = snapshotOf(run);
  const result = await runStep(run, 'deliverKubeconfig', 'DeliveringKubeconfig', () =>
    call(run, 'deliverKubeconfig', `Deliver the new kubeconfig of ${snapshot.label}`,
      { clusterId: snapshot.clusterId, label: snapshot.label, fingerprint: run.ledger.newFingerprint as string }));
  if (result === SKIPPED) return;
  run.ledger.delivered = result;
  run.ledger.complete('deliverKubeconfig');
}

export async function restartWorkloads(run: RotationRun, planned: RotationPlan): Promise<void> {
  if (!planned.restartWorkloads.length) return;
  if (patched(BATCHED_NODE_WORK)) return restartWorkloadsBatched(run, planned);
  const { clusterId, takenAt } = snapshotOf(run);
  // Derived from the snapshot, which a resumed run carries over: a retry or a resume re-sends the
  // same value, so the activity sees the annotation already set and does not restart twice.
  const restartedAt = takenAt;
  for (const workload of planned.restartWorkloads) {
    if (run.ledger.workloadSettled(workload)) continue;
    const label = workloadLabel(workload);
    const result = await runStep(run, 'restartWorkloads', 'RestartingWorkloads', () =>
      call(run, 'restartWorkload', `Restart ${label}`, { clusterId, workload, restartedAt }));
    if (result === SKIPPED) run.ledger.skipItem(label);
    else run.ledger.recordRestart(result);
  }
  run.ledger.complete('restartWorkloads');
}

/** The credentials are rotated either way; declining node work only leaves it undone. */
export function declineRecycling(run: RotationRun): void {
  run.ledger.recycleDeclined = 'recycle gate rejected or timed out';
  run.ledger.markSkipped('recycleNodes');
}

/** Before the recycle gate, on the batched path: the drain preview the gate shows. */
export async function prepareRecycle(run: RotationRun, planned: RotationPlan): Promise<void> {
  // only for a human at the gate: a run without the gate does not spend history on it
  if (!planned.recycleNodes.length || !planned.gates.beforeRecycle || run.ledger.done('recycleNodes')) return;
  if (patched(BATCHED_NODE_WORK)) await previewDrain(run, planned);
}

export async function recycleNodes(run: RotationRun, planned: RotationPlan): Promise<void> {
  if (!planned.recycleNodes.length) return;
  if (patched(BATCHED_NODE_WORK)) return recycleNodesBatched(run, planned);
  for (const node of planned.recycleNodes) {
    if (run.ledger.nodeSettled(node)) continue;
    const label = nodeLabel(node);
    const result = await runStep(run, 'recycleNodes', 'RecyclingNodes', () =>
      call(run, 'recycleNode', `Recycle ${label}`, { clusterId: run.input.clusterId, node }));
    if (result === SKIPPED) run.ledger.skipItem(label);
    else run.ledger.recordRecycle(result);
  }
  run.ledger.complete('recycleNodes');
}
