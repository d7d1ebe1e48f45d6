// The human controls of one rotation (approve, reject, pause, resume, retry, skip, abort) and the
// client's cancel. Each control is a decision (does the request apply now? if not, why) and an
// effect (what it changes, and the answer). The Updates and the Signals of the same names
// registered here call the same pair (docs/design.md, "The controls").
import { patched, setHandler } from '@temporalio/workflow';
import { FailureType } from '../../common/failures.js';
import type {
  AbortInput, Approval, ApproveInput, ControlInput, RejectInput, RotationControlResult, RotationError, RotationStep, RotationTuning,
  SignalRefusal,
} from '../../common/types.js';
import { isIdentity, sameIdentity } from '../../common/identity.js';
import { ALLOWED, type Decision, enforce, refused } from '../decision.js';
import {
  ROTATION_CONTROL_DESCRIPTIONS, STATUS_DESCRIPTION, abortSignal, abortUpdate, approveSignal, approveUpdate, pauseSignal, pauseUpdate,
  rejectSignal, rejectUpdate, resumeSignal, resumeUpdate, retrySignal, retryUpdate, skipSignal, skipUpdate, statusQuery,
} from '../definitions.js';
import { installSignalControl } from '../signalControls.js';
import { PAUSE_PENDING_IN_WINDOW } from './patches.js';
import type { BlockedDecision, RotationRun } from './run.js';

/** Why a step may not be skipped while Blocked; steps absent here are safe to skip. */
const UNSAFE_TO_SKIP: Partial<Record<RotationStep, string>> = {
  snapshot: 'the rotation needs the snapshot to know what to delete and to verify',
  deleteTokens: 'the old tokens would stay valid, so nothing would be rotated',
  regenerate: 'the cluster would be left without fresh credentials',
  awaitKubeconfig: 'nothing would prove that a new kubeconfig exists',
  verify: 'verify is what proves the cluster has working credentials',
};

/** What the decisions read: the run's state, never changed by deciding. */
export type ControlView = Pick<RotationRun, 'ledger' | 'status' | 'stop' | 'compensating' | 'blockedDecision' | 'gateDecision'>
  & { windowOpen?: boolean };

/** What the answer and the status say of a pause asked for inside the credential window. */
export const PAUSE_PENDING_MESSAGE = 'pause pending: takes effect after the new kubeconfig is delivered';

/** A step Blocked inside the credential window is retried after 1 min, doubling up to 15 min. */
const WINDOW_RETRY_FIRST_MS = 60_000;
const WINDOW_RETRY_MAX_MS = 15 * 60_000;

export function installControls(run: RotationRun): void {
  const about = ROTATION_CONTROL_DESCRIPTIONS;
  setHandler(statusQuery, () => run.status, { description: STATUS_DESCRIPTION });
  setHandler(approveUpdate, (a) => approve(run, a), { validator: (a) => enforce(decideApprove(run, a)), description: about.approve });
  setHandler(rejectUpdate, (r) => reject(run, r), { validator: (r) => enforce(decideReject(run, r)), description: about.reject });
  setHandler(pauseUpdate, (c) => pause(run, c), { validator: (_c: ControlInput) => enforce(decidePause(run)), description: about.pause });
  setHandler(resumeUpdate, (c) => resume(run, c), { validator: (_c: ControlInput) => enforce(decideResume(run)), description: about.resume });
  setHandler(retryUpdate, (c) => retry(run, c), { validator: (_c: ControlInput) => enforce(decideRetry(run)), description: about.retry });
  setHandler(skipUpdate, (c) => skip(run, c), { validator: (_c: ControlInput) => enforce(decideSkip(run)), description: about.skip });
  setHandler(abortUpdate, (a) => abort(run, a), { validator: (a) => enforce(decideAbort(run, a)), description: about.abort });
  installSignals(run);
}

/** The same controls as Signals: the same decisions and effects; a refusal goes to the status. */
function installSignals(run: RotationRun): void {
  const about = ROTATION_CONTROL_DESCRIPTIONS;
  const refuse = (refusal: SignalRefusal) => run.ledger.refuseSignal(refusal);
  installSignalControl(approveSignal, { decide: (a) => decideApprove(run, a), accept: (a) => approve(run, a) }, refuse, about.approve);
  installSignalControl(rejectSignal, { decide: (r) => decideReject(run, r), accept: (r) => reject(run, r) }, refuse, about.reject);
  installSignalControl(pauseSignal, { decide: () => decidePause(run), accept: (c) => pause(run, c) }, refuse, about.pause);
  installSignalControl(resumeSignal, { decide: () => decideResume(run), accept: (c) => resume(run, c) }, refuse, about.resume);
  installSignalControl(retrySignal, { decide: () => decideRetry(run), accept: (c) => retry(run, c) }, refuse, about.retry);
  installSignalControl(skipSignal, { decide: () => decideSkip(run), accept: (c) => skip(run, c) }, refuse, about.skip);
  installSignalControl(abortSignal, { decide: (a) => decideAbort(run, a), accept: (a) => abort(run, a) }, refuse, about.abort);
}

