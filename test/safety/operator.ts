// Operator actions sent straight to Temporal, as the Temporal CLI or Temporal Web would send them:
// raw Update names with whatever `by` the sender claims, cancel and terminate requests, and the
// project's own resumeRotation/startRotation for resume and a fresh start. The trust boundary under
// test is Temporal, not the API, so nothing here goes through the API's checks.
import type { Client } from '@temporalio/client';
import { resumeRotation, startRotation } from '../../client/index.js';
import { clusterRotationWorkflowId, fleetRotationWorkflowId } from '../../common/names.js';
import type { FleetStatus, RotationStatus } from '../../common/types.js';
import { fleetStatusQuery, statusQuery } from '../../workflows/definitions.js';
import type { Op, Via } from './scenario.js';
import { rotationInput } from './tuning.js';
import type { Scenario } from './scenario.js';

const ANSWER_WAIT_MS = 5_000;

/** an outcome in a few words, for the case log; refusals are expected and fine */
export type Outcome = string;

/**
 * Runs a Temporal call with a deadline. The call is aborted at the deadline rather than abandoned:
 * an Update waits for a worker (none while one was just SIGKILLed) and would otherwise keep polling
 * the server after the case, and the test, ended.
 */
export async function withDeadline<T>(client: Client, ms: number, call: () => Promise<T>): Promise<T | 'no answer'> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  try {
    return await client.withAbortSignal(controller.signal, call);
  } catch (err) {
    if (controller.signal.aborted) return 'no answer';
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

function short(err: unknown): string {
  const e = err as { cause?: { message?: string }; message?: string; name?: string };
  return `refused: ${(e.cause?.message ?? e.message ?? String(err)).split('\n')[0].slice(0, 160)}`;
}

export async function sendUpdate(client: Client, workflowId: string, name: string, arg: object): Promise<Outcome> {
  try {
    const result = await withDeadline(client, ANSWER_WAIT_MS, () => client.workflow.getHandle(workflowId).executeUpdate(name, { args: [arg] }));
    return result === 'no answer' ? `no answer in ${ANSWER_WAIT_MS} ms` : 'accepted';
  } catch (err) {
    return short(err);
  }
}

/** A control as an Update, or as a Signal of the same name (which cannot answer: the status shows a refusal). */
async function sendControl(client: Client, workflowId: string, name: string, arg: object, via: Via | undefined): Promise<Outcome> {
  if (via !== 'signal') return sendUpdate(client, workflowId, name, arg);
  try {
    await client.workflow.getHandle(workflowId).signal(name, arg);
    return 'signalled';
  } catch (err) {
    return short(err);
  }
}

/** the fleet's pending gate in words for the case log: the canary's, or a stage's (status.pendingGate.stage) */
export const fleetGateLabel = (gate: NonNullable<FleetStatus['pendingGate']>): string =>
  gate.gate === 'canary' ? 'the canary gate' : `the gate of stage ${gate.stage ?? '?'}`;

export async function rotationStatus(client: Client, clusterId: number): Promise<RotationStatus | null> {
  try {
    const status = await withDeadline(client, 3_000, () => client.workflow.getHandle(clusterRotationWorkflowId(clusterId)).query(statusQuery));
    return status === 'no answer' ? null : status;
  } catch {
    return null;
  }
}

/** the fleet's status, or null when it does not answer in time (a SIGKILLed worker) */
export async function fleetStatus(client: Client, fleetId: string): Promise<FleetStatus | null> {
  try {
    const status = await withDeadline(client, 3_000, () => client.workflow.getHandle(fleetId).query(fleetStatusQuery));
    return status === 'no answer' ? null : status;
  } catch {
    return null;
  }
}

export async function runOperatorOp(client: Client, scenario: Scenario, clusterId: number, fleetName: string | null, op: Op): Promise<Outcome> {
  const workflowId = clusterRotationWorkflowId(clusterId);
  const handle = client.workflow.getHandle(workflowId);
  try {
    switch (op.op) {
      case 'approve':
        return await sendControl(client, workflowId, 'approve', { by: op.by, comment: 'safety test' }, op.via);
      case 'reject':
        return await sendControl(client, workflowId, 'reject', { by: op.by, reason: 'safety test' }, op.via);
      case 'abort':
        return await sendControl(client, workflowId, 'abort', { by: op.by, reason: 'safety test' }, op.via);
      case 'pause':
      case 'resume':
      case 'retry':
      case 'skip':
        return await sendControl(client, workflowId, op.op, { by: op.by }, op.via);
      case 'cancel':
        await handle.cancel();
        return 'cancel requested';
      case 'terminate':
        await handle.terminate('safety test: terminated from Temporal Web');
        return 'terminated';
      case 'resumeRun':
        await resumeRotation(client, clusterId, { resumedBy: op.by });
        return 'resumed as a new run';
      case 'freshStart':
        await startRotation(client, rotationInput(scenario, clusterId, op.by));
        return 'started';
      case 'terminateThenFreshStart': {
        const terminated = await handle.terminate('safety test: terminated from Temporal Web').then(() => 'terminated', short);
        const started = await startRotation(client, rotationInput(scenario, clusterId, op.by)).then(() => 'a new rotation started', short);
        return `${terminated}; ${started}`;
      }
      case 'fleet': {
        if (!fleetName) return 'not a fleet case';
        const arg = op.control === 'reject' || op.control === 'abort' ? { by: op.by, reason: 'safety test' } : { by: op.by };
        // unnamed, as `fleet approve <name>` without --stage: answers whichever gate is pending, the
        // canary's or a stage's; the log says which one was pending when it was sent
        const fleetId = fleetRotationWorkflowId(fleetName);
        const before = op.control === 'approve' || op.control === 'reject' ? await fleetStatus(client, fleetId) : null;
        const outcome = await sendUpdate(client, fleetId, op.control, arg);
        return before ? `${outcome} (${before.pendingGate ? `${fleetGateLabel(before.pendingGate)} pending` : `no gate pending, ${before.phase}`})` : outcome;
      }
      default:
        return `not an operator action: ${op.op}`;
    }
  } catch (err) {
    return short(err);
  }
}
