// The webhook notifications' contract between the workflows (which decide when an event happens and
// start the `notify` activity) and activities/notify/ (which signs and POSTs it). Everything here
// lands in workflow history, so it holds what the workflow knows (ids, phases, counts), never the
// webhook's URL or secret: those live in the worker's configuration only.

export const NOTIFICATION_KINDS = [
  'rotation.gate.waiting',
  'rotation.blocked',
  'rotation.ended',
  'fleet.gate.waiting',
  'fleet.wave.completed',
  'fleet.halted',
  'fleet.ended',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** One event as the workflow states it; the activity adds links, a Slack-ready `text` and the signature. */
export interface NotifyInput {
  /** `<workflowId>/<runId>/<kind>/<n>`, n counting this run's events from 1: a retried delivery carries the same key */
  idempotencyKey: string;
  kind: NotificationKind;
  /** workflow time of the event (the same on every attempt) */
  occurredAt: string;
  workflowType: 'clusterRotation' | 'fleetRotation';
  workflowId: string;
  runId: string;
  requestedBy: string;
  /** the rotation's or the fleet's phase when the event happened (the final one for *.ended) */
  phase: string;
  clusterId?: number;
  /** the fleet's workflow id: the fleet itself, or the fleet a rotation belongs to */
  fleetRotationId?: string;
  /** gate.waiting: which gate, and when it times out */
  gate?: 'beforeDelete' | 'beforeRecycle' | 'canary' | 'stage';
  /** fleet events of a staged fleet: the stage's name */
  stage?: string;
  timeoutAt?: string;
  /** rotation.blocked: the step and why */
  step?: string;
  error?: { type: string; message: string };
  /** fleet.wave.completed: which wave (from 1) of how many */
  wave?: number;
  waveCount?: number;
  /** fleet events: clusters per phase */
  counts?: Record<string, number>;
  /** fleet.halted and ended fleets: why */
  reason?: string;
}

export interface NotifyResult {
  delivered: boolean;
  /** the receiver's HTTP status when delivered */
  status?: number;
  /** why nothing was sent (no webhook configured on the worker that ran it) */
  skipped?: string;
}

export interface NotifyActivities {
  /** signs and POSTs one event to the configured webhook; without one, does nothing */
  notify(input: NotifyInput): Promise<NotifyResult>;
}
