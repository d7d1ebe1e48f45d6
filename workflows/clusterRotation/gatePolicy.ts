// The gate policy and four-eyes as the workflow enforces them, whoever started it (the API, the
// Temporal CLI, Temporal Web): a gate is switched off only when the input records who switched it
// off, and an approval by the requester never counts, not even one carried over by a resume
// (docs/design.md, "The controls").
import { patched } from '@temporalio/workflow';
import { isIdentity, sameIdentity } from '../../common/identity.js';
import type { Approval, ClusterRotationInput, ResumeState, RotationStep } from '../../common/types.js';
import type { Gate } from './ledger.js';
import type { RotationRun } from './run.js';

/** Runs recorded before the policy passed a gate set false with no one named as having switched it off. */
export const GATE_POLICY_PATCH = 'gate-off-needs-disabledBy';
/** Runs recorded before this took a resumed approval by the requester as valid. */
export const RESUMED_SELF_APPROVAL_PATCH = 'resume-drops-approval-by-requester';

const GATES: readonly Gate[] = ['beforeDelete', 'beforeRecycle'];

export const GATE_KEPT_NOTE = 'gate kept: switching it off needs disabledBy (an admin)';

const gateStep = (gate: Gate): RotationStep => (gate === 'beforeDelete' ? 'approval' : 'recycleApproval');

/** The gates the input sets false with nobody recorded as having switched them off: they stay on. */
export function gatesKeptOn(input: Pick<ClusterRotationInput, 'approvals'>): Gate[] {
  const approvals = input.approvals ?? {};
  if (isIdentity(approvals.disabledBy)) return [];
  return GATES.filter((gate) => approvals[gate] === false);
}

/** The gates switched off, and by whom (null when none is). */
export function gatesSwitchedOff(input: Pick<ClusterRotationInput, 'approvals'>): { gates: Gate[]; by: string } | null {
  const approvals = input.approvals ?? {};
  const gates = GATES.filter((gate) => approvals[gate] === false);
  return gates.length && isIdentity(approvals.disabledBy) ? { gates, by: approvals.disabledBy } : null;
}

/** Approvals carried over by a resume that a rule of four eyes does not accept: the requester's own. */
export function carriedSelfApprovals(resume: ResumeState | undefined, requestedBy: string): Approval[] {
  return (resume?.approvals ?? []).filter((a) => sameIdentity(a.by, requestedBy));
}

/**
 * Called once the ledger holds what a resumed run carries over, before the plan is made. Changes
 * what the run will do only for inputs the policy refuses, each behind its patch so recorded
 * histories replay as they ran.
 */
export function applyGatePolicy(run: RotationRun): void {
  const { input, ledger } = run;
  const off = gatesSwitchedOff(input);
  if (off) ledger.note(`gate off: ${off.gates.join(', ')}`, `switched off by ${off.by}`);
  const kept = gatesKeptOn(input);
  if (kept.length && patched(GATE_POLICY_PATCH)) {
    input.approvals = { ...input.approvals, ...Object.fromEntries(kept.map((gate) => [gate, true])) };
    ledger.note(GATE_KEPT_NOTE, kept.join(', '));
  }
  const selfApproved = carriedSelfApprovals(input.resume, input.requestedBy);
  if (selfApproved.length && patched(RESUMED_SELF_APPROVAL_PATCH)) {
    for (const approval of selfApproved) dropCarriedApproval(run, approval);
  }
}

/** The gate is asked again, unless the destructive step behind it already ran (nothing left to gate). */
function dropCarriedApproval(run: RotationRun, approval: Approval): void {
  const { status } = run.ledger;
  status.approvals = status.approvals.filter((a) => a !== approval);
  const behind: RotationStep = approval.gate === 'beforeDelete' ? 'deleteTokens' : 'recycleNodes';
  if (!run.ledger.done(behind)) status.completedSteps = status.completedSteps.filter((s) => s !== gateStep(approval.gate));
  run.ledger.note(`${approval.gate} approval by ${approval.by} not carried over`, 'the requester cannot approve their own rotation: four-eyes');
}
