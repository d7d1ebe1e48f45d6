// What Temporal recorded, read back after a case: every run of every workflow id the case touched,
// from its history (a terminated run has no result and answers no Query, but its history is
// complete). The invariants judge these records, never the harness's own idea of what happened.
import type { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { Approval, ClusterRotationWorkflowInput, ClusterSnapshot, RotationReport } from '../../common/types.js';
import { MEMO_KEYS } from '../../common/names.js';

export interface UpdateRecord {
  name: string;
  arg: Record<string, unknown> | undefined;
  /** completed: the handler returned; failed: it threw after being accepted; open: no outcome yet */
  outcome: 'completed' | 'failed' | 'open';
  result: Record<string, unknown> | undefined;
  /** the history event that closed it (completed or failed), to order it among the run's child starts */
  eventId?: number;
}

export interface RunRecord {
  workflowId: string;
  runId: string;
  /** Temporal's execution status: RUNNING, COMPLETED, TERMINATED, ... */
  status: string;
  input: ClusterRotationWorkflowInput & { selector?: unknown; waves?: { canary?: number; canaryApproval?: boolean } };
  /** updates accepted by the workflow (a validator's refusal leaves no event) */
  updates: UpdateRecord[];
  /** approvals the run wrote to its memo (every approval that took effect, by Update or by Signal) */
  memoApprovals: Approval[];
  /**
   * each child rotation the run asked Temporal to start (fleets), with the event's id: whether a stage's
   * clusters started before its gate was approved is read from this order
   */
  childStarts: { workflowId: string; eventId: number }[];
  /** each activity scheduled, with its result if it completed */
  activities: { type: string; completed: boolean; result: unknown }[];
  /** the run entered Compensating (its RotationPhase search attribute says so) */
  compensated: boolean;
  /** the workflow's result when it completed */
  result: (RotationReport & { approvals?: { by: string }[] }) | null;
  /** the whole history as JSON with payload bytes decoded, so a token inside would show */
  text: string;
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export async function readRuns(client: Client, workflowId: string): Promise<RunRecord[]> {
  const latest = await client.workflow.getHandle(workflowId).describe().catch(() => null);
  if (!latest) return [];
  // Visibility is eventually consistent: wait until the latest run is listed.
  let runs: { runId: string; status: string }[] = [];
  for (let attempt = 0; attempt < 40; attempt++) {
    runs = [];
    for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
      runs.push({ runId: execution.runId, status: execution.status.name });
    }
    if (runs.some((r) => r.runId === latest.runId)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const records: RunRecord[] = [];
  for (const run of runs) {
    const status = run.runId === latest.runId ? latest.status.name : run.status;
    records.push(await readRun(client, workflowId, run.runId, status));
  }
  return records;
}

async function readRun(client: Client, workflowId: string, runId: string, status: string): Promise<RunRecord> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const events: HistoryEvent[] = history.events ?? [];
  const { payloadConverter } = client.workflow.options.loadedDataConverter;
  const decode = <T>(payloads: Payload[] | null | undefined): T | undefined =>
    payloads?.[0] ? payloadConverter.fromPayload<T>(payloads[0]) : undefined;

  const record: RunRecord = {
    workflowId, runId, status,
    input: decode<RunRecord['input']>(events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads as Payload[])!,
    updates: [], memoApprovals: [], childStarts: [], activities: [], compensated: false, result: null, text: asText(history),
  };
  const activityBySchedule = new Map<string, RunRecord['activities'][number]>();
  const updateById = new Map<string, UpdateRecord>();
  for (const event of events) {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) {
      const activity = { type: scheduled.activityType?.name ?? '', completed: false, result: undefined as unknown };
      activityBySchedule.set(String(event.eventId), activity);
      record.activities.push(activity);
    }
    const completed = event.activityTaskCompletedEventAttributes;
    if (completed) {
      const activity = activityBySchedule.get(String(completed.scheduledEventId));
      if (activity) {
        activity.completed = true;
        activity.result = decode(completed.result?.payloads as Payload[]);
      }
    }
    const accepted = event.workflowExecutionUpdateAcceptedEventAttributes;
    if (accepted) {
      const request = accepted.acceptedRequest;
      const update: UpdateRecord = {
        name: request?.input?.name ?? '',
        arg: decode(request?.input?.args?.payloads as Payload[]),
        outcome: 'open',
        result: undefined,
      };
      updateById.set(request?.meta?.updateId ?? '', update);
      record.updates.push(update);
    }
    const updated = event.workflowExecutionUpdateCompletedEventAttributes;
    if (updated) {
      const update = updateById.get(updated.meta?.updateId ?? '');
      if (update) {
        update.outcome = updated.outcome?.success ? 'completed' : 'failed';
        update.result = decode(updated.outcome?.success?.payloads as Payload[]);
        update.eventId = Number(event.eventId);
      }
    }
    const child = event.startChildWorkflowExecutionInitiatedEventAttributes;
    // initiated, not started: a start that met a running rotation (the fleet attaches to it) counts too
    if (child) record.childStarts.push({ workflowId: child.workflowId ?? '', eventId: Number(event.eventId) });
    const memoApprovals = event.workflowPropertiesModifiedEventAttributes?.upsertedMemo?.fields?.[MEMO_KEYS.approvals];
    if (memoApprovals) record.memoApprovals = decode<Approval[]>([memoApprovals as Payload]) ?? [];
    const upsert = event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields;
    const phase = upsert?.RotationPhase;
    if (phase && decode<string>([phase as Payload]) === 'Compensating') record.compensated = true;
    const done = event.workflowExecutionCompletedEventAttributes;
    if (done) record.result = decode(done.result?.payloads as Payload[]) ?? null;
  }
  return record;
}

/** JSON with payload bytes decoded, so a token inside a payload would show */
export function asText(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : typeof v === 'bigint' ? String(v) : v);
}

export const completedActivities = (run: RunRecord, type: string): unknown[] =>
  run.activities.filter((a) => a.type === type && a.completed).map((a) => a.result);

export const snapshotsOf = (run: RunRecord): ClusterSnapshot[] => [
  ...(completedActivities(run, 'snapshotCluster') as ClusterSnapshot[]),
  ...(run.input.resume?.snapshot ? [run.input.resume.snapshot] : []),
];
