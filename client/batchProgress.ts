// Live per-item progress of a rotation's running batch (restartWorkloads, recycleNodes). The batch
// keeps it in its heartbeat details, not in history (so history stays constant in cluster size); the
// workflow's `status` Query learns the items' results when the batch answers. Readers (the API, the
// CLI) add the live part from the run's pending activity, as Temporal Web shows it.
import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import type { BatchProgress } from '../common/types.js';
import { decodeFirstPayload } from './payloads.js';

const BATCHES = new Set(['restartWorkloads', 'recycleNodes']);

interface HeartbeatDetails { done?: Record<string, unknown>; inFlight?: unknown; current?: { nodeId?: unknown } }

export async function batchProgressOf(client: Client, run: WorkflowExecutionDescription): Promise<BatchProgress | undefined> {
  const pending = run.raw.pendingActivities?.find((a) => BATCHES.has(a.activityType?.name ?? ''));
  if (!pending) return undefined;
  let details: HeartbeatDetails | undefined;
  try {
    details = await decodeFirstPayload<HeartbeatDetails>(client, pending.heartbeatDetails?.payloads);
  } catch {
    details = undefined;
  }
  const inFlight = Array.isArray(details?.inFlight) ? details.inFlight.filter((i): i is string => typeof i === 'string')
    : typeof details?.current?.nodeId === 'string' ? [details.current.nodeId] : [];
  const seconds = Number(pending.lastHeartbeatTime?.seconds ?? 0);
  return {
    activity: pending.activityType?.name as BatchProgress['activity'],
    attempt: pending.attempt ?? 1,
    lastHeartbeatAt: seconds > 0 ? new Date(seconds * 1000).toISOString() : null,
    done: Object.keys(details?.done ?? {}),
    inFlight,
  };
}