// ---- Decisions

function endedRefusal(run: ControlView, what: string): Decision | null {
  return run.ledger.isTerminal() ? refused(`cannot ${what}: the rotation already ended (${run.status.phase})`) : null;
}

function decideGateAnswer(run: ControlView, what: 'approve' | 'reject', by: string | undefined): Decision {
  const ended = endedRefusal(run, what);
  if (ended) return ended;
  if (!isIdentity(by)) return refused(`${what} needs 'by': who decides`);
  // Four-eyes, on every path (API, Temporal CLI, Temporal Web): a resumed run keeps the original requester.
  const { requestedBy } = run.status;
  if (sameIdentity(by, requestedBy)) {
    return refused(`the requester (${requestedBy}) cannot ${what} their own rotation: four-eyes${what === 'reject' ? ' (abort stops it)' : ''}`);
  }
  if (!run.status.pendingGate) {
    const earlier = run.status.approvals.map((a) => `${a.gate} was approved by ${a.by} at ${a.at}`);
    return refused(`no approval is pending (phase ${run.status.phase})${earlier.length ? `: ${earlier.join('; ')}` : ''}`);
  }
  if (run.gateDecision) return refused('this gate has already been answered');
  return ALLOWED;
}

export function decideApprove(run: ControlView, input: ApproveInput | undefined): Decision {
  return decideGateAnswer(run, 'approve', input?.by);
}

export function decideReject(run: ControlView, input: RejectInput | undefined): Decision {
  const answer = decideGateAnswer(run, 'reject', input?.by);
  if (!answer.ok) return answer;
  return input?.reason ? ALLOWED : refused('reject needs a reason');
}

export function decidePause(run: ControlView): Decision {
  const ended = endedRefusal(run, 'pause');
  if (ended) return ended;
  if (run.status.paused) return refused('the rotation is already paused');
  if (run.compensating) return refused('cannot pause while compensating: the cluster needs working credentials first');
  if (run.status.pausePending) return refused(`a pause is already pending: it takes effect after the new kubeconfig is delivered`);
  return ALLOWED;
}

/** Inside the credential window a pause would keep the cluster without credentials: it waits for delivery. */
export function pauseIsPending(run: ControlView): boolean {
  return run.windowOpen === true && !run.compensating;
}

export function decideResume(run: ControlView): Decision {
  const ended = endedRefusal(run, 'resume');
  if (ended) return ended;
  return run.status.paused || run.status.pausePending ? ALLOWED : refused('the rotation is not paused');
}

/** How long a step Blocked inside the credential window waits before it is retried without a human. */
export function windowRetryDelayMs(retriesSoFar: number, tuning: RotationTuning | undefined): number {
  const backoff = Math.min(WINDOW_RETRY_MAX_MS, WINDOW_RETRY_FIRST_MS * 2 ** Math.min(retriesSoFar, 10));
  return Math.max(1, Math.round(backoff * (tuning?.windowRetryScale ?? 1)));
}

function decideWhileBlocked(run: ControlView, what: BlockedDecision): Decision {
  const ended = endedRefusal(run, what);
  if (ended) return ended;
  if (run.status.phase !== 'Blocked' || run.blockedDecision) {
    return refused(`${what} is only possible while the rotation is Blocked (phase is ${run.status.phase})`);
  }
  return ALLOWED;
}

export function decideRetry(run: ControlView): Decision {
  return decideWhileBlocked(run, 'retry');
}

export function decideSkip(run: ControlView): Decision {
  const blocked = decideWhileBlocked(run, 'skip');
  if (!blocked.ok) return blocked;
  const step = run.status.step;
  if (step === 'verify') return decideSkipInVerify(run.status.lastError);
  const unsafe = step ? UNSAFE_TO_SKIP[step] : undefined;
  return step && unsafe ? refused(`skipping ${step} is unsafe: ${unsafe}`) : ALLOWED;
}

/**
 * Verify as a whole is never skipped. Only when all it still lacks are user-owned token Secrets (a
 * TokenSecretMissing naming only those) may a human leave them out; LKE's Secrets, the admin
 * credential among them, must be renewed.
 */
