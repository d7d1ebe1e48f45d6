// Continuing a fleet rotation whose run was terminated, timed out or failed: a new run of the same
// workflow id that carries the old run's state, as continue-as-new does. Finished clusters stay
// finished, rotations still running are followed (the fleet watches them and they report to the
// workflow id), and the rest go on from the wave the fleet was in. Approvals and accepted failures
// carry over, so the requester still cannot approve the canary gate (or a stage's).
import type { Client } from '@temporalio/client';
import { plannedStages } from '../common/stages.js';
import type { FleetCarriedState, FleetRotationInput, FleetStageState, FleetStatus } from '../common/types.js';
import { fleetStatusQuery } from '../workflows/definitions.js';
import { fleetWorkflowIdOf, startFleetRotation } from './fleets.js';
import { startInputOf } from './resume.js';
import { answerInTime } from './runs.js';
import type { StartedRun } from './views.js';

export class FleetNotResumableError extends Error {
  override name = 'FleetNotResumableError';
}

/** Ended without reporting: these runs have something to continue. */
const RESUMABLE = ['TERMINATED', 'TIMED_OUT', 'FAILED'];

/** A staged fleet's stages from its status; the select rules (done with once selected) from the input, for the record. */
function stagesFromStatus(status: FleetStatus, input?: FleetRotationInput): FleetStageState[] | undefined {
  const planned = input ? plannedStages(input) : [];
  return status.stages?.map((stage) => ({
    name: stage.name,
    select: planned.find((p) => p.name === stage.name)?.select ?? { rest: true },
    approval: stage.approval,
    soakMs: stage.soakMs,
    gateKind: stage.gateKind,
    // halted is the fleet's state shown on its stage: the fleet carries `halted` itself
    state: stage.state === 'halted' ? 'running' : stage.state,
    approvedBy: stage.approvedBy,
    soak: stage.soak,
  }));
}

/** What the next run carries, from the old run's last status (its state, less what is per run). */
export function carriedFromStatus(status: FleetStatus, resumedBy: string, at: string, input?: FleetRotationInput): FleetCarriedState {
  const stages = stagesFromStatus(status, input);
  return {
    selected: status.phase !== 'Selecting',
    clusters: status.clusters.map((c) => ({ ...c })),
    waveCount: status.waveCount,
    currentWave: status.currentWave,
    // approvals are only ever recorded for an accepted canary approval
    canaryApproved: status.approvals.length > 0,
    approvals: status.approvals,
    paused: status.paused,
    halted: status.halted,
    haltReason: status.haltReason,
    aborted: status.aborted,
    acceptedFailures: status.errorBudget.accepted,
    runs: status.runs + 1,
    timeline: [...status.timeline, { at, event: 'resumed', detail: `by ${resumedBy}, after the previous run ended without reporting` }],
    ...(status.refusedSignals ? { refusedSignals: status.refusedSignals } : {}),
    ...(stages ? { stages } : {}),
    // a halt at a stage whose soak found something is that soak's: only resume lifts it
    ...(status.halted && status.stages?.some((s) => s.state === 'halted' && s.soak?.findings.length) ? { haltCause: 'soak' as const } : {}),
  };
}

export async function resumeFleetRotation(
  client: Client, nameOrId: string, opts: { resumedBy: string; taskQueue?: string },
): Promise<StartedRun> {
  const workflowId = fleetWorkflowIdOf(nameOrId);
  const description = await client.workflow.getHandle(workflowId).describe();
  const { runId } = description;
  const execution = description.status.name;
  if (!RESUMABLE.includes(execution)) {
    const why = execution === 'RUNNING' || execution === 'CONTINUED_AS_NEW' ? 'is still running' : `ended ${execution} with its report`;
    throw new FleetNotResumableError(`fleet rotation ${workflowId} ${why}: nothing to resume`);
  }
  const handle = client.workflow.getHandle(workflowId, runId);
  // a closed run answers a Query through a worker that replays it
  const status = await answerInTime(client, () => handle.query(fleetStatusQuery));
  if (!status) throw new FleetNotResumableError(`fleet rotation ${workflowId}: no worker answered for its last state; try again`);
  const input = await startInputOf<FleetRotationInput>(client, await handle.fetchHistory(), `run ${runId} of ${workflowId}`);
  return startFleetRotation(client, { ...input, carried: carriedFromStatus(status, opts.resumedBy, new Date().toISOString(), input) }, {
    workflowId, ...(opts.taskQueue ? { taskQueue: opts.taskQueue } : {}),
  });
}
