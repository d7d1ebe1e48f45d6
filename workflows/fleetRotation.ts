// fleetRotation: selects clusters, then runs one clusterRotation child per cluster in waves (a
// canary, a human gate, the rest) under a concurrency limit and an error budget. The run carries
// its whole state across continue-as-new, so history stays bounded at any fleet size.
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  ChildWorkflowCancellationType, ParentClosePolicy,
  TerminatedFailure, TimeoutFailure,
  allHandlersFinished, condition, continueAsNew, isCancellation, proxyActivities,
  setCurrentDetails, setHandler, sleep, startChild, upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import type { FleetActivities } from '../common/fleetActivities.js';
import { TERMINAL_PHASES, WORKFLOW_TYPES, clusterRotationWorkflowId, type RotationPhase } from '../common/names.js';
import type {
  AbortInput, ApproveInput, ClusterRotationWorkflowInput, ControlInput, FleetCluster, FleetClusterPhase, FleetPhase,
  FleetReport, FleetRotationInput, FleetSkipInput, FleetStatus, RejectInput, RotationReport,
} from '../common/types.js';
import {
  clusterFinishedSignal, fleetAbortUpdate, fleetApproveUpdate, fleetPauseUpdate, fleetRejectUpdate, fleetResumeUpdate,
  fleetRetryUpdate, fleetSkipUpdate, fleetStatusQuery,
} from './definitions.js';
import { FLEET_ROTATION_ID, LKE_CLUSTER_ID, LKE_REGION, REQUESTED_BY } from '../common/searchAttributes.js';
import {
  DEFAULTS, MIN_HISTORY_EVENTS, addTimeline, budgetOf, countByPhase, describeSelector, initialState, isFailed, overBudget, planWaves,
} from './fleet/state.js';


const { selectClusters } = proxyActivities<FleetActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { maximumAttempts: 10, maximumInterval: '1 minute' },
});

// A short look at followed rotations, repeated every watchIntervalMs while there are any.
const { checkRotations } = proxyActivities<FleetActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', maximumInterval: '1 minute' },
});

type ChildRotation = (input: ClusterRotationWorkflowInput) => Promise<RotationReport>;

const clusterPhaseOf = (phase: RotationPhase): FleetClusterPhase =>
  TERMINAL_PHASES.includes(phase) ? (phase as FleetClusterPhase) : 'Failed';

function describeChildFailure(error: unknown): { phase: FleetClusterPhase; message: string } {
  if (isCancellation(error)) return { phase: 'Cancelled', message: 'rotation cancelled' };
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof TerminatedFailure) return { phase: 'Failed', message: 'rotation terminated' };
  if (cause instanceof TimeoutFailure) return { phase: 'Failed', message: 'rotation timed out' };
  const message = cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
  return { phase: 'Failed', message };
}

