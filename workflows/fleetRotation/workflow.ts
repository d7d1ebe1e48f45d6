// fleetRotation: selects clusters, then runs one clusterRotation child per cluster in stages (by
// default a canary, a human gate, the rest; each stage with an optional soak that checks its
// clusters' health and an optional gate) under a concurrency limit and an error budget. The run
// carries its whole state across continue-as-new, so history stays bounded at any fleet size
// (docs/design.md, "The fleet" and "Stages").
import {
  allHandlersFinished, condition, continueAsNew, isCancellation, patched, proxyActivities, setCurrentDetails,
  upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import { selectsEverything } from '../../common/gates.js';
import { stagesProblems } from '../../common/stages.js';
import type { FleetActivities } from '../../common/fleetActivities.js';
import type { FleetReport, FleetRotationInput } from '../../common/types.js';
import { FLEET_ROTATION_ID, REQUESTED_BY } from '../../common/searchAttributes.js';
import { describeChildFailure, runCluster, watchFollowed } from './children.js';
import { installControls } from './controls.js';
import { Notifier } from '../notifications.js';
import { EMPTY_SELECTOR_PATCH, FLEET_STAGES_PATCH } from './patches.js';
import { guardNextStage } from './stageGuards.js';
import { stageClusters } from './stages.js';
import { DEFAULTS, FleetLedger, addTimeline, countByPhase, describeSelector } from './state.js';

const { selectClusters } = proxyActivities<FleetActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { maximumAttempts: 10, maximumInterval: '1 minute' },
});

export { EMPTY_SELECTOR_PATCH } from './patches.js';

export async function fleetRotation(input: FleetRotationInput): Promise<FleetReport> {
  const fleet = new FleetLedger(input, workflowInfo().workflowId);
  const { state } = fleet;
  const notifier = fleetNotifier(fleet);
  installControls(fleet);

  if (!state.selected) {
    if (!(await select(fleet))) return await ended(fleet, notifier);
  } else {
    for (const cluster of state.clusters) if (cluster.phase === 'Running') fleet.follow(cluster);
  }
  // Runs until the workflow ends; an activity or timer it leaves pending is simply dropped then.
  void watchFollowed(fleet).catch((err: unknown) => {
    // checkRotations retries without limit, so only a cancelled fleet gets here.
    if (!isCancellation(err)) throw err;
  });

  while (state.currentWave < state.waveCount && !state.aborted) {
    const wave = state.currentWave;
    // runs selected before stages (no `stages` in their state) keep their waves, timer soak and canary gate
    const stage = state.stages?.[wave];
    if (stage) stage.state = 'running';
    await rotateWave(fleet, wave, notifier);
    if (state.aborted) break;
    if (!stage || stageClusters(state, wave).length > 0) {
      notifier.emit('fleet.wave.completed', {
        phase: fleet.phase(), wave: wave + 1, waveCount: state.waveCount, counts: countByPhase(state.clusters),
        ...(stage ? { stage: stage.name } : {}),
      });
    }
    await condition(() => !state.halted || !!state.aborted);
    if (state.aborted) break;
    if (stage) {
      await guardNextStage(fleet, wave, notifier);
    } else {
      const isLastWave = wave + 1 >= state.waveCount;
      if (!isLastWave) await soak(fleet, wave);
      if (!isLastWave && wave === 0) await canaryGate(fleet, notifier);
    }
    if (state.aborted) break;
    if (stage) stage.state = 'done';
    state.currentWave++;
  }

  if (state.aborted) {
    fleet.markNotStarted();
    showDetails(fleet);
    // Rotations in flight finish on their own (they must reach a safe state); the fleet waits to report them.
    await condition(() => fleet.running() === 0 && fleet.starting === 0);
  }
  fleet.conclude();
  showDetails(fleet);
  return await ended(fleet, notifier);
}

/** Webhook events of this run: off unless the input asks (workflows/notifications.ts); a halt is one. */
function fleetNotifier(fleet: FleetLedger): Notifier {
  const { input } = fleet;
  const notifier = new Notifier(input.notify, {
    workflowType: 'fleetRotation', requestedBy: input.requestedBy, fleetRotationId: fleet.fleetId,
  }, input.rotation?.tuning);
  fleet.onHalt = (reason) => notifier.emit('fleet.halted', { phase: 'Halted', reason, counts: countByPhase(fleet.state.clusters) });
  return notifier;
}

/** The fleet's end: the last event sent (and waited for, boundedly: a closed run drops pending activities), then the report. */
async function ended(fleet: FleetLedger, notifier: Notifier): Promise<FleetReport> {
  const reason = fleet.error ?? fleet.state.aborted?.reason;
  notifier.emit('fleet.ended', { phase: fleet.phase(), counts: countByPhase(fleet.state.clusters), ...(reason ? { reason } : {}) });
  await condition(allHandlersFinished);
  await notifier.settled();
  return fleet.status();
}

