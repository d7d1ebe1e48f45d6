// The human controls of a fleet rotation (approve and reject the canary or a stage's gate, pause, resume, skip and
// retry failed clusters, abort), and the signal a child rotation sends as it ends. Each control is
// a decision (does the request apply now? if not, why) and an effect that answers the fleet's
// status. The Updates and the Signals of the same names registered here call the same pair
// (docs/design.md, "The controls").
import { setCurrentDetails, setHandler } from '@temporalio/workflow';
import type {
  AbortInput, ApproveInput, ClusterFinishedSignal, ControlInput, FleetCluster, FleetSkipInput, FleetStatus, RejectInput, SignalRefusal,
} from '../../common/types.js';
import { isIdentity, sameIdentity } from '../../common/identity.js';
import { ALLOWED, type Decision, enforce, refused } from '../decision.js';
import {
  FLEET_CONTROL_DESCRIPTIONS, STATUS_DESCRIPTION, abortSignal, approveSignal, clusterFinishedSignal, fleetAbortUpdate,
  fleetApproveUpdate, fleetPauseUpdate, fleetRejectUpdate, fleetResumeUpdate, fleetRetrySignal, fleetRetryUpdate, fleetSkipSignal,
  fleetSkipUpdate, fleetStatusQuery, pauseSignal, rejectSignal, resumeSignal,
} from '../definitions.js';
import { installSignalControl } from '../signalControls.js';
import { addTimeline, budgetOf, clusterPhaseOf, type FleetLedger } from './state.js';
import { gateLabel } from './stages.js';

export function installControls(fleet: FleetLedger): void {
  const about = FLEET_CONTROL_DESCRIPTIONS;
  setHandler(fleetStatusQuery, () => fleet.status(), { description: STATUS_DESCRIPTION });
  setHandler(fleetApproveUpdate, (a) => approve(fleet, a), { validator: (a: ApproveInput) => enforce(decideApprove(fleet, a)), description: about.approve });
  setHandler(fleetRejectUpdate, (r) => reject(fleet, r), { validator: (r: RejectInput) => enforce(decideReject(fleet, r)), description: about.reject });
  setHandler(fleetPauseUpdate, (c) => pause(fleet, c), { validator: (_?: ControlInput) => enforce(decidePause(fleet)), description: about.pause });
  setHandler(fleetResumeUpdate, (c) => resume(fleet, c), { validator: (_?: ControlInput) => enforce(decideResume(fleet)), description: about.resume });
  setHandler(fleetSkipUpdate, (s?: FleetSkipInput) => skip(fleet, s), {
    validator: (s?: FleetSkipInput) => enforce(decideSkip(fleet, s)), description: about.skip,
  });
  setHandler(fleetRetryUpdate, (s?: FleetSkipInput) => retry(fleet, s), {
    validator: (s?: FleetSkipInput) => enforce(decideRetry(fleet, s)), description: about.retry,
  });
  setHandler(fleetAbortUpdate, (a) => abort(fleet, a), { validator: (a: AbortInput) => enforce(decideAbort(fleet, a)), description: about.abort });
  setHandler(clusterFinishedSignal, (report) => clusterFinished(fleet, report), {
    description: 'Sent by a child rotation as it ends (by workflow id, which survives continue-as-new); not for humans.',
  });
  installSignals(fleet);
}

/** The same controls as Signals: the same decisions and effects; a refusal goes to the status. */
function installSignals(fleet: FleetLedger): void {
  const about = FLEET_CONTROL_DESCRIPTIONS;
  const refuse = (refusal: SignalRefusal) => {
    fleet.refuseSignal(refusal);
    // the canary gate's wait does not wake on changes: show the refusal now
    setCurrentDetails(fleet.details());
  };
  installSignalControl(approveSignal, { decide: (a) => decideApprove(fleet, a), accept: (a) => approve(fleet, a) }, refuse, about.approve);
  installSignalControl(rejectSignal, { decide: (r) => decideReject(fleet, r), accept: (r) => reject(fleet, r) }, refuse, about.reject);
  installSignalControl(pauseSignal, { decide: () => decidePause(fleet), accept: (c) => pause(fleet, c) }, refuse, about.pause);
  installSignalControl(resumeSignal, { decide: () => decideResume(fleet), accept: (c) => resume(fleet, c) }, refuse, about.resume);
  installSignalControl(fleetRetrySignal, { decide: (s) => decideRetry(fleet, s), accept: (s) => retry(fleet, s) }, refuse, about.retry);
  installSignalControl(fleetSkipSignal, { decide: (s) => decideSkip(fleet, s), accept: (s) => skip(fleet, s) }, refuse, about.skip);
  installSignalControl(abortSignal, { decide: (a) => decideAbort(fleet, a), accept: (a) => abort(fleet, a) }, refuse, about.abort);
}

