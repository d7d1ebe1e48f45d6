// What one rotation knows about itself: the status the `status` Query answers, the timeline, the
// progress counts, the results of the steps and the final report. Plain data and pure rules, with no
// Temporal import, so they are read and tested on their own (test/rotation-ledger.test.ts). The
// workflow tells the ledger what happened; the ledger tells its listener what to publish.
import { ApplicationFailure } from '@temporalio/common';
import { TERMINAL_PHASES, type RotationPhase } from '../../common/names.js';
import type {
  Approval, ClusterRotationInput, ClusterSnapshot, DeleteTokensResult, DeliverResult, MissingTokenSecret, PoolNodeRef,
  RecreateTokensResult, RecycleResult, RestartResult, ResumeState, RotationControlResult, RotationPlan, RotationReport,
  RotationStatus, RotationStep, SignalRefusal, VerifyResult, WorkloadRef,
} from '../../common/types.js';
import { withRefusal } from '../signalHelp.js';
import { buildPlan, nodeLabel, sameWorkload, workloadLabel } from '../plan.js';

/** The status keeps the first entry (how the run started) and the latest ones. */
export const TIMELINE_LIMIT = 200;

/** The steps between the token deletes and delivery: what "the credentials are rotated" means. */
const CREDENTIAL_STEPS: readonly RotationStep[] = ['deleteTokens', 'regenerate', 'awaitKubeconfig', 'verify', 'deliverKubeconfig'];

/** The timeline entry of a verified rotation, by what verify proved about the old admin token. */
export const VERIFIED_EVENT = 'credentials rotated and verified';
export const NOT_PROVEN_EVENT = 'credentials rotated; old token rejection not proven';

export type Gate = Approval['gate'];

/** Where the ledger's changes go: the workflow publishes them to Temporal (search attribute, details). */
export interface LedgerListener {
  /** setPhase ran (the phase may be the same as before) */
  phaseSet(phase: RotationPhase): void;
  /** something a human watches changed */
  changed(status: RotationStatus): void;
}

const UNHEARD: LedgerListener = { phaseSet: () => undefined, changed: () => undefined };

export class RotationLedger {
  readonly status: RotationStatus;
  snapshot: ClusterSnapshot | null = null;
  deleted: DeleteTokensResult | null = null;
  newFingerprint: string | null = null;
  /** new kubeconfigs a later regenerate superseded (401 in verify or deliver): never accepted again */
  readonly supersededFingerprints: string[] = [];
  delivered: DeliverResult | null = null;
  /** the user-owned token Secrets recreated after the regenerate, when there were any */
  recreated: RecreateTokensResult | null = null;
  readonly restarted: RestartResult[] = [];
  readonly recycled: RecycleResult[] = [];
  /** labels of workloads and nodes a human skipped while Blocked */
  readonly skippedItems: string[] = [];
  /** why node recycling was declined at its gate, if it was */
  recycleDeclined: string | null = null;

  constructor(
    private readonly input: ClusterRotationInput,
    private readonly listener: LedgerListener = UNHEARD,
    /** the workflow's clock (deterministic in the sandbox); tests pass their own */
    readonly now: () => string = () => new Date().toISOString(),
  ) {
    this.status = {
      clusterId: input.clusterId,
      label: null,
      region: null,
      requestedBy: input.requestedBy,
      resumedBy: input.resume ? input.resumedBy ?? null : null,
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
      oldCredentials: null,
      skippedTokenSecrets: [],
      timeline: [],
    };
  }