/** First run only: the clusters, planned into waves. False when selection failed: the fleet ended Failed. */
async function select(fleet: FleetLedger): Promise<boolean> {
  const { input } = fleet;
  upsertSearchAttributes([
    { key: FLEET_ROTATION_ID, value: fleet.fleetId },
    { key: REQUESTED_BY, value: input.requestedBy },
  ]);
  showDetails(fleet);
  // A run started past the API (the Temporal CLI or Web) with stages the API would have refused.
  const problems = stagesProblems(input);
  if (problems.length) {
    fleet.fail(`invalid stages: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`);
    showDetails(fleet);
    return false;
  }
  // Runs recorded before this rule selected every cluster on an empty selector.
  if (selectsEverything(input.selector) && input.selector.all !== true && patched(EMPTY_SELECTOR_PATCH)) {
    fleet.fail('selection refused: the selector is empty, which selects every cluster of the account; say so with selector.all: true');
    showDetails(fleet);
    return false;
  }
  try {
    const selected = await selectClusters.executeWithOptions({ summary: `Select clusters: ${describeSelector(input.selector)}` }, [input.selector]);
    fleet.select(selected, patched(FLEET_STAGES_PATCH));
    return true;
  } catch (err) {
    fleet.fail(`selection failed: ${describeChildFailure(err).message}`);
    showDetails(fleet);
    return false;
  }
}

/** Starts the wave's clusters as slots free up, until none is pending or running; continues as new when history is long. */
async function rotateWave(fleet: FleetLedger, wave: number, notifier: Notifier): Promise<void> {
  const { state } = fleet;
  for (;;) {
    if (state.aborted) return;
    if (shouldContinueAsNew(fleet)) {
      // the next run numbers its events anew under its own run id; this run's deliveries finish first
      // (a halt while waiting can start another, hence the loop)
      do {
        await condition(() => fleet.starting === 0 && allHandlersFinished());
        await notifier.settled();
      } while (!(fleet.starting === 0 && allHandlersFinished() && notifier.idle));
      addTimeline(state, 'continued as new', `after ${workflowInfo().historyLength} events`);
      await continueAsNew<typeof fleetRotation>({ ...fleet.input, carried: { ...state, runs: state.runs + 1 } });
    }
    if (!state.paused && !state.halted) {
      const next = fleet.startable(wave);
      for (let slots = fleet.concurrency - fleet.running(); slots > 0 && next.length > 0; slots--) {
        void runCluster(fleet, next.shift()!);
      }
    }
    showDetails(fleet);
    if (fleet.startable(wave).length === 0 && fleet.running() === 0) return;
    const seen = fleet.changes;
    await condition(() => fleet.changes !== seen);
  }
}

function shouldContinueAsNew(fleet: FleetLedger): boolean {
  const info = workflowInfo();
  return info.continueAsNewSuggested || info.historyLength >= fleet.maxHistoryEvents;
}

/** Runs selected before stages: a pause between waves, cut short by an abort. */
async function soak(fleet: FleetLedger, wave: number): Promise<void> {
  const { soakMs } = fleet.input;
  if (!soakMs) return;
  fleet.soakUntil = new Date(Date.now() + soakMs).toISOString();
  addTimeline(fleet.state, 'soaking', `${soakMs} ms after wave ${wave + 1}`);
  showDetails(fleet);
  await condition(() => !!fleet.state.aborted, soakMs);
  fleet.soakUntil = null;
}

/** Runs selected before stages: after the canary wave, a human approves the rest, or rejects; no answer in time rejects. */
async function canaryGate(fleet: FleetLedger, notifier: Notifier): Promise<void> {
  const { input, state } = fleet;
  if (!(input.waves?.canaryApproval ?? DEFAULTS.canaryApproval) || state.canaryApproved || state.aborted) return;
  const timeoutMs = input.approvalTimeoutMs ?? DEFAULTS.approvalTimeoutMs;
  const since = Date.now();
  fleet.gate = { gate: 'canary', since: new Date(since).toISOString(), timeoutAt: new Date(since + timeoutMs).toISOString() };
  addTimeline(state, 'awaiting canary approval');
  showDetails(fleet);
  notifier.emit('fleet.gate.waiting', {
    phase: 'AwaitingApproval', gate: 'canary', timeoutAt: fleet.gate.timeoutAt, counts: countByPhase(state.clusters),
  });
  const decided = await condition(() => state.canaryApproved || !!state.aborted, timeoutMs);
  fleet.gate = null;
  if (!decided) {
    fleet.rejected = true;
    state.aborted = { by: 'system', reason: `canary approval timed out after ${timeoutMs} ms` };
    addTimeline(state, 'canary gate timed out');
  }
}

function showDetails(fleet: FleetLedger): void {
  setCurrentDetails(fleet.details());
}
