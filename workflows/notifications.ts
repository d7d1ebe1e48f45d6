// Webhook notifications from inside the workflows (README.md, "Notifications"): an event is one
// `notify` activity, started and not waited for, so a webhook that is slow, down or refusing never
// holds, fails or Blocks a rotation or a fleet. Each run numbers its events; the idempotency key
// `<workflowId>/<runId>/<kind>/<n>` is therefore the same on replay and on every retried attempt.
//
// Whether a run notifies at all is decided once, at its start, from its input (`notify: true`, set by
// whoever started it from the configuration: the API, a fleet for its children, a resume): a run
// without it schedules nothing and writes no patch marker, so history costs nothing when the webhook
// is off (a full rotation stays at its 75 events). Deciding in the workflow from the worker's
// configuration would need a local activity or a side effect, i.e. history events on every run.
import {
  ActivityFailure, isCancellation, patched, proxyActivities, workflowInfo, type ActivityOptions,
} from '@temporalio/workflow';
import type { NotificationKind, NotifyActivities, NotifyInput } from '../common/notifications.js';
import type { RotationTuning } from '../common/types.js';
import { WEBHOOK_NOTIFICATIONS } from './clusterRotation/patches.js';

/** Who the events are about: fixed for the run. */
export type NotificationSubject = Pick<NotifyInput, 'workflowType' | 'requestedBy' | 'clusterId' | 'fleetRotationId'>;

/** What an event adds to its subject. */
export type EventDetails = Omit<NotifyInput, 'idempotencyKey' | 'kind' | 'occurredAt' | 'workflowId' | 'runId' | keyof NotificationSubject>;

/** Attempts of one delivery: a handful within minutes, then the event is given up (the run never waits on it). */
export const NOTIFY_MAX_ATTEMPTS = 5;

export function notifyActivityOptions(tuning: RotationTuning | undefined): ActivityOptions {
  return {
    startToCloseTimeout: '30 seconds',
    retry: {
      initialInterval: tuning?.activityRetryInitialIntervalMs ?? '2 seconds',
      backoffCoefficient: 2,
      maximumInterval: tuning?.activityRetryMaximumIntervalMs ?? '30 seconds',
      maximumAttempts: NOTIFY_MAX_ATTEMPTS,
    },
  };
}

export class Notifier {
  /** false: this run sends nothing (not asked for, or recorded before notifications existed) */
  readonly on: boolean;
  private sent = 0;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(wanted: boolean | undefined, private readonly subject: NotificationSubject, private readonly tuning?: RotationTuning) {
    // asked only when wanted: runs without notifications carry no marker at all
    this.on = wanted === true && patched(WEBHOOK_NOTIFICATIONS);
  }

  /** Starts the delivery of one event and returns at once; its failure is dropped (the activity's retries are its only second chance). */
  emit(kind: NotificationKind, details: EventDetails): void {
    if (!this.on) return;
    const { workflowId, runId } = workflowInfo();
    const input: NotifyInput = {
      idempotencyKey: `${workflowId}/${runId}/${kind}/${++this.sent}`,
      kind, occurredAt: new Date().toISOString(), workflowId, runId, ...this.subject, ...details,
    };
    const { notify } = proxyActivities<NotifyActivities>(notifyActivityOptions(this.tuning));
    const delivery = notify.executeWithOptions({ summary: `Notify: ${kind}` }, [input]).then(() => undefined, (err: unknown) => {
      // given up after its retries, refused, or cancelled with a cancelled fleet: never the run's concern
      if (!(err instanceof ActivityFailure) && !isCancellation(err)) throw err;
    });
    this.inFlight.add(delivery);
    void delivery.finally(() => this.inFlight.delete(delivery));
  }

  /** No delivery under way. */
  get idle(): boolean {
    return this.inFlight.size === 0;
  }

  /**
   * Waits for the deliveries still under way: a run that closes (or continues as new) drops its
   * pending activities, so the last event and any before it would never arrive. Bounded by the
   * activity's own retry policy.
   */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }
}
