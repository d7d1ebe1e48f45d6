// Reading a workflow's latest run: its description, and Queries that never hang a caller on a
// missing worker.
import { WorkflowNotFoundError, type Client, type Connection, type WorkflowExecutionDescription } from '@temporalio/client';
import type { RunView } from './views.js';

/** A status Query needs a worker (to replay a closed run); do not wait longer than this for one. */
export const QUERY_DEADLINE_MS = 5_000;

/** The latest run of a workflow id, or null when there never was one. */
export async function describeLatest(client: Client, workflowId: string): Promise<WorkflowExecutionDescription | null> {
  try {
    return await client.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
}

/**
 * A Query's answer, or null when no worker answered in time: within QUERY_DEADLINE_MS, and never
 * past a deadline the caller already set (client.withDeadline), so a bounded request stays bounded.
 */
export function answerInTime<S>(client: Client, query: () => Promise<S>): Promise<S | null> {
  // a Connection keeps the deadline in its call context; other ConnectionLikes may not have one
  const context = (client.connection as Partial<Pick<Connection, 'callContextStorage'>>).callContextStorage;
  const outer = context?.getStore()?.deadline;
  const own = Date.now() + QUERY_DEADLINE_MS;
  const deadline = outer === undefined ? own : Math.min(own, new Date(outer).getTime());
  return client.withDeadline(deadline, query).catch(() => null);
}

/**
 * The latest run of a workflow id with its status, or null when there never was one. `statusOf`
 * gets the run's description, so it can read a finished run's result instead of asking a worker.
 */
export async function latestRunView<S>(
  client: Client, workflowId: string, statusOf: (run: WorkflowExecutionDescription) => Promise<S | null>,
): Promise<RunView<S> | null> {
  const description = await describeLatest(client, workflowId);
  if (!description) return null;
  return {
    workflowId: description.workflowId,
    runId: description.runId,
    execution: description.status.name,
    status: await statusOf(description),
  };
}