export async function fleetRotation(input: FleetRotationInput): Promise<FleetReport> {
  const fleetId = workflowInfo().workflowId;
  const state = input.carried ?? initialState();
  const concurrency = Math.max(1, input.concurrency ?? DEFAULTS.concurrency);
  // A floor, so a tiny setting cannot make runs continue as new before they get anything done.
  const maxHistoryEvents = Math.max(MIN_HISTORY_EVENTS, input.maxHistoryEvents ?? DEFAULTS.maxHistoryEvents);
  const byId = new Map<number, FleetCluster>(state.clusters.map((cluster) => [cluster.id, cluster]));
  const watchIntervalMs = input.watchIntervalMs ?? DEFAULTS.watchIntervalMs;
  /** rotations this run has no child handle for (attached to, or started by an earlier run): looked at by checkRotations */
  const followed = new Set<number>();
  let finalPhase: FleetPhase | null = null;
  let error: string | null = null;
  let gate: FleetStatus['pendingGate'] = null;
  let soakUntil: string | null = null;
  let rejected = false;
  let starting = 0;
  // Every state change bumps this; the scheduler sleeps until it moves.
  let changes = 0;
  const changed = (): void => {
    changes++;
  };

  const running = (): number => state.clusters.filter((c) => c.phase === 'Running').length;
  const hasPending = (): boolean => state.clusters.some((c) => c.phase === 'Pending');
  const isOver = (): boolean => finalPhase !== null;

  function phase(): FleetPhase {
    if (finalPhase) return finalPhase;
    if (!state.selected) return 'Selecting';
    if (state.aborted) return 'Aborting';
    if (state.halted) return 'Halted';
    if (state.paused) return 'Paused';
    if (gate) return 'AwaitingApproval';
    if (soakUntil) return 'Soaking';
    return 'Running';
  }

  const status = (): FleetStatus => ({
    fleetRotationId: fleetId,
    name: input.name,
    requestedBy: input.requestedBy,
    phase: phase(),
    paused: state.paused,
    halted: state.halted,
    haltReason: state.haltReason,
    aborted: state.aborted,
    error,
    concurrency,
    errorBudget: budgetOf(state, input),
    waveCount: state.waveCount,
    currentWave: state.currentWave,
    pendingGate: gate,
    soakUntil,
    counts: countByPhase(state.clusters),
    clusters: state.clusters,
    approvals: state.approvals,
    runs: state.runs,
    timeline: state.timeline,
  });

  function showDetails(): void {
    const counts = countByPhase(state.clusters);
    const summary = Object.entries(counts).filter(([, n]) => n > 0).map(([p, n]) => `${p} ${n}`).join(', ');
    setCurrentDetails(`**${phase()}**, wave ${Math.min(state.currentWave + 1, state.waveCount)} of ${state.waveCount}: ${summary || 'no clusters'}`
      + (state.haltReason ? `\n\nHalted: ${state.haltReason}` : ''));
  }

  function halt(reason: string): void {
    state.halted = true;
    state.haltReason = reason;
    addTimeline(state, 'halted', reason);
  }

  function unhaltIfWithinBudget(): void {
    if (state.halted && !overBudget(state, input)) {
      state.halted = false;
      state.haltReason = null;
      addTimeline(state, 'continuing', 'within the error budget');
    }
  }

  function finish(cluster: FleetCluster, outcome: FleetClusterPhase, message?: string): void {
    if (cluster.phase !== 'Running') return; // a second report (signal and result both) changes nothing
    cluster.phase = outcome;
    cluster.finishedAt = new Date().toISOString();
    cluster.error = message ?? null;
    followed.delete(cluster.id);
    addTimeline(state, `cluster ${cluster.id} ${outcome}`, message);
    if (!state.halted && !state.aborted && hasPending() && overBudget(state, input)) {
      const budget = budgetOf(state, input);
      halt(`${budget.failed - budget.accepted} failed, error budget allows ${budget.allowed}`);
    }
    changed();
  }

  /** Follows a rotation this run did not start: attached to, or started by an earlier run of this fleet. */
  function follow(cluster: FleetCluster): void {
    followed.add(cluster.id);
    changed();
  }

  /**
   * Rotations this fleet started report by signal; the look covers attached rotations (which do not
   * know this fleet) and any rotation that ended without reporting (terminated, or without the hook).
   */
  async function watchFollowed(): Promise<void> {
    for (;;) {
      await condition(() => followed.size > 0);
      await sleep(watchIntervalMs);
      const refs = state.clusters
        .filter((c) => followed.has(c.id) && c.phase === 'Running')
        .map((c) => ({ workflowId: c.workflowId!, runId: c.runId }));
      if (refs.length === 0) continue;
      const outcomes = await checkRotations.executeWithOptions(
        { summary: `Look at ${refs.length} followed rotation(s)` }, [refs]);
      for (const outcome of outcomes) {
        const cluster = state.clusters.find((c) => c.workflowId === outcome.workflowId && c.phase === 'Running');
        if (cluster) finish(cluster, clusterPhaseOf(outcome.phase), outcome.error);
      }
    }
  }

  function childInput(cluster: FleetCluster): ClusterRotationWorkflowInput {
    const rotation = input.rotation ?? {};
    return {
      ...rotation,
      clusterId: cluster.id,
      requestedBy: input.requestedBy,
      fleetRotationId: fleetId,
      // The fleet's canary gate stands in for per-cluster gates unless the fleet asks for them.
      approvals: { beforeDelete: false, beforeRecycle: false, ...rotation.approvals },
    };
  }

  async function runCluster(cluster: FleetCluster): Promise<void> {
    cluster.phase = 'Running';
    cluster.startedAt = new Date().toISOString();
    cluster.workflowId = clusterRotationWorkflowId(cluster.id);
    starting++;
    let result: Promise<RotationReport>;
    try {
      const handle = await startChild<ChildRotation>(WORKFLOW_TYPES.clusterRotation, {
        workflowId: cluster.workflowId,
        args: [childInput(cluster)],
        // A rotation between deleting tokens and verifying must finish even if the fleet is gone.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        cancellationType: ChildWorkflowCancellationType.ABANDON,
        staticSummary: `Rotate LKE cluster ${cluster.id} (${cluster.region}) in ${fleetId}`,
        typedSearchAttributes: [
          { key: FLEET_ROTATION_ID, value: fleetId },
          { key: LKE_CLUSTER_ID, value: cluster.id },
          { key: LKE_REGION, value: cluster.region },
          { key: REQUESTED_BY, value: input.requestedBy },
        ],
      });
      cluster.runId = handle.firstExecutionRunId;
      result = handle.result();
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        cluster.attached = true;
        addTimeline(state, `cluster ${cluster.id} attached`, 'a rotation of this cluster was already running');
        follow(cluster);
      } else {
        finish(cluster, 'Failed', `could not start the rotation: ${describeChildFailure(err).message}`);
      }
      return;
    } finally {
      starting--;
      changed();
    }
    try {
      const report = await result;
      // The report has no error field: a failed rotation's last timeline entry says what went wrong.
      const why = report.phase === 'Completed' ? undefined : report.timeline.at(-1)?.detail;
      finish(cluster, clusterPhaseOf(report.phase), why);
    } catch (err) {
      const failure = describeChildFailure(err);
      finish(cluster, failure.phase, failure.message);
    }
  }

  // ---- Updates and the Query. Validators refuse a request that does not apply now, with the reason.
  const refuseWhenOver = (): void => {
    if (isOver()) throw new Error(`the fleet rotation has ended (${phase()})`);
  };
  const requireGate = (): void => {
    if (!gate) throw new Error(`no approval is pending: the fleet is ${phase()}`);
  };
  const failedAmong = (ids?: number[]): FleetCluster[] =>
    state.clusters.filter((c) => isFailed(c) && (!ids || ids.includes(c.id)));
  const requireFailed = (request?: FleetSkipInput): void => {
    refuseWhenOver();
    if (state.aborted) throw new Error('the fleet rotation is aborting');
    if (failedAmong(request?.clusterIds).length === 0) throw new Error('no failed cluster to act on');
  };

  setHandler(fleetStatusQuery, status);

  setHandler(fleetApproveUpdate, ({ by, comment }) => {
    state.canaryApproved = true;
    state.approvals.push({ by, ...(comment === undefined ? {} : { comment }), at: new Date().toISOString() });
    addTimeline(state, 'canary approved', by);
    changed();
    return status();
  }, { validator: (_: ApproveInput) => requireGate() });

  setHandler(fleetRejectUpdate, ({ by, reason }) => {
    rejected = true;
    state.aborted = { by, reason };
    addTimeline(state, 'canary rejected', `${by}: ${reason}`);
    changed();
    return status();
  }, { validator: (_: RejectInput) => requireGate() });

  setHandler(fleetPauseUpdate, (request) => {
    state.paused = true;
    addTimeline(state, 'paused', request?.by);
    changed();
    return status();
  }, {
    validator: (_?: ControlInput) => {
      refuseWhenOver();
      if (state.aborted) throw new Error('the fleet rotation is aborting');
      if (state.paused) throw new Error('the fleet rotation is already paused');
    },
  });

  setHandler(fleetResumeUpdate, (request) => {
    if (state.halted) {
      // The operator has seen the failures and accepts them: only new ones count against the budget.
      state.acceptedFailures = budgetOf(state, input).failed;
      state.halted = false;
      state.haltReason = null;
    }
    state.paused = false;
    addTimeline(state, 'resumed', request?.by);
    changed();
    return status();
  }, {
    validator: (_?: ControlInput) => {
      refuseWhenOver();
      if (!state.paused && !state.halted) throw new Error(`nothing to resume: the fleet is ${phase()}`);
    },
  });

  setHandler(fleetSkipUpdate, (request) => {
    for (const cluster of failedAmong(request?.clusterIds)) {
      addTimeline(state, `cluster ${cluster.id} skipped`, `was ${cluster.phase}${request?.by ? `, by ${request.by}` : ''}`);
      cluster.phase = 'Skipped';
    }
    unhaltIfWithinBudget();
    changed();
    return status();
  }, { validator: requireFailed });

  setHandler(fleetRetryUpdate, (request) => {
    for (const cluster of failedAmong(request?.clusterIds)) {
      addTimeline(state, `cluster ${cluster.id} retried`, `was ${cluster.phase}${request?.by ? `, by ${request.by}` : ''}`);
      Object.assign(cluster, {
        phase: 'Pending', wave: state.currentWave, workflowId: null, runId: null, attached: false,
        startedAt: null, finishedAt: null, error: null,
      } satisfies Partial<FleetCluster>);
    }
    unhaltIfWithinBudget();
    changed();
    return status();
  }, { validator: requireFailed });

  setHandler(fleetAbortUpdate, ({ by, reason }) => {
    state.aborted = { by, reason };
    addTimeline(state, 'aborting', `${by}: ${reason}`);
    changed();
    return status();
  }, {
    validator: (_: AbortInput) => {
      refuseWhenOver();
      if (state.aborted) throw new Error('the fleet rotation is already aborting');
    },
  });

  setHandler(clusterFinishedSignal, (report) => {
    const cluster = byId.get(report.clusterId);
    if (!cluster || cluster.workflowId !== report.workflowId || (cluster.runId && cluster.runId !== report.runId)) return;
    finish(cluster, clusterPhaseOf(report.phase), report.error);
  });

  // ---- Selection and plan (first run only).
  if (!state.selected) {
    upsertSearchAttributes([
      { key: FLEET_ROTATION_ID, value: fleetId },
      { key: REQUESTED_BY, value: input.requestedBy },
    ]);
    showDetails();
    try {
      const selected = await selectClusters.executeWithOptions({ summary: `Select clusters: ${describeSelector(input.selector)}` }, [input.selector]);
      const plan = planWaves(selected, input.waves?.canary ?? DEFAULTS.canary);
      state.clusters = plan.clusters;
      state.waveCount = plan.waveCount;
      for (const cluster of state.clusters) byId.set(cluster.id, cluster);
      state.selected = true;
      addTimeline(state, 'selected', `${selected.length} clusters in ${plan.waveCount} wave(s)`);
    } catch (err) {
      error = `selection failed: ${describeChildFailure(err).message}`;
      finalPhase = 'Failed';
      addTimeline(state, 'failed', error);
      showDetails();
      return status();
    }
  } else {
    for (const cluster of state.clusters) if (cluster.phase === 'Running') follow(cluster);
  }
  // Runs until the workflow ends; an activity or timer it leaves pending is simply dropped then.
  void watchFollowed().catch((err: unknown) => {
    // checkRotations retries without limit, so only a cancelled fleet gets here.
    if (!isCancellation(err)) throw err;
  });

  const shouldContinueAsNew = (): boolean => {
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength >= maxHistoryEvents;
  };

  // ---- The waves.
  const canaryGate = input.waves?.canaryApproval ?? DEFAULTS.canaryApproval;
  while (state.currentWave < state.waveCount && !state.aborted) {
    const wave = state.currentWave;
    const startable = (): FleetCluster[] => state.clusters.filter((c) => c.phase === 'Pending' && c.wave <= wave);
    for (;;) {
      if (state.aborted) break;
      if (shouldContinueAsNew()) {
        await condition(() => starting === 0 && allHandlersFinished());
        addTimeline(state, 'continued as new', `after ${workflowInfo().historyLength} events`);
        return await continueAsNew<typeof fleetRotation>({ ...input, carried: { ...state, runs: state.runs + 1 } });
      }
      if (!state.paused && !state.halted) {
        const next = startable();
        for (let slots = concurrency - running(); slots > 0 && next.length > 0; slots--) {
          void runCluster(next.shift()!);
        }
      }
      showDetails();
      if (startable().length === 0 && running() === 0) break;
      const seen = changes;
      await condition(() => changes !== seen);
    }
    if (state.aborted) break;
    await condition(() => !state.halted || !!state.aborted);
    if (state.aborted) break;

    const isLastWave = wave + 1 >= state.waveCount;
    if (!isLastWave && input.soakMs) {
      soakUntil = new Date(Date.now() + input.soakMs).toISOString();
      addTimeline(state, 'soaking', `${input.soakMs} ms after wave ${wave + 1}`);
      showDetails();
      await condition(() => !!state.aborted, input.soakMs);
      soakUntil = null;
    }
    if (!isLastWave && wave === 0 && canaryGate && !state.canaryApproved && !state.aborted) {
      const timeoutMs = input.approvalTimeoutMs ?? DEFAULTS.approvalTimeoutMs;
      const since = Date.now();
      gate = { gate: 'canary', since: new Date(since).toISOString(), timeoutAt: new Date(since + timeoutMs).toISOString() };
      addTimeline(state, 'awaiting canary approval');
      showDetails();
      const decided = await condition(() => state.canaryApproved || !!state.aborted, timeoutMs);
      gate = null;
      if (!decided) {
        rejected = true;
        state.aborted = { by: 'system', reason: `canary approval timed out after ${timeoutMs} ms` };
        addTimeline(state, 'canary gate timed out');
      }
    }
    if (!state.aborted) state.currentWave++;
  }

  if (state.aborted) {
    for (const cluster of state.clusters) if (cluster.phase === 'Pending') cluster.phase = 'NotStarted';
    showDetails();
    // Rotations in flight finish on their own (they must reach a safe state); the fleet waits to report them.
    await condition(() => running() === 0 && starting === 0);
    finalPhase = rejected ? 'Rejected' : 'Aborted';
    if (rejected) error = state.aborted.reason;
  } else {
    finalPhase = state.clusters.some(isFailed) ? 'CompletedWithFailures' : 'Completed';
  }
  addTimeline(state, finalPhase);
  showDetails();
  await condition(allHandlersFinished);
  return status();
}
