// How the runbook's steps run: skipped when a resumed run already did them (the one place resume is
// decided), one activity at a time after a checkpoint (pause, stop), and Blocked for a human when an
// activity exhausts its retries.
import {
  ActivityFailure, type ActivityFunctionWithOptions, ApplicationFailure, patched, proxyActivities,
} from '@temporalio/workflow';
import type { RotationActivities } from '../../common/activities.js';
import { FailureType } from '../../common/failures.js';
import type { RotationPhase } from '../../common/names.js';
import type { MissingTokenSecret, RotationStep } from '../../common/types.js';
import { activityOptions } from '../activityOptions.js';
import type { RotationLedger } from './ledger.js';
import { windowRetryDelayMs } from './controls.js';
import { AUTO_RETRY_IN_WINDOW, SUPERSEDED_KUBECONFIG } from './patches.js';
import { KubeconfigSuperseded, StopRequested, type BlockedDecision, type RotationRun } from './run.js';

type ActivityName = keyof RotationActivities;
type ActivityArg<K extends ActivityName> = Parameters<RotationActivities[K]>[0];
type ActivityResult<K extends ActivityName> = Awaited<ReturnType<RotationActivities[K]>>;

export const SKIPPED = Symbol('skipped');
export type Skipped = typeof SKIPPED;

/**
 * When an earlier run (the one resumed) already did a step. Most steps count as done once recorded
 * as completed; a snapshot is done when there is one, a gate when it was approved, and the recycle
 * gate also when the nodes it guards are already recycled.
 */
const ALREADY_DONE: Partial<Record<RotationStep, (ledger: RotationLedger) => boolean>> = {
  snapshot: (ledger) => ledger.snapshot !== null,
  approval: (ledger) => ledger.hasApproval('beforeDelete'),
  recycleApproval: (ledger) => ledger.done('recycleNodes') || ledger.hasApproval('beforeRecycle'),
};

/** Runs one step of the runbook, unless it is already done; undefined then. */
export async function step<T>(run: RotationRun, name: RotationStep, body: () => Promise<T>): Promise<T | undefined> {
  const done = ALREADY_DONE[name] ?? ((ledger: RotationLedger) => ledger.done(name));
  if (done(run.ledger)) return undefined;
  return await body();
}

/**
 * A skip that leaves out only part of a step (verify: missing user-owned token Secrets): true when it
 * did, and the step then runs again without that part instead of being skipped.
 */
export type PartialSkip = () => boolean;

/** runStep for steps that cannot be skipped (the skip validator refuses them), except in part. */
export async function mustRun<T>(
  run: RotationRun, name: RotationStep, phase: RotationPhase, exec: () => Promise<T>, skipPart?: PartialSkip,
): Promise<T> {
  const result = await runStep(run, name, phase, exec, skipPart);
  if (result === SKIPPED) throw new Error(`${name} cannot be skipped`);
  return result;
}

/** Runs one activity; when it exhausts its retries the rotation is Blocked until a human decides. */
export async function runStep<T>(
  run: RotationRun, name: RotationStep, phase: RotationPhase, exec: () => Promise<T>, skipPart?: PartialSkip,
): Promise<T | Skipped> {
  for (;;) {
    await run.checkpoint();
    run.ledger.setPhase(phase, name);
    try {
      const result = await exec();
      run.status.lastError = null;
      run.windowRetries = 0;
      return result;
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      const failure = failureOf(err);
      if (SUPERSEDES[name]?.includes(failure.type) && patched(SUPERSEDED_KUBECONFIG)) {
        throw new KubeconfigSuperseded(run.ledger.newFingerprint, failure);
      }
      run.ledger.block(name, failure);
      const decision = await blockedDecision(run, name);
      if (decision === 'skip') {
        if (skipPart?.()) continue;
        run.ledger.markSkipped(name);
        return SKIPPED;
      }
    }
  }
}

/** Failures that mean the new kubeconfig was superseded by a later regenerate, by the step that sees them. */
const SUPERSEDES: Partial<Record<RotationStep, readonly string[]>> = {
  verify: [FailureType.kubeconfigRevoked, FailureType.kubeconfigChanged],
  deliverKubeconfig: [FailureType.kubeconfigRevoked, FailureType.kubeconfigChanged],
};

