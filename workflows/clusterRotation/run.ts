// The state of one clusterRotation run that the runbook, the step runner and the controls share:
// the ledger, what humans asked for (stop, Blocked and gate decisions), the saga's compensations,
// and the two Temporal effects of the ledger (the RotationPhase search attribute and Temporal Web's
// current details).
import { condition, setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { RotationPhase } from '../../common/names.js';
import type { Approval, ClusterRotationWorkflowInput, RejectInput, RotationStep } from '../../common/types.js';
import { ROTATION_PHASE } from '../../common/searchAttributes.js';
import { currentDetailsMarkdown } from '../plan.js';
import { reportPhaseChange } from '../metricsSink.js';
import { Notifier } from '../notifications.js';
import { RotationLedger } from './ledger.js';

export type StopRequest = { kind: 'abort'; by: string; reason: string } | { kind: 'cancel' };
export type GateDecision = { approval: Approval } | { rejection: RejectInput };
export type BlockedDecision = 'retry' | 'skip';

/** Control flow, not a failure: a human (abort) or the client (cancel) asked the run to stop. */
export class StopRequested extends Error {}

/**
 * Control flow: the new kubeconfig answered 401 in verify or deliver (a later regenerate superseded
 * it), so the run goes back to awaiting a fresh one (docs/design.md, "The credential window").
 */
export class KubeconfigSuperseded extends Error {
  constructor(readonly fingerprint: string | null, readonly failure: { type: string; message: string }) {
    super(`kubeconfig ${fingerprint ?? '(unknown)'} superseded: ${failure.type}`);
  }
}

export class RotationRun {
  readonly ledger: RotationLedger;
  /** webhook events of this run (off unless the input asks for them) */
  readonly notifier: Notifier;

  stop: StopRequest | null = null;
  compensating = false;
  /** Saga: what must run if the rotation stops now; filled while the cluster may lack credentials. */
  compensations: (() => Promise<void>)[] = [];
  blockedDecision: BlockedDecision | null = null;
  stoppedWhileBlockedOn: RotationStep | null = null;
  /** Blocked in the credential window: how many automatic retries in a row (the backoff grows) */
  windowRetries = 0;
  /** regenerate activities this run has scheduled: a later one may find an earlier one's POST took */
  regenerateCalls = 0;
  gateDecision: GateDecision | null = null;

  /** Tickets let an Update return once the main loop has acted on it (when the loop is waiting). */
  private waiting = false;
  private posted = 0;
  private consumed = 0;

  private upsertedPhase: RotationPhase | null = null;
  private pendingSearchAttributes: SearchAttributeUpdatePair[] = [];

  constructor(readonly input: ClusterRotationWorkflowInput) {
    this.notifier = new Notifier(input.notify, {
      workflowType: 'clusterRotation', requestedBy: input.requestedBy, clusterId: input.clusterId,
      ...(input.fleetRotationId ? { fleetRotationId: input.fleetRotationId } : {}),
    }, input.tuning);
    this.ledger = new RotationLedger(input, {
      phaseSet: (phase) => this.publishPhase(phase),
      changed: (status) => setCurrentDetails(currentDetailsMarkdown(status, workflowInfo().workflowId)),
    });
  }

  get status() {
    return this.ledger.status;
  }

  /** From just before the first token delete until delivery: a stop rolls forward, a pause waits for delivery. */
  get windowOpen(): boolean {
    return this.compensations.length > 0;
  }

  get waitingForHuman(): boolean {
    return this.waiting;
  }

  /** A method, not a field read: TypeScript would keep the field narrowed to null across an await. */
  answeredGate(): GateDecision | null {
    return this.gateDecision;
  }

  // ---- Humans: waiting for them, and answering them once the run has acted

  /** Posts a ticket and returns once the main loop has stopped waiting for a human since. */
  async untilActedOn(): Promise<void> {
    const ticket = ++this.posted;
    await condition(() => this.consumed >= ticket);
  }

  async waitForHuman(ready: () => boolean, timeoutMs?: number): Promise<boolean> {
    this.waiting = true;
    try {
      return timeoutMs === undefined ? (await condition(ready), true) : await condition(ready, timeoutMs);
    } finally {
      this.waiting = false;
      this.consumeTickets();
    }
  }

  /** Every Update waiting for the loop to act may return now. */
  consumeTickets(): void {
    this.consumed = this.posted;
  }

  /** Between steps, workloads and nodes: honour a stop, wait out a pause. */
  async checkpoint(): Promise<void> {
    for (;;) {
      if (this.stop && !this.compensating) throw new StopRequested();
      if (!this.status.paused || this.compensating) return;
      this.ledger.changed();
      await this.waitForHuman(() => !this.status.paused || this.stop !== null);
    }
  }

  // ---- Search attributes: sent with the next phase change, in one upsert

  addSearchAttributes(...pairs: SearchAttributeUpdatePair[]): void {
    this.pendingSearchAttributes.push(...pairs);
  }

  private publishPhase(phase: RotationPhase): void {
    if (phase === this.upsertedPhase) return;
    reportPhaseChange({ from: this.upsertedPhase, to: phase, step: this.status.step });
    this.upsertedPhase = phase;
    upsertSearchAttributes([...this.pendingSearchAttributes, { key: ROTATION_PHASE, value: phase }]);
    this.pendingSearchAttributes = [];
  }
}
