// The rotation of one LKE cluster (ROTATION.md section 3): Linode's "Rotate Kubernetes Secrets"
// runbook as a durable workflow. Humans steer it through Updates; it never leaves the cluster
// without working admin credentials: from the token deletes until verify succeeds, any stop rolls
// forward (regenerate, await, verify, deliver) instead of ending.
import {
  ActivityFailure, type ActivityFunctionWithOptions, allHandlersFinished, ApplicationFailure, CancellationScope, condition, proxyActivities,
  setCurrentDetails, setHandler, upsertSearchAttributes,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { RotationActivities } from '../common/activities.js';
import { TERMINAL_PHASES, type RotationPhase } from '../common/names.js';
import type {
  AbortInput, Approval, ApproveInput, ClusterRotationWorkflowInput, ClusterSnapshot, ControlInput,
  DeleteTokensResult, DeliverResult, RecycleResult, RejectInput, RestartResult, RotationControlResult,
  RotationPlan, RotationReport, RotationStatus, RotationStep,
} from '../common/types.js';
import { activityOptions } from './activityOptions.js';
import {
  abortUpdate, approveUpdate, pauseUpdate, rejectUpdate, resumeUpdate, retryUpdate, skipUpdate, statusQuery,
} from './definitions.js';
import { reportToFleet } from './fleet/reportToFleet.js';
import { buildPlan, currentDetailsMarkdown, nodeLabel, sameWorkload, workloadLabel } from './plan.js';
import {
  FLEET_ROTATION_ID, LKE_CLUSTER_ID, LKE_REGION, REQUESTED_BY, ROTATION_PHASE,
} from '../common/searchAttributes.js';

const DEFAULT_GATE_TIMEOUT_MS = 24 * 60 * 60 * 1000;
const TIMELINE_LIMIT = 200;

/** Why a step may not be skipped while Blocked; steps absent here are safe to skip. */
const UNSAFE_TO_SKIP: Partial<Record<RotationStep, string>> = {
  snapshot: 'the rotation needs the snapshot to know what to delete and to verify',
  deleteTokens: 'the old tokens would stay valid, so nothing would be rotated',
  regenerate: 'the cluster would be left without fresh credentials',
  awaitKubeconfig: 'nothing would prove that a new kubeconfig exists',
  verify: 'verify is what proves the cluster has working credentials',
};

type ActivityName = keyof RotationActivities;
type ActivityArg<K extends ActivityName> = Parameters<RotationActivities[K]>[0];
type ActivityResult<K extends ActivityName> = Awaited<ReturnType<RotationActivities[K]>>;
type Gate = Approval['gate'];
type StopRequest = { kind: 'abort'; by: string; reason: string } | { kind: 'cancel' };

/** Control flow, not a failure: a human (abort) or the client (cancel) asked the run to stop. */
class StopRequested extends Error {}

const SKIPPED = Symbol('skipped');
type Skipped = typeof SKIPPED;

export async function clusterRotation(input: ClusterRotationWorkflowInput): Promise<RotationReport> {
  const rotation = new ClusterRotation(input);
  rotation.installHandlers();
  // Cancellation is handled like an abort, at the next safe point: the body runs non-cancellable
  // so an activity in flight settles (a half-done restart or recycle is never abandoned) and the
  // compensation can run to the end.
  CancellationScope.current().cancelRequested.catch(() => rotation.requestCancel());
  return await CancellationScope.nonCancellable(() => rotation.run());
}

class ClusterRotation {
  private readonly status: RotationStatus;
  private snapshot: ClusterSnapshot | null = null;
  private deleted: DeleteTokensResult | null = null;
  private newFingerprint: string | null = null;
  private delivered: DeliverResult | null = null;
  private readonly restarted: RestartResult[] = [];
  private readonly recycled: RecycleResult[] = [];
  private readonly skippedItems: string[] = [];
  private recycleDeclined: string | null = null;

  private stop: StopRequest | null = null;
  private compensating = false;
  /** Saga: what must run if the rotation stops now; filled while the cluster may lack credentials. */
  private compensations: (() => Promise<void>)[] = [];
  private blockedDecision: 'retry' | 'skip' | null = null;
  private stoppedWhileBlockedOn: RotationStep | null = null;
  private gateDecision: { approval: Approval } | { rejection: RejectInput } | null = null;

  /** Tickets let an Update return once the main loop has acted on it (when the loop is waiting). */
  private waitingForHuman = false;
  private posted = 0;
  private consumed = 0;

  private upsertedPhase: RotationPhase | null = null;
  private pendingSearchAttributes: SearchAttributeUpdatePair[] = [];

  constructor(private readonly input: ClusterRotationWorkflowInput) {
    this.status = {
      clusterId: input.clusterId,
      label: null,
      region: null,
      requestedBy: input.requestedBy,
      fleetRotationId: input.fleetRotationId ?? null,
      dryRun: input.dryRun === true,
      phase: 'Snapshotting',
      step: null,
      paused: false,
      plan: null,
      progress: {
        tokensDeleted: 0, tokensTotal: 0, workloadsRestarted: 0, workloadsTotal: 0, nodesRecycled: 0, nodesTotal: 0,
      },
      pendingGate: null,
      lastError: null,
      approvals: [],
      completedSteps: [],
      skippedSteps: [],
      timeline: [],
    };
  }

  // ------------------------------------------------------------------------------------------
  // Handlers

  installHandlers(): void {
    setHandler(statusQuery, () => this.status);
    setHandler(approveUpdate, (a) => this.approve(a), { validator: (a) => this.validateGateAnswer('approve', a?.by) });
    setHandler(rejectUpdate, (r) => this.reject(r), {
      validator: (r) => {
        this.validateGateAnswer('reject', r?.by);
        if (!r?.reason) throw new Error('reject needs a reason');
      },
    });
    setHandler(pauseUpdate, (c) => this.pause(c), { validator: (_c: ControlInput) => this.validatePause() });
    setHandler(resumeUpdate, (c) => this.resume(c), {
      validator: (_c: ControlInput) => {
        this.refuseIfTerminal('resume');
        if (!this.status.paused) throw new Error('the rotation is not paused');
      },
    });
    setHandler(retryUpdate, (c) => this.decideBlocked('retry', c), { validator: (_c: ControlInput) => this.validateBlocked('retry') });
    setHandler(skipUpdate, (c) => this.decideBlocked('skip', c), { validator: (_c: ControlInput) => this.validateSkip() });
    setHandler(abortUpdate, (a) => this.abort(a), { validator: (a) => this.validateAbort(a) });
  }

  requestCancel(): void {
    if (this.isTerminal() || this.stop || this.compensating) return;
    this.stop = { kind: 'cancel' };
    this.note('cancellation requested');
  }

  private refuseIfTerminal(what: string): void {
    if (this.isTerminal()) throw new Error(`cannot ${what}: the rotation already ended (${this.status.phase})`);
  }

  private validateGateAnswer(what: 'approve' | 'reject', by: string | undefined): void {
    this.refuseIfTerminal(what);
    if (!by) throw new Error(`${what} needs 'by': who decides`);
    if (!this.status.pendingGate) {
      const earlier = this.status.approvals.map((a) => `${a.gate} was approved by ${a.by} at ${a.at}`);
      throw new Error(`no approval is pending (phase ${this.status.phase})${earlier.length ? `: ${earlier.join('; ')}` : ''}`);
    }
    if (this.gateDecision) throw new Error('this gate has already been answered');
  }

  private validatePause(): void {
    this.refuseIfTerminal('pause');
    if (this.status.paused) throw new Error('the rotation is already paused');
    if (this.compensating) throw new Error('cannot pause while compensating: the cluster needs working credentials first');
  }

  private validateBlocked(what: 'retry' | 'skip'): void {
    this.refuseIfTerminal(what);
    if (this.status.phase !== 'Blocked' || this.blockedDecision) {
      throw new Error(`${what} is only possible while the rotation is Blocked (phase is ${this.status.phase})`);
    }
  }

  private validateSkip(): void {
    this.validateBlocked('skip');
    const step = this.status.step;
    const unsafe = step ? UNSAFE_TO_SKIP[step] : undefined;
    if (step && unsafe) throw new Error(`skipping ${step} is unsafe: ${unsafe}`);
  }

  private validateAbort(a: AbortInput | undefined): void {
    this.refuseIfTerminal('abort');
    if (!a?.by) throw new Error("abort needs 'by': who aborts");
    if (!a.reason) throw new Error('abort needs a reason');
    if (this.compensating) throw new Error('the rotation is already compensating: it will end Cancelled once credentials work');
    if (this.stop) throw new Error('a stop was already requested; it takes effect after the current activity');
  }

  private async approve(a: ApproveInput): Promise<RotationControlResult> {
    const gate = this.status.pendingGate?.gate ?? 'beforeDelete';
    const approval: Approval = { gate, by: a.by, ...(a.comment ? { comment: a.comment } : {}), at: this.now() };
    this.gateDecision = { approval };
    await this.untilConsumed(++this.posted);
    return { ...this.summary(`approved ${gate}`), approval };
  }

  private async reject(r: RejectInput): Promise<RotationControlResult> {
    this.gateDecision = { rejection: r };
    await this.untilConsumed(++this.posted);
    return this.summary(`rejected by ${r.by}: ${r.reason}`);
  }

  private pause(c: ControlInput | undefined): RotationControlResult {
    this.status.paused = true;
    this.note('paused', c?.by);
    return this.summary('paused: takes effect before the next step, workload or node');
  }

  private resume(c: ControlInput | undefined): RotationControlResult {
    this.status.paused = false;
    this.note('resumed', c?.by);
    return this.summary('resumed');
  }

  private async decideBlocked(decision: 'retry' | 'skip', c: ControlInput | undefined): Promise<RotationControlResult> {
    this.blockedDecision = decision;
    this.note(decision === 'retry' ? 'retry requested' : 'skip requested', c?.by);
    await this.untilConsumed(++this.posted);
    return this.summary(decision === 'retry' ? 'retrying the step' : 'step skipped');
  }

  private async abort(a: AbortInput): Promise<RotationControlResult> {
    this.stop = { kind: 'abort', by: a.by, reason: a.reason };
    this.note('abort requested', `${a.by}: ${a.reason}`);
    if (!this.waitingForHuman) return this.summary('abort requested: takes effect when the current activity settles');
    await this.untilConsumed(++this.posted);
    return this.summary('aborted');
  }

  private async untilConsumed(ticket: number): Promise<void> {
    await condition(() => this.consumed >= ticket);
  }

  private async waitForHuman(ready: () => boolean, timeoutMs?: number): Promise<boolean> {
    this.waitingForHuman = true;
    try {
      return timeoutMs === undefined ? (await condition(ready), true) : await condition(ready, timeoutMs);
    } finally {
      this.waitingForHuman = false;
      this.consumed = this.posted;
    }
  }

  // ------------------------------------------------------------------------------------------
  // The run

  async run(): Promise<RotationReport> {
    try {
      await this.execute();
    } catch (err) {
      if (!(err instanceof StopRequested)) throw err;
      await this.stopRotation();
    }
    // An Update answered in the last activation must finish before the run closes.
    await condition(allHandlersFinished);
    await reportToFleet(this.input, this.status.phase, this.status.lastError?.message);
    return this.report();
  }

  private async execute(): Promise<void> {
    this.applyResume();
    // Set here, not only by the client, so a run started from the Temporal CLI is searchable too.
    this.pendingSearchAttributes.push(
      { key: LKE_CLUSTER_ID, value: this.input.clusterId },
      { key: REQUESTED_BY, value: this.input.requestedBy },
      ...(this.input.fleetRotationId ? [{ key: FLEET_ROTATION_ID, value: this.input.fleetRotationId }] : []),
    );
    this.setPhase('Snapshotting', 'snapshot', this.input.resume ? `resumed from run ${this.input.resume.previousRunId}` : 'started');

    const snapshot = this.snapshot ?? await this.takeSnapshot();
    const plan = this.applyPlan(snapshot);

    if (this.status.dryRun) {
      this.note('dry run: plan ready, nothing changed');
      this.finish('Completed');
      return;
    }
    if (plan.gates.beforeDelete && !this.hasApproval('beforeDelete')) {
      if (!(await this.gate('beforeDelete'))) {
        this.finish('Rejected');
        return;
      }
    }

    if (!this.done('deliverKubeconfig')) {
      // Until the deletes start nothing has changed, so a stop arriving before them just ends the run.
      if (!this.done('deleteTokens')) await this.checkpoint();
      this.compensations.push(() => this.rollForward());
    }
    if (!this.done('deleteTokens')) await this.deleteTokens(snapshot);
    if (!this.done('regenerate')) await this.regenerate();
    if (!this.done('awaitKubeconfig')) await this.awaitKubeconfig(snapshot);
    if (!this.done('verify')) await this.verify(snapshot);
    // Delivery stays inside the roll-forward: a stop now must still hand over the new kubeconfig.
    if (!this.done('deliverKubeconfig')) await this.deliver(snapshot);
    this.compensations = [];

    await this.restartWorkloads(snapshot, plan);
    await this.recycleNodes(plan);
    this.finish('Completed');
  }

  /** The cluster may be without working credentials: finish getting new ones, never restore old. */
  private async rollForward(): Promise<void> {
    const snapshot = this.snapshot as ClusterSnapshot;
    // A kubeconfig that never appeared is most likely fixed by asking Linode to regenerate again.
    const again = this.stoppedWhileBlockedOn === 'awaitKubeconfig';
    if (!this.done('regenerate') || again) await this.regenerate();
    if (!this.done('awaitKubeconfig') || again) await this.awaitKubeconfig(snapshot);
    if (!this.done('verify')) await this.verify(snapshot);
    if (!this.done('deliverKubeconfig')) await this.deliver(snapshot);
  }

  private async stopRotation(): Promise<void> {
    const stop = this.stop as StopRequest;
    this.consumed = this.posted;
    const why = stop.kind === 'abort' ? `aborted by ${stop.by}: ${stop.reason}` : 'cancelled';
    if (this.compensations.length) {
      this.compensating = true;
      this.status.paused = false;
      this.setPhase('Compensating', null, `${why}; rolling forward to working credentials`);
      for (const compensate of this.compensations.reverse()) await compensate();
      this.compensations = [];
    }
    this.finish('Cancelled', why);
  }

  private applyResume(): void {
    const r = this.input.resume;
    if (!r) return;
    if (!r.snapshot && r.completedSteps.some((s) => s !== 'snapshot')) {
      throw ApplicationFailure.nonRetryable('resume state records progress but no snapshot', 'InvalidResumeState');
    }
    this.snapshot = r.snapshot;
    this.status.approvals.push(...r.approvals);
    this.status.completedSteps.push(...r.completedSteps);
    this.deleted = r.deleted;
    this.restarted.push(...r.restarted);
    this.recycled.push(...r.recycled);
    this.newFingerprint = r.newFingerprint;
  }

  // ------------------------------------------------------------------------------------------
  // Steps

  private async takeSnapshot(): Promise<ClusterSnapshot> {
    const { clusterId } = this.input;
    const restartScope = this.input.restart?.scope ?? 'none';
    const snapshot = await this.mustRun('snapshot', 'Snapshotting', () =>
      this.call('snapshotCluster', `Snapshot cluster ${clusterId}: tokens, nodes, workloads`, { clusterId, restartScope }));
    this.snapshot = snapshot;
    this.complete('snapshot');
    return snapshot;
  }

  private applyPlan(snapshot: ClusterSnapshot): RotationPlan {
    const plan = buildPlan(snapshot, this.input);
    this.status.label = snapshot.label;
    this.status.region = snapshot.region;
    this.status.plan = plan;
    const p = this.status.progress;
    p.tokensTotal = plan.deleteSecrets.length;
    p.tokensDeleted = this.deleted ? this.deleted.deleted.length + this.deleted.alreadyGone.length : 0;
    p.workloadsTotal = plan.restartWorkloads.length;
    p.workloadsRestarted = this.restarted.length;
    p.nodesTotal = plan.recycleNodes.length;
    p.nodesRecycled = this.recycled.length;
    this.pendingSearchAttributes.push({ key: LKE_REGION, value: snapshot.region });
    this.refreshDetails();
    return plan;
  }

  /** Waits for approve or reject; false when rejected or timed out (nothing is changed then). */
  private async gate(gate: Gate): Promise<boolean> {
    await this.checkpoint();
    const timeoutMs = this.input.gateTimeoutMs ?? DEFAULT_GATE_TIMEOUT_MS;
    const since = this.now();
    this.status.pendingGate = { gate, since, timeoutAt: new Date(Date.parse(since) + timeoutMs).toISOString() };
    this.gateDecision = null;
    this.setPhase(gate === 'beforeDelete' ? 'AwaitingApproval' : 'AwaitingRecycleApproval',
      gate === 'beforeDelete' ? 'approval' : 'recycleApproval', `waiting for approval (${gate})`);
    const answered = await this.waitForHuman(() => this.gateDecision !== null || this.stop !== null, timeoutMs);
    this.status.pendingGate = null;
    if (this.stop) throw new StopRequested();
    const decision = this.answeredGate();
    if (!answered || !decision) {
      this.note(`${gate} gate timed out after ${timeoutMs} ms`);
      return false;
    }
    if ('rejection' in decision) {
      this.note(`${gate} rejected`, `${decision.rejection.by}: ${decision.rejection.reason}`);
      return false;
    }
    this.status.approvals.push(decision.approval);
    this.complete(gate === 'beforeDelete' ? 'approval' : 'recycleApproval');
    this.note(`${gate} approved`, decision.approval.by + (decision.approval.comment ? `: ${decision.approval.comment}` : ''));
    return true;
  }

  /** A method, not a field read, because TypeScript narrows the field to null across the await above. */
  private answeredGate(): ClusterRotation['gateDecision'] {
    return this.gateDecision;
  }

  private async deleteTokens(snapshot: ClusterSnapshot): Promise<void> {
    const secrets = snapshot.tokenSecrets;
    this.deleted = await this.mustRun('deleteTokens', 'DeletingTokens', () =>
      this.call('deleteTokenSecrets', `Delete ${secrets.length} token Secrets in kube-system`,
        { clusterId: snapshot.clusterId, secrets }));
    this.status.progress.tokensDeleted = this.deleted.deleted.length + this.deleted.alreadyGone.length;
    if (this.deleted.conflicts.length) this.note('left alone (recreated after the snapshot)', this.deleted.conflicts.join(', '));
    this.complete('deleteTokens');
  }

  private async regenerate(): Promise<void> {
    const { clusterId } = this.input;
    const previousFingerprint = this.snapshot?.adminTokenFingerprint ?? null;
    await this.mustRun('regenerate', 'Regenerating', () =>
      this.call('regenerateCredentials', 'Regenerate kubeconfig and service token', { clusterId, previousFingerprint }));
    this.complete('regenerate');
  }

  private async awaitKubeconfig(snapshot: ClusterSnapshot): Promise<void> {
    const result = await this.mustRun('awaitKubeconfig', 'AwaitingKubeconfig', () =>
      this.call('awaitKubeconfig', 'Wait for the new kubeconfig to become available',
        { clusterId: snapshot.clusterId, previousFingerprint: snapshot.adminTokenFingerprint }));
    this.newFingerprint = result.fingerprint;
    this.complete('awaitKubeconfig');
  }

  private async verify(snapshot: ClusterSnapshot): Promise<void> {
    const result = await this.mustRun('verify', 'Verifying', () =>
      this.call('verifyRotation', 'Verify: nodes Ready, new token per service account, old token refused', {
        clusterId: snapshot.clusterId,
        newFingerprint: this.newFingerprint as string,
        previousFingerprint: snapshot.adminTokenFingerprint,
        nodes: snapshot.nodes,
        oldSecrets: snapshot.tokenSecrets,
      }));
    this.newFingerprint = result.newFingerprint;
    this.complete('verify');
    this.note('credentials rotated and verified', `old token rejected: ${String(result.oldTokenRejected)}`);
  }

  private async deliver(snapshot: ClusterSnapshot): Promise<void> {
    const result = await this.runStep('deliverKubeconfig', 'DeliveringKubeconfig', () =>
      this.call('deliverKubeconfig', `Deliver the new kubeconfig of ${snapshot.label}`,
        { clusterId: snapshot.clusterId, label: snapshot.label, fingerprint: this.newFingerprint as string }));
    if (result === SKIPPED) return;
    this.delivered = result;
    this.complete('deliverKubeconfig');
  }

  private async restartWorkloads(snapshot: ClusterSnapshot, plan: RotationPlan): Promise<void> {
    if (!plan.restartWorkloads.length || this.done('restartWorkloads')) return;
    // Derived from the snapshot, which a resumed run carries over: a retry or a resume re-sends the
    // same value, so the activity sees the annotation already set and does not restart twice.
    const restartedAt = snapshot.takenAt;
    for (const workload of plan.restartWorkloads) {
      const label = workloadLabel(workload);
      if (this.restarted.some((r) => sameWorkload(r.workload, workload)) || this.skippedItems.includes(label)) continue;
      const result = await this.runStep('restartWorkloads', 'RestartingWorkloads', () =>
        this.call('restartWorkload', `Restart ${label}`, { clusterId: snapshot.clusterId, workload, restartedAt }));
      if (result === SKIPPED) {
        this.skippedItems.push(label);
        continue;
      }
      this.restarted.push(result);
      this.status.progress.workloadsRestarted = this.restarted.length;
      this.refreshDetails();
    }
    this.complete('restartWorkloads');
  }

  private async recycleNodes(plan: RotationPlan): Promise<void> {
    if (!plan.recycleNodes.length || this.done('recycleNodes')) return;
    if (plan.gates.beforeRecycle && !this.hasApproval('beforeRecycle') && !(await this.gate('beforeRecycle'))) {
      // The credentials are rotated either way; declining node work only leaves it undone.
      this.recycleDeclined = 'recycle gate rejected or timed out';
      this.markSkipped('recycleNodes');
      return;
    }
    for (const node of plan.recycleNodes) {
      const label = nodeLabel(node);
      if (this.recycled.some((r) => r.nodeId === node.nodeId) || this.skippedItems.includes(label)) continue;
      const result = await this.runStep('recycleNodes', 'RecyclingNodes', () =>
        this.call('recycleNode', `Recycle ${label}`, { clusterId: this.input.clusterId, node }));
      if (result === SKIPPED) {
        this.skippedItems.push(label);
        continue;
      }
      this.recycled.push(result);
      this.status.progress.nodesRecycled = this.recycled.length;
      this.refreshDetails();
    }
    this.complete('recycleNodes');
  }

  // ------------------------------------------------------------------------------------------
  // Step machinery: pause points, Blocked, activity calls

  /** Between steps, workloads and nodes: honour a stop, wait out a pause. */
  private async checkpoint(): Promise<void> {
    for (;;) {
      if (this.stop && !this.compensating) throw new StopRequested();
      if (!this.status.paused || this.compensating) return;
      this.refreshDetails();
      await this.waitForHuman(() => !this.status.paused || this.stop !== null);
    }
  }

  /** runStep for steps that cannot be skipped (the skip validator refuses them). */
  private async mustRun<T>(step: RotationStep, phase: RotationPhase, exec: () => Promise<T>): Promise<T> {
    const result = await this.runStep(step, phase, exec);
    if (result === SKIPPED) throw new Error(`${step} cannot be skipped`);
    return result;
  }

  /** Runs one activity; when it exhausts its retries the rotation is Blocked until a human decides. */
  private async runStep<T>(step: RotationStep, phase: RotationPhase, exec: () => Promise<T>): Promise<T | Skipped> {
    for (;;) {
      await this.checkpoint();
      this.setPhase(phase, step);
      try {
        const result = await exec();
        this.status.lastError = null;
        return result;
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
        this.block(step, err);
        const decision = await this.waitForHuman(() => this.blockedDecision !== null || (this.stop !== null && !this.compensating))
          .then(() => this.blockedDecision);
        this.blockedDecision = null;
        if (decision === null) {
          this.stoppedWhileBlockedOn = step;
          throw new StopRequested();
        }
        if (decision === 'skip') {
          this.markSkipped(step);
          return SKIPPED;
        }
      }
    }
  }

  private block(step: RotationStep, err: ActivityFailure): void {
    const cause = err.cause;
    const type = cause instanceof ApplicationFailure ? cause.type ?? 'ApplicationFailure' : cause?.name ?? err.name;
    this.status.lastError = { step, message: cause?.message || err.message, type, at: this.now() };
    this.setPhase('Blocked', step, `${type}: ${this.status.lastError.message}`);
  }

  private call<K extends ActivityName>(name: K, summary: string, arg: ActivityArg<K>): Promise<ActivityResult<K>> {
    // One proxy per activity type: each has its own timeouts; the summary names the call in Temporal Web.
    const activity = proxyActivities<RotationActivities>(activityOptions(name, this.input.tuning))[name] as unknown as
      ActivityFunctionWithOptions<(a: ActivityArg<K>) => Promise<ActivityResult<K>>>;
    return activity.executeWithOptions({ summary }, [arg]);
  }

  // ------------------------------------------------------------------------------------------
  // Bookkeeping: phase, search attributes, details, timeline, report

  private setPhase(phase: RotationPhase, step: RotationStep | null, detail?: string): void {
    const changed = phase !== this.status.phase || step !== this.status.step;
    this.status.phase = phase;
    this.status.step = step;
    if (changed || detail) this.pushTimeline(phase === 'Blocked' ? 'blocked' : `phase ${phase}`, detail);
    if (phase !== this.upsertedPhase) {
      this.upsertedPhase = phase;
      this.upsert([{ key: ROTATION_PHASE, value: phase }]);
    }
    this.refreshDetails();
  }

  private upsert(pairs: SearchAttributeUpdatePair[]): void {
    upsertSearchAttributes([...this.pendingSearchAttributes, ...pairs]);
    this.pendingSearchAttributes = [];
  }

  private note(event: string, detail?: string): void {
    this.pushTimeline(event, detail);
    this.refreshDetails();
  }

  private pushTimeline(event: string, detail?: string): void {
    const { timeline } = this.status;
    timeline.push({ at: this.now(), step: this.status.step, phase: this.status.phase, event, ...(detail ? { detail } : {}) });
    if (timeline.length > TIMELINE_LIMIT) timeline.splice(1, timeline.length - TIMELINE_LIMIT);
  }

  private refreshDetails(): void {
    setCurrentDetails(currentDetailsMarkdown(this.status));
  }

  private complete(step: RotationStep): void {
    if (!this.done(step)) this.status.completedSteps.push(step);
  }

  private markSkipped(step: RotationStep): void {
    if (!this.status.skippedSteps.includes(step)) this.status.skippedSteps.push(step);
    this.note(`skipped ${step}`);
  }

  private done(step: RotationStep): boolean {
    return this.status.completedSteps.includes(step);
  }

  private hasApproval(gate: Gate): boolean {
    return this.status.approvals.some((a) => a.gate === gate);
  }

  private isTerminal(): boolean {
    return TERMINAL_PHASES.includes(this.status.phase);
  }

  private now(): string {
    return new Date().toISOString();
  }

  private summary(message: string): RotationControlResult {
    return { phase: this.status.phase, step: this.status.step, paused: this.status.paused, message };
  }

  private finish(phase: RotationPhase, detail?: string): void {
    this.status.pendingGate = null;
    this.status.paused = false;
    this.setPhase(phase, null, detail);
  }

  /** What this run (and any run it resumed) did not do, one entry per step or item. */
  private notDone(): string[] {
    const plan = this.status.plan;
    if (this.status.dryRun) return ['dry run: nothing was changed'];
    if (!plan) return ['snapshot'];
    const out: string[] = [];
    const core: RotationStep[] = ['deleteTokens', 'regenerate', 'awaitKubeconfig', 'verify', 'deliverKubeconfig'];
    for (const step of core) if (!this.done(step)) out.push(this.status.skippedSteps.includes(step) ? `${step} (skipped)` : step);
    for (const w of plan.restartWorkloads) {
      const label = workloadLabel(w);
      if (!this.restarted.some((r) => sameWorkload(r.workload, w))) {
        out.push(`restartWorkloads: ${label}${this.skippedItems.includes(label) ? ' (skipped)' : ''}`);
      }
    }
    for (const n of plan.recycleNodes) {
      const label = nodeLabel(n);
      if (!this.recycled.some((r) => r.nodeId === n.nodeId)) {
        const why = this.skippedItems.includes(label) ? ' (skipped)' : this.recycleDeclined ? ` (${this.recycleDeclined})` : '';
        out.push(`recycleNodes: ${label}${why}`);
      }
    }
    return out;
  }

  private report(): RotationReport {
    return {
      clusterId: this.input.clusterId,
      phase: this.status.phase,
      requestedBy: this.input.requestedBy,
      dryRun: this.status.dryRun,
      plan: this.status.plan,
      deleted: this.deleted,
      newFingerprint: this.newFingerprint,
      delivered: this.delivered,
      restarted: this.restarted,
      recycled: this.recycled,
      skippedSteps: this.status.skippedSteps,
      notDone: this.notDone(),
      timeline: this.status.timeline,
      finalStatus: this.status,
    };
  }
}