  /** Takes over what the run being resumed got done, so no destructive step is repeated. */
  resumeFrom(r: ResumeState): void {
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

  /** The plan follows from the snapshot; progress counts what a resumed run already did. */
  applyPlan(snapshot: ClusterSnapshot, rollForwardUngated = false): RotationPlan {
    const plan = buildPlan(snapshot, this.input, rollForwardUngated);
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
    return plan;
  }

  // ---- Step results

  recordDeleted(result: DeleteTokensResult): void {
    this.deleted = result;
    this.status.progress.tokensDeleted = result.deleted.length + result.alreadyGone.length;
  }

  recordRecreated(result: RecreateTokensResult): void {
    this.recreated = result;
    if (result.serviceAccountMissing.length) {
      this.note('user-owned token Secrets not recreated: their service account is gone',
        `${result.serviceAccountMissing.join(', ')}; verify will name them, and they may be skipped there`);
    }
  }

  /** user-owned token Secrets a human skipped at verify (names); verify leaves them out from now on */
  get skippedTokenSecrets(): readonly string[] {
    return this.status.skippedTokenSecrets ?? [];
  }

  skipTokenSecrets(secrets: MissingTokenSecret[]): void {
    const names = secrets.map((s) => s.name).filter((n) => !this.skippedTokenSecrets.includes(n));
    if (names.length === 0) return;
    this.status.skippedTokenSecrets = [...this.skippedTokenSecrets, ...names];
    this.note(`skipped user-owned token Secrets: ${names.join(', ')}`, 'not renewed; verify runs again without them');
  }

  /** Verify passed: says whether the old admin token was proven rejected, never "verified" when it was not. */
  recordVerified(result: VerifyResult, rejectedAtSnapshot = false): void {
    this.status.oldCredentials = result.oldTokenRejected === true || rejectedAtSnapshot ? 'rejected' : 'notProven';
    const skipped = this.skippedTokenSecrets.length ? `; user-owned token Secrets skipped: ${this.skippedTokenSecrets.join(', ')}` : '';
    if (rejectedAtSnapshot) this.note(VERIFIED_EVENT, `old credentials already rejected at snapshot${skipped}`);
    else if (this.status.oldCredentials === 'rejected') this.note(VERIFIED_EVENT, `old token rejected: true${skipped}`);
    else this.note(NOT_PROVEN_EVENT, `the old kubeconfig was not at hand to prove its token dead${skipped}`);
  }

  recordRestart(result: RestartResult): void {
    this.restarted.push(result);
    this.status.progress.workloadsRestarted = this.restarted.length;
    this.changed();
  }

  recordRecycle(result: RecycleResult): void {
    this.recycled.push(result);
    this.status.progress.nodesRecycled = this.recycled.length;
    this.changed();
  }

  /** Restarted (by this run or the one it resumed) or skipped by a human: not restarted again. */
  workloadSettled(workload: WorkloadRef): boolean {
    return this.restarted.some((r) => sameWorkload(r.workload, workload)) || this.skippedItems.includes(workloadLabel(workload));
  }

  /** Recycled (by this run or the one it resumed) or skipped by a human: not recycled again. */
  nodeSettled(node: PoolNodeRef): boolean {
    return this.recycled.some((r) => r.nodeId === node.nodeId) || this.skippedItems.includes(nodeLabel(node));
  }

  skipItem(label: string): void {
    this.skippedItems.push(label);
  }

  complete(step: RotationStep): void {
    if (!this.done(step)) this.status.completedSteps.push(step);
  }

  /**
   * The new kubeconfig was superseded: it is dropped, and await and verify (done with it) run again.
   * The timeline explains the extra cycle (docs/design.md, "The credential window").
   */
  supersede(fingerprint: string | null, why: string): void {
    if (fingerprint !== null && !this.supersededFingerprints.includes(fingerprint)) this.supersededFingerprints.push(fingerprint);
    this.newFingerprint = null;
    const reopened = new Set<RotationStep>(['awaitKubeconfig', 'verify']);
    const kept = this.status.completedSteps.filter((s) => !reopened.has(s));
    this.status.completedSteps.splice(0, this.status.completedSteps.length, ...kept);
    this.note('roll forward: await a fresh kubeconfig', `the new kubeconfig ${fingerprint ?? ''} was superseded (${why})`);
  }

  markSkipped(step: RotationStep): void {
    if (!this.status.skippedSteps.includes(step)) this.status.skippedSteps.push(step);
    this.note(`skipped ${step}`);
  }

  done(step: RotationStep): boolean {
    return this.status.completedSteps.includes(step);
  }

  hasApproval(gate: Gate): boolean {
    return this.status.approvals.some((a) => a.gate === gate);
  }

  isTerminal(): boolean {
    return TERMINAL_PHASES.includes(this.status.phase);
  }

  // ---- Phase and timeline

  setPhase(phase: RotationPhase, step: RotationStep | null, detail?: string): void {
    const changed = phase !== this.status.phase || step !== this.status.step;
    this.status.phase = phase;
    this.status.step = step;
    if (changed || detail) this.pushTimeline(phase === 'Blocked' ? 'blocked' : `phase ${phase}`, detail);
    this.listener.phaseSet(phase);
    this.changed();
  }

  /** An activity gave up: Blocked on `step` until a human decides. */
  block(step: RotationStep, error: { type: string; message: string; tokenSecrets?: MissingTokenSecret[]; item?: string }): void {
    this.status.lastError = {
      step, message: error.message, type: error.type, at: this.now(), ...(error.tokenSecrets ? { tokenSecrets: error.tokenSecrets } : {}),
      ...(error.item ? { item: error.item } : {}),
    };
    this.setPhase('Blocked', step, `${error.type}: ${error.message}`);
  }

  finish(phase: RotationPhase, detail?: string): void {
    this.status.pendingGate = null;
    this.status.paused = false;
    if (this.status.pausePending) this.status.pausePending = false;
    if (this.status.autoRetryAt) this.status.autoRetryAt = null;
    this.setPhase(phase, null, detail);
  }

  note(event: string, detail?: string): void {
    this.pushTimeline(event, detail);
    this.changed();
  }

  /** A control sent as a Signal was refused: kept in the status and the timeline, since a Signal has no answer. */
  refuseSignal(refusal: SignalRefusal): void {
    this.status.refusedSignals = withRefusal(this.status.refusedSignals, refusal);
    this.note(`signal ${refusal.signal} refused`, `${refusal.by ? `${refusal.by}: ` : ''}${refusal.reason}`);
  }

  /** Tells the listener to republish without recording anything (e.g. a pause starts to hold). */
  changed(): void {
    this.listener.changed(this.status);
  }

  private pushTimeline(event: string, detail?: string): void {
    const { timeline } = this.status;
    timeline.push({ at: this.now(), step: this.status.step, phase: this.status.phase, event, ...(detail ? { detail } : {}) });
    if (timeline.length > TIMELINE_LIMIT) timeline.splice(1, timeline.length - TIMELINE_LIMIT);
  }

  // ---- Answers and the report

  /** What every control Update answers: where the run is, and what the request did. */
  summary(message: string): RotationControlResult {
    return {
      phase: this.status.phase, step: this.status.step, paused: this.status.paused,
      ...(this.status.pausePending ? { pausePending: true } : {}), message,
    };
  }

  /** What this run (and any run it resumed) did not do, one entry per step or item. */
  notDone(): string[] {
    const plan = this.status.plan;
    if (this.status.dryRun) return ['dry run: nothing was changed'];
    if (!plan) return ['snapshot'];
    const out: string[] = [];
    for (const step of CREDENTIAL_STEPS) if (!this.done(step)) out.push(this.status.skippedSteps.includes(step) ? `${step} (skipped)` : step);
    for (const name of this.skippedTokenSecrets) out.push(`verify: user-owned token Secret ${name} not renewed (skipped)`);
    for (const w of plan.restartWorkloads) {
      const label = workloadLabel(w);
      const restarted = this.restarted.find((r) => sameWorkload(r.workload, w));
      if (!restarted) out.push(`restartWorkloads: ${label}${this.skippedItems.includes(label) ? ' (skipped)' : ''}`);
      else if (restarted.paused) out.push(`restartWorkloads: ${label} (a paused Deployment: left alone)`);
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

  /** Adds the Linode requests an activity's result says it made (`linodeCalls`, worker/linodeCallCounts.ts). */
  countLinodeCalls(counts: unknown): void {
    if (!counts || typeof counts !== 'object') return;
    const summary = this.status.linodeCalls ?? { total: 0, byEndpoint: {} };
    let added = 0;
    for (const [endpoint, n] of Object.entries(counts as Record<string, unknown>)) {
      if (typeof n !== 'number' || !Number.isSafeInteger(n) || n <= 0) continue;
      summary.byEndpoint[endpoint] = (summary.byEndpoint[endpoint] ?? 0) + n;
      added += n;
    }
    if (added === 0) return;
    summary.total += added;
    this.status.linodeCalls = summary;
  }

  report(): RotationReport {
    return {
      clusterId: this.input.clusterId,
      phase: this.status.phase,
      requestedBy: this.input.requestedBy,
      dryRun: this.status.dryRun,
      plan: this.status.plan,
      deleted: this.deleted,
      newFingerprint: this.newFingerprint,
      delivered: this.delivered,
      recreated: this.recreated,
      oldCredentials: this.status.oldCredentials ?? null,
      restarted: this.restarted,
      recycled: this.recycled,
      skippedSteps: this.status.skippedSteps,
      notDone: this.notDone(),
      ...(this.status.linodeCalls ? { linodeCalls: this.status.linodeCalls } : {}),
      timeline: this.status.timeline,
      finalStatus: this.status,
    };
  }
}
