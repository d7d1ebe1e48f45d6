// One safety case, start to verdict: fresh clusters, the requester's rotation (or fleet), the
// scenario's actions at their moments, the drive to the end, then the invariants over what
// Temporal and the simulator recorded. Returns the violations; the property decides what fails.
import type { Client } from '@temporalio/client';
import { startRotation } from '../../client/index.js';
import { startFleetRotation } from '../../client/fleets.js';
import { ROTATION_PHASES, TERMINAL_PHASES, clusterRotationWorkflowId, fleetRotationWorkflowId, type RotationPhase } from '../../common/names.js';
import type { Landing } from './coverage.js';
import { readRuns, type RunRecord } from './evidence.js';
import { driveToEnd } from './finisher.js';
import { checkInvariants, type Violation } from './invariants.js';
import { newModel, type CaseModel } from './model.js';
import { fleetGateLabel, fleetStatus, rotationStatus, runOperatorOp, sendUpdate } from './operator.js';
import type { Action, Scenario } from './scenario.js';
import type { SafetyStack } from './stack.js';
import { fleetInput, rotationInput } from './tuning.js';
import { applyLkeBehaviour, createUserTokenSecret, injectFault, regenerateByHand, servedKubeconfig } from './world.js';

/** an action aimed at a phase waits this long for it, then goes anyway (a slow kubeconfig takes up to 3 s) */
const PHASE_WAIT_MS = 4_000;
/** the careful operator's time to bring every rotation to an end */
const FINISH_DEADLINE_MS = 35_000;

/** finished: every rotation closed within the drive's deadline (an open one is judged as it stands) */
export interface CaseResult { violations: Violation[]; model: CaseModel; finished: boolean; ms: number; landings: Landing[] }

let cases = 0;

export async function runCase(stack: SafetyStack, scenario: Scenario): Promise<CaseResult> {
  const began = Date.now();
  const client = stack.server.client;
  const caseNo = ++cases;
  const clusterIds = stack.addClusters(scenario.clusters);
  const fleetName = scenario.clusters > 1 ? `safety-${process.pid}-${caseNo}` : null;
  const model = newModel(scenario, clusterIds, fleetName);
  const undo: (() => void)[] = [];
  const outputBefore = stack.workerOutput.length;
  const landings: Landing[] = [];
  try {
    for (const clusterId of clusterIds) {
      for (let i = 0; i < scenario.userTokenSecrets; i++) model.log.push(`setup: cluster ${clusterId} ${await createUserTokenSecret(stack.sim, clusterId)}`);
      const yaml = await servedKubeconfig(stack.sim, clusterId);
      if (yaml) model.originalKubeconfigs.set(clusterId, yaml);
    }
    await stack.ensureWorker();
    if (scenario.lke) undo.push(applyLkeBehaviour(stack.sim, clusterIds, scenario.lke));
    if (fleetName) await startFleetRotation(client, fleetInput(scenario, fleetName, clusterIds));
    else await startRotation(client, rotationInput(scenario, clusterIds[0]));

    const colleague = scenario.approver ? approveWhilePending(client, model, scenario.approver) : null;
    for (const [i, action] of scenario.actions.entries()) {
      const clusterId = clusterIds[action.cluster % clusterIds.length];
      const { reached, phase } = await waitFor(client, action, clusterId);
      landings.push({ op: action.op.op, phase });
      const outcome = await perform(stack, client, scenario, model, clusterId, action, undo);
      model.log.push(`${i + 1}. +${Date.now() - began} ms ${reached} (sent in ${phase}) cluster ${clusterId} ${JSON.stringify(action.op)} -> ${outcome}`);
    }
    await colleague?.stop();
    for (const fn of undo.splice(0)) fn();
    for (const clusterId of clusterIds) stack.sim.faults.clear(clusterId);
    const finished = await driveToEnd(stack, client, model, FINISH_DEADLINE_MS);

    const clusterRuns = new Map<number, RunRecord[]>();
    for (const clusterId of clusterIds) clusterRuns.set(clusterId, await readRuns(client, clusterRotationWorkflowId(clusterId)));
    const fleetRuns = fleetName ? await readRuns(client, fleetRotationWorkflowId(fleetName)) : [];
    const violations = await checkInvariants({
      sim: stack.sim, kubeconfigDir: stack.kubeconfigDir, model, clusterRuns, fleetRuns,
      issuedTokens: stack.issuedTokens, workerOutput: stack.workerOutput.slice(outputBefore).join(''),
    });
    return { violations, model, finished, ms: Date.now() - began, landings };
  } finally {
    for (const fn of undo) fn();
    await closeLeftovers(client, clusterIds, fleetName);
  }
}