function failureOf(err: ActivityFailure): { type: string; message: string; tokenSecrets?: MissingTokenSecret[]; item?: string } {
  const cause = err.cause;
  const type = cause instanceof ApplicationFailure ? cause.type ?? 'ApplicationFailure' : cause?.name ?? err.name;
  const tokenSecrets = type === FailureType.tokenSecretMissing && cause instanceof ApplicationFailure
    ? missingTokenSecrets(cause.details?.[0]) : undefined;
  // a batch names the one workload or node it is Blocked on, so skip can leave out that one alone
  const named = cause instanceof ApplicationFailure ? (cause.details?.[0] as { item?: unknown } | undefined)?.item : undefined;
  const item = typeof named === 'string' && named.length <= 300 ? named : undefined;
  return { type, message: cause?.message || err.message, ...(tokenSecrets ? { tokenSecrets } : {}), ...(item ? { item } : {}) };
}

const NO_CREDENTIALS = 'the cluster has no working credentials until this step succeeds';

/**
 * Waits while Blocked on `name` for retry or skip; a stop throws StopRequested. Inside the credential
 * window nobody may leave the cluster without credentials by looking away, so the step is also
 * retried on its own after a backoff (docs/design.md, "The credential window").
 */
export async function blockedDecision(run: RotationRun, name: RotationStep): Promise<BlockedDecision> {
  const { ledger, status } = run;
  const error = status.lastError;
  run.notifier.emit('rotation.blocked', {
    phase: status.phase, step: name, ...(error ? { error: { type: error.type, message: error.message } } : {}),
  });
  const retryInMs = run.windowOpen && patched(AUTO_RETRY_IN_WINDOW)
    ? windowRetryDelayMs(run.windowRetries, run.input.tuning) : undefined;
  if (retryInMs !== undefined) {
    status.autoRetryAt = new Date(Date.parse(ledger.now()) + retryInMs).toISOString();
    ledger.note(`retrying automatically at ${status.autoRetryAt}`, NO_CREDENTIALS);
  }
  const answered = await run.waitForHuman(
    () => run.blockedDecision !== null || (run.stop !== null && !run.compensating), retryInMs);
  status.autoRetryAt = null;
  const decision = run.blockedDecision;
  run.blockedDecision = null;
  if (decision !== null) return decision;
  if (!answered) {
    run.windowRetries++;
    ledger.note('retrying automatically', `${name}: ${NO_CREDENTIALS}`);
    return 'retry';
  }
  run.stoppedWhileBlockedOn = name;
  throw new StopRequested();
}

/** The Secrets a TokenSecretMissing failure names in its details, checked: `skip` decides on them. */
function missingTokenSecrets(details: unknown): MissingTokenSecret[] | undefined {
  if (!Array.isArray(details)) return undefined;
  const valid = details.filter((d): d is MissingTokenSecret =>
    typeof d === 'object' && d !== null && typeof (d as MissingTokenSecret).name === 'string' &&
    ((d as MissingTokenSecret).owner === 'lke' || (d as MissingTokenSecret).owner === 'user'));
  return valid.length === details.length ? valid.map(({ name, owner }) => ({ name, owner })) : undefined;
}

/**
 * Calls one activity, named by `summary` in Temporal Web. The Linode requests its result says it
 * made (`linodeCalls`, added by the worker) go to the ledger and are taken off the result.
 */
export async function call<K extends ActivityName>(run: RotationRun, name: K, summary: string, arg: ActivityArg<K>): Promise<ActivityResult<K>> {
  // One proxy per activity type: each has its own timeouts.
  const activity = proxyActivities<RotationActivities>(activityOptions(name, run.input.tuning, run.input.linodeTaskQueue))[name] as unknown as
    ActivityFunctionWithOptions<(a: ActivityArg<K>) => Promise<ActivityResult<K>>>;
  const result = await activity.executeWithOptions({ summary }, [arg]);
  if (result && typeof result === 'object' && 'linodeCalls' in result) {
    const { linodeCalls, ...rest } = result as ActivityResult<K> & { linodeCalls: unknown };
    run.ledger.countLinodeCalls(linodeCalls);
    return rest as ActivityResult<K>;
  }
  return result;
}