function decideSkipInVerify(error: RotationError | null): Decision {
  const missing = error?.type === FailureType.tokenSecretMissing ? error.tokenSecrets ?? [] : [];
  if (missing.length === 0) {
    return refused(`skipping verify is unsafe: ${UNSAFE_TO_SKIP.verify}`);
  }
  const lke = missing.filter((m) => m.owner !== 'user').map((m) => m.name);
  if (lke.length > 0) {
    return refused(`cannot skip: ${lke.join(', ')} ${lke.length === 1 ? 'is' : 'are'} LKE's; ` +
      "LKE's credential check cannot be skipped (only missing user-owned token Secrets can)");
  }
  return ALLOWED;
}

export function decideAbort(run: ControlView, input: AbortInput | undefined): Decision {
  const ended = endedRefusal(run, 'abort');
  if (ended) return ended;
  if (!isIdentity(input?.by)) return refused("abort needs 'by': who aborts");
  if (!input.reason) return refused('abort needs a reason');
  if (run.compensating) return refused('the rotation is already compensating: it will end Cancelled once credentials work');
  if (run.stop) return refused('a stop was already requested; it takes effect after the current activity');
  return ALLOWED;
}

/** Cancellation is not refused, only ignored when the run is past stopping. */
export function decideCancel(run: ControlView): Decision {
  if (run.ledger.isTerminal() || run.stop || run.compensating) return refused('the rotation is already ending');
  return ALLOWED;
}

// ---- Effects (called once the decision allowed the request)

export async function approve(run: RotationRun, a: ApproveInput): Promise<RotationControlResult> {
  const gate = run.status.pendingGate?.gate ?? 'beforeDelete';
  const approval: Approval = { gate, by: a.by, ...(a.comment ? { comment: a.comment } : {}), at: run.ledger.now() };
  run.gateDecision = { approval };
  await run.untilActedOn();
  return { ...run.ledger.summary(`approved ${gate}`), approval };
}

export async function reject(run: RotationRun, r: RejectInput): Promise<RotationControlResult> {
  run.gateDecision = { rejection: r };
  await run.untilActedOn();
  return run.ledger.summary(`rejected by ${r.by}: ${r.reason}`);
}

export function pause(run: RotationRun, c: ControlInput | undefined): RotationControlResult {
  if (pauseIsPending(run) && patched(PAUSE_PENDING_IN_WINDOW)) {
    run.status.pausePending = true;
    run.ledger.note('pause pending', `${c?.by ? `${c.by}: ` : ''}takes effect after the new kubeconfig is delivered`);
    return run.ledger.summary(PAUSE_PENDING_MESSAGE);
  }
  run.status.paused = true;
  run.ledger.note('paused', c?.by);
  return run.ledger.summary('paused: takes effect before the next step, workload or node');
}

export function resume(run: RotationRun, c: ControlInput | undefined): RotationControlResult {
  if (run.status.pausePending) {
    run.status.pausePending = false;
    run.ledger.note('pending pause cancelled', c?.by);
    return run.ledger.summary('the pending pause is cancelled');
  }
  run.status.paused = false;
  run.ledger.note('resumed', c?.by);
  return run.ledger.summary('resumed');
}

export function retry(run: RotationRun, c: ControlInput | undefined): Promise<RotationControlResult> {
  return answerBlocked(run, 'retry', c);
}

export function skip(run: RotationRun, c: ControlInput | undefined): Promise<RotationControlResult> {
  return answerBlocked(run, 'skip', c);
}

/** retry and skip: what to do about the step the rotation is Blocked on. */
async function answerBlocked(run: RotationRun, decision: BlockedDecision, c: ControlInput | undefined): Promise<RotationControlResult> {
  const message = decision === 'retry' ? 'retrying the step'
    : run.status.step === 'verify' ? 'user-owned token Secrets skipped; verify runs again without them' : 'step skipped';
  run.blockedDecision = decision;
  run.ledger.note(decision === 'retry' ? 'retry requested' : 'skip requested', c?.by);
  await run.untilActedOn();
  return run.ledger.summary(message);
}

export async function abort(run: RotationRun, a: AbortInput): Promise<RotationControlResult> {
  run.stop = { kind: 'abort', by: a.by, reason: a.reason };
  run.ledger.note('abort requested', `${a.by}: ${a.reason}`);
  if (!run.waitingForHuman) return run.ledger.summary('abort requested: takes effect when the current activity settles');
  await run.untilActedOn();
  return run.ledger.summary('aborted');
}

/** The client cancelled the workflow: handled like an abort, at the next safe point. */
export function cancel(run: RotationRun): void {
  if (!decideCancel(run).ok) return;
  run.stop = { kind: 'cancel' };
  run.ledger.note('cancellation requested');
}
