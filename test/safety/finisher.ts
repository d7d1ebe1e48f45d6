// Quiescence: after the last action, a careful operator drives every rotation of the case to its end
// without breaking four-eyes, as the runbook in docs/design.md says: approve a waiting gate as
// someone who did not request it, resume a pause, abort a Blocked step (which rolls forward) or
// retry it when the roll-forward itself is Blocked, resume a run that was terminated. LKE's
// outages end too: the world's faults are cleared first. Bounded in time: a rotation still open at
// the deadline is judged as it stands.
import type { Client } from '@temporalio/client';
import { resumeRotation } from '../../client/index.js';
import { clusterRotationWorkflowId, fleetRotationWorkflowId } from '../../common/names.js';
import type { FleetStatus } from '../../common/types.js';
import { fleetStatusQuery } from '../../workflows/definitions.js';
import type { CaseModel } from './model.js';
import { fleetGateLabel, rotationStatus, sendUpdate, withDeadline } from './operator.js';
import { FINISHER } from './scenario.js';
import type { SafetyStack } from './stack.js';

const RESUMABLE = new Set(['TERMINATED', 'TIMED_OUT', 'FAILED', 'CANCELED']);
const MAX_RESUMES = 2;

export async function driveToEnd(stack: SafetyStack, client: Client, model: CaseModel, deadlineMs: number): Promise<boolean> {
  const deadline = Date.now() + deadlineMs;
  const resumes = new Map<number, number>();
  const aborted = new Set<string>();
  const started = Date.now();
  const say = (line: string) => model.log.push(`  finish +${Date.now() - started} ms: ${line}`);
  while (Date.now() < deadline) {
    await stack.ensureWorker();
    let open = 0;
    if (model.fleetName) open += await driveFleet(client, model.fleetName, say);
    for (const clusterId of model.clusterIds) {
      const workflowId = clusterRotationWorkflowId(clusterId);
      const description = await client.workflow.getHandle(workflowId).describe().catch(() => null);
      if (!description) continue; // a fleet that never started this cluster
      const state = description.status.name;
      if (RESUMABLE.has(state)) {
        const n = resumes.get(clusterId) ?? 0;
        if (n < MAX_RESUMES) {
          resumes.set(clusterId, n + 1);
          const outcome = await resumeRotation(client, clusterId, { resumedBy: FINISHER }).then(() => 'resumed', (err: Error) => `not resumed: ${err.message}`);
          say(`cluster ${clusterId} ${state}: ${outcome}`);
          open++;
        }
        continue;
      }
      if (state !== 'RUNNING') continue;
      open++;
      const status = await rotationStatus(client, clusterId);
      if (!status) continue;
      const key = `${description.runId}`;
      if (status.pendingGate) {
        say(`cluster ${clusterId} at ${status.pendingGate.gate}: approve -> ${await sendUpdate(client, workflowId, 'approve', { by: FINISHER })}`);
      } else if (status.paused) {
        say(`cluster ${clusterId} paused: resume -> ${await sendUpdate(client, workflowId, 'resume', { by: FINISHER })}`);
      } else if (status.phase === 'Blocked') {
        if (!aborted.has(key)) {
          aborted.add(key);
          const outcome = await sendUpdate(client, workflowId, 'abort', { by: FINISHER, reason: 'Blocked at quiescence: roll forward' });
          say(`cluster ${clusterId} Blocked on ${status.step}: abort -> ${outcome}`);
          if (outcome === 'accepted') continue;
        }
        // the roll-forward itself is Blocked (abort is refused then): retry, never skip the delivery
        say(`cluster ${clusterId} Blocked on ${status.step}: retry -> ${await sendUpdate(client, workflowId, 'retry', { by: FINISHER })}`);
      }
    }
    if (open === 0) return true;
    await new Promise((r) => setTimeout(r, 150));
  }
  say(`deadline of ${deadlineMs} ms passed with rotations still open`);
  return false;
}

async function driveFleet(client: Client, name: string, say: (line: string) => void): Promise<number> {
  const workflowId = fleetRotationWorkflowId(name);
  const handle = client.workflow.getHandle(workflowId);
  const description = await handle.describe().catch(() => null);
  if (description?.status.name !== 'RUNNING') return 0;
  const status: FleetStatus | 'no answer' | null = await withDeadline(client, 3_000, () => handle.query(fleetStatusQuery)).catch(() => null);
  if (!status || status === 'no answer') return 1;
  // one approve answers whichever gate is pending, the canary's or a stage's
  if (status.pendingGate) say(`fleet at ${fleetGateLabel(status.pendingGate)}: approve -> ${await sendUpdate(client, workflowId, 'approve', { by: FINISHER })}`);
  else if (status.paused || status.halted) say(`fleet ${status.halted ? 'halted' : 'paused'}: resume -> ${await sendUpdate(client, workflowId, 'resume', { by: FINISHER })}`);
  return 1;
}
