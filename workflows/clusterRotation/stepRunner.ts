// How the runbook's steps run: skipped when a resumed run already did them (the one place resume is
// decided), one activity at a time after a checkpoint (pause, stop), and Blocked for a human when an
// activity exhausts its retries.
import { ActivityFailure, type ActivityFunctionWithOptions, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { RotationActivities } from '../../common/activities.js';
import type { RotationPhase } from '../../common/names.js';
import { FailureType } from '../../common/failures.js';
import type { MissingTokenSecret, RotationStep } from '../../common/types.js';
import { activityOptions } from '../activityOptions.js';
import type { RotationLedger } from './ledger.js';
import { StopRequested, type RotationRun } from './run.js';

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
      return result;
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      block(run, name, err);
      const decision = await run.waitForHuman(() => run.blockedDecision !== null || (run.stop !== null && !run.compensating))
        .then(() => run.blockedDecision);
      run.blockedDecision = null;
      if (decision === null) {
        run.stoppedWhileBlockedOn = name;
        throw new StopRequested();
      }
      if (decision === 'skip') {
        if (skipPart?.()) continue;
        run.ledger.markSkipped(name);
        return SKIPPED;
      }
    }
  }
}

function block(run: RotationRun, name: RotationStep, err: ActivityFailure): void {
  const cause = err.cause;
  const type = cause instanceof ApplicationFailure ? cause.type ?? 'ApplicationFailure' : cause?.name ?? err.name;
  const tokenSecrets = type === FailureType.tokenSecretMissing && cause instanceof ApplicationFailure
    ? missingTokenSecrets(cause.details?.[0]) : undefined;
  run.ledger.block(name, { type, message: cause?.message || err.message, ...(tokenSecrets ? { tokenSecrets } : {}) });
}

/** The Secrets a TokenSecretMissing failure names in its details, checked: `skip` decides on them. */
function missingTokenSecrets(details: unknown): MissingTokenSecret[] | undefined {
  if (!Array.isArray(details)) return undefined;
  const valid = details.filter((d): d is MissingTokenSecret =>
    typeof d === 'object' && d !== null && typeof (d as MissingTokenSecret).name === 'string' &&
    ((d as MissingTokenSecret).owner === 'lke' || (d as MissingTokenSecret).owner === 'user'));
  return valid.length === details.length ? valid.map(({ name, owner }) => ({ name, owner })) : undefined;
}

/** Calls one activity, named by `summary` in Temporal Web. */
export function call<K extends ActivityName>(run: RotationRun, name: K, summary: string, arg: ActivityArg<K>): Promise<ActivityResult<K>> {
  // One proxy per activity type: each has its own timeouts.
  const activity = proxyActivities<RotationActivities>(activityOptions(name, run.input.tuning))[name] as unknown as
    ActivityFunctionWithOptions<(a: ActivityArg<K>) => Promise<ActivityResult<K>>>;
  return activity.executeWithOptions({ summary }, [arg]);
}