// ---- Decisions

function endedRefusal(fleet: FleetLedger): Decision | null {
  return fleet.isOver() ? refused(`the fleet rotation has ended (${fleet.phase()})`) : null;
}

/**
 * Four-eyes on every path (API, Temporal CLI, Temporal Web): the fleet's requester, who is also the
 * requester of each of its rotations, never answers its gate; and a gate is answered once.
 */
function decideGateAnswer(fleet: FleetLedger, what: 'approve' | 'reject', by: string | undefined, stage?: string): Decision {
  const ended = endedRefusal(fleet);
  if (ended) return ended;
  if (!isIdentity(by)) return refused(`${what} needs 'by': who decides`);
  const { requestedBy } = fleet.input;
  if (sameIdentity(by, requestedBy)) {
    return refused(`the requester (${requestedBy}) cannot ${what} their own fleet rotation: four-eyes${what === 'reject' ? ' (abort stops it)' : ''}`);
  }
  const { state } = fleet;
  if (state.stages) return decideStageGateAnswer(fleet, stage);
  if (stage !== undefined && stage !== 'canary') return refused(`no stage '${stage}': this fleet runs a canary wave and the rest`);
  if (state.canaryApproved) {
    const earlier = state.approvals.map((a) => `approved by ${a.by} at ${a.at}`).join('; ');
    return refused(`the canary gate has already been answered${earlier ? `: ${earlier}` : ''}`);
  }
  if (fleet.rejected || state.aborted) return refused(`the canary gate has already been answered: the fleet is ${fleet.phase()}`);
  return fleet.gate ? ALLOWED : refused(`no approval is pending: the fleet is ${fleet.phase()}`);
}

/** A staged fleet: the gate of the stage waiting, answered once; `stage`, when given, must name that stage. */
function decideStageGateAnswer(fleet: FleetLedger, stage: string | undefined): Decision {
  const { state } = fleet;
  const pending = fleet.pendingStage();
  if (fleet.rejected || state.aborted) return refused(`the fleet is ${fleet.phase()}: no gate to answer`);
  if (stage !== undefined && !state.stages?.some((s) => s.name === stage)) return refused(`no stage '${stage}' in this fleet`);
  // unnamed: the gate waiting, else the gate answered last (a late second approval hears who answered it)
  const asked = stage !== undefined ? state.stages?.find((s) => s.name === stage) ?? null
    : pending ?? [...(state.stages ?? [])].reverse().find((s) => s.approvedBy) ?? null;
  if (asked?.approvedBy) {
    return refused(`${gateLabel(asked)} has already been answered: approved by ${asked.approvedBy.by} at ${asked.approvedBy.at}`);
  }
  if (!pending) return refused(`no approval is pending: the fleet is ${fleet.phase()}`);
  if (asked !== pending) return refused(`stage ${stage} is not waiting for approval: stage ${pending.name} is`);
  return ALLOWED;
}

export function decideApprove(fleet: FleetLedger, input: ApproveInput | undefined): Decision {
  return decideGateAnswer(fleet, 'approve', input?.by, input?.stage);
}

export function decideReject(fleet: FleetLedger, input: RejectInput | undefined): Decision {
  const answer = decideGateAnswer(fleet, 'reject', input?.by);
  return answer.ok ? needsByAndReason('reject', input) : answer;
}

export function decidePause(fleet: FleetLedger): Decision {
  const ended = endedRefusal(fleet);
  if (ended) return ended;
  if (fleet.state.aborted) return refused('the fleet rotation is aborting');
  if (fleet.state.paused) return refused('the fleet rotation is already paused');
  return ALLOWED;
}

export function decideResume(fleet: FleetLedger): Decision {
  const ended = endedRefusal(fleet);
  if (ended) return ended;
  if (!fleet.state.paused && !fleet.state.halted) return refused(`nothing to resume: the fleet is ${fleet.phase()}`);
  return ALLOWED;
}

/** skip and retry act on failed clusters (all, or those named). */
function decideOnFailed(fleet: FleetLedger, request: FleetSkipInput | undefined): Decision {
  const ended = endedRefusal(fleet);
  if (ended) return ended;
  if (fleet.state.aborted) return refused('the fleet rotation is aborting');
  if (fleet.failedAmong(request?.clusterIds).length === 0) return refused('no failed cluster to act on');
  return ALLOWED;
}

export const decideSkip = decideOnFailed;
export const decideRetry = decideOnFailed;