/** the steps in the order a run goes through them; Blocked and Compensating can come at any point */
const STEP_ORDER = ROTATION_PHASES.slice(0, ROTATION_PHASES.indexOf('RecyclingNodes') + 1);
const passed = (seen: string, aimed: RotationPhase): boolean =>
  STEP_ORDER.includes(aimed) && STEP_ORDER.indexOf(seen as RotationPhase) > STEP_ORDER.indexOf(aimed);

/** Waits for the action's moment; says how it went and the phase the rotation is in now (where the action lands). */
async function waitFor(client: Client, action: Action, clusterId: number): Promise<{ reached: string; phase: string }> {
  const when = action.when;
  if ('afterMs' in when) {
    await new Promise((r) => setTimeout(r, when.afterMs));
    return { reached: `after ${when.afterMs} ms`, phase: (await rotationStatus(client, clusterId))?.phase ?? 'none' };
  }
  const phase = when.phase;
  const deadline = Date.now() + PHASE_WAIT_MS;
  let seen = 'none';
  let unanswered = Date.now();
  while (Date.now() < deadline) {
    const status = await rotationStatus(client, clusterId);
    if (status) {
      seen = status.phase;
      unanswered = Date.now();
      if (seen === phase) return { reached: `at ${phase}`, phase };
      // waiting for a human, ended, or already past it: the aimed phase will not come by itself
      if (status.pendingGate || status.paused || seen === 'Blocked' || TERMINAL_PHASES.includes(status.phase) || passed(seen, phase)) break;
    } else {
      seen = 'none';
      if (Date.now() - unanswered > 1_000) break; // not started (a fleet's later wave) or not running
    }
    await new Promise((r) => setTimeout(r, 40));
  }
  return { reached: `(${phase} not reached; was ${seen})`, phase: seen };
}

async function perform(
  stack: SafetyStack, client: Client, scenario: Scenario, model: CaseModel, clusterId: number, action: Action, undo: (() => void)[],
): Promise<string> {
  const op = action.op;
  switch (op.op) {
    case 'outsideRegenerate': {
      const { applied, status } = await regenerateByHand(stack.sim, clusterId);
      if (applied) model.outsideRegenerates.get(clusterId)?.push(Date.now());
      return `${status}${applied ? ', applied' : ', not applied'}`;
    }
    case 'userTokenSecret':
      return createUserTokenSecret(stack.sim, clusterId);
    case 'fault': {
      const { op: _op, ...fault } = op;
      undo.push(injectFault(stack.sim, clusterId, fault));
      return 'injected';
    }
    case 'killWorker':
      stack.killWorker();
      await stack.ensureWorker();
      return 'SIGKILLed; a new worker polls';
    default:
      return runOperatorOp(client, scenario, clusterId, model.fleetName, op);
  }
}

/** The scenario's standing approver: approves whatever gate is pending, until stopped. */
function approveWhilePending(client: Client, model: CaseModel, by: string): { stop(): Promise<void> } {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      for (const clusterId of model.clusterIds) {
        const status = await rotationStatus(client, clusterId);
        if (status?.pendingGate && !stopped) {
          model.log.push(`   standing approver ${by} at ${status.pendingGate.gate} of cluster ${clusterId} -> ` +
            await sendUpdate(client, clusterRotationWorkflowId(clusterId), 'approve', { by }));
        }
      }
      if (model.fleetName && !stopped) {
        const fleetId = fleetRotationWorkflowId(model.fleetName);
        const gate = (await fleetStatus(client, fleetId))?.pendingGate;
        if (gate) {
          // a staged fleet's gate is the pending stage's: named, so an approval sent as the gate moves on
          // to the next stage is refused rather than answering a gate this approver never saw
          const arg = gate.stage === undefined ? { by } : { by, stage: gate.stage };
          model.log.push(`   standing approver ${by} at ${fleetGateLabel(gate)} -> ${await sendUpdate(client, fleetId, 'approve', arg)}`);
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return { async stop() { stopped = true; await loop; } };
}

/** Terminates what a case left running, so it stops using the shared worker; its clusters are never used again. */
async function closeLeftovers(client: Client, clusterIds: number[], fleetName: string | null): Promise<void> {
  const ids = [...clusterIds.map(clusterRotationWorkflowId), ...(fleetName ? [fleetRotationWorkflowId(fleetName)] : [])];
  for (const id of ids) await client.workflow.getHandle(id).terminate('safety case over').catch(() => undefined);
}