export function decideAbort(fleet: FleetLedger, input?: AbortInput): Decision {
  const ended = endedRefusal(fleet);
  if (ended) return ended;
  if (fleet.state.aborted) return refused('the fleet rotation is already aborting');
  // The API always sends both; a Signal from Temporal Web or the CLI may not.
  return needsByAndReason('abort', input);
}

function needsByAndReason(what: 'abort' | 'reject', input: { by?: unknown; reason?: unknown } | undefined): Decision {
  if (!isIdentity(input?.by)) return refused(`${what} needs 'by': who ${what === 'abort' ? 'aborts' : 'decides'}`);
  return typeof input?.reason === 'string' && input.reason ? ALLOWED : refused(`${what} needs a reason`);
}

/** A report counts only from the rotation this fleet started or follows for that cluster. */
export function decideClusterFinished(fleet: FleetLedger, report: ClusterFinishedSignal): Decision {
  const cluster = fleet.byId.get(report.clusterId);
  if (!cluster || cluster.workflowId !== report.workflowId || (cluster.runId && cluster.runId !== report.runId)) {
    return refused(`not a rotation of this fleet: ${report.workflowId}`);
  }
  return ALLOWED;
}

// ---- Effects (called once the decision allowed the request); each answers the fleet's status

export function approve(fleet: FleetLedger, { by, comment }: ApproveInput): FleetStatus {
  const { state } = fleet;
  const approval = { by, ...(comment === undefined ? {} : { comment }), at: new Date().toISOString() };
  const stage = fleet.pendingStage();
  if (stage) {
    stage.approvedBy = approval;
  } else {
    state.canaryApproved = true;
  }
  state.approvals.push(approval);
  addTimeline(state, stage?.gateKind === 'stage' ? `stage ${stage.name} approved` : 'canary approved', by);
  return changed(fleet);
}

export function reject(fleet: FleetLedger, { by, reason }: RejectInput): FleetStatus {
  const stage = fleet.pendingStage();
  fleet.rejected = true;
  fleet.state.aborted = { by, reason };
  addTimeline(fleet.state, stage?.gateKind === 'stage' ? `stage ${stage.name} rejected` : 'canary rejected', `${by}: ${reason}`);
  return changed(fleet);
}

export function pause(fleet: FleetLedger, request: ControlInput | undefined): FleetStatus {
  fleet.state.paused = true;
  addTimeline(fleet.state, 'paused', request?.by);
  return changed(fleet);
}

export function resume(fleet: FleetLedger, request: ControlInput | undefined): FleetStatus {
  const { state } = fleet;
  if (state.halted) {
    // The operator has seen the failures and accepts them: only new ones count against the budget.
    state.acceptedFailures = budgetOf(state, fleet.input).failed;
    state.halted = false;
    state.haltReason = null;
    delete state.haltCause;
  }
  state.paused = false;
  addTimeline(state, 'resumed', request?.by);
  return changed(fleet);
}

export function skip(fleet: FleetLedger, request: FleetSkipInput | undefined): FleetStatus {
  for (const cluster of fleet.failedAmong(request?.clusterIds)) {
    addTimeline(fleet.state, `cluster ${cluster.id} skipped`, `was ${cluster.phase}${request?.by ? `, by ${request.by}` : ''}`);
    cluster.phase = 'Skipped';
  }
  fleet.unhaltIfWithinBudget();
  return changed(fleet);
}

export function retry(fleet: FleetLedger, request: FleetSkipInput | undefined): FleetStatus {
  for (const cluster of fleet.failedAmong(request?.clusterIds)) {
    addTimeline(fleet.state, `cluster ${cluster.id} retried`, `was ${cluster.phase}${request?.by ? `, by ${request.by}` : ''}`);
    Object.assign(cluster, {
      phase: 'Pending', wave: fleet.state.currentWave, workflowId: null, runId: null, attached: false,
      startedAt: null, finishedAt: null, error: null,
    } satisfies Partial<FleetCluster>);
  }
  fleet.unhaltIfWithinBudget();
  return changed(fleet);
}

export function abort(fleet: FleetLedger, { by, reason }: AbortInput): FleetStatus {
  fleet.state.aborted = { by, reason };
  addTimeline(fleet.state, 'aborting', `${by}: ${reason}`);
  return changed(fleet);
}

export function clusterFinished(fleet: FleetLedger, report: ClusterFinishedSignal): void {
  if (!decideClusterFinished(fleet, report).ok) return;
  const cluster = fleet.byId.get(report.clusterId) as FleetCluster;
  fleet.finish(cluster, clusterPhaseOf(report.phase), report.error);
}

function changed(fleet: FleetLedger): FleetStatus {
  fleet.changed();
  return fleet.status();
}
