// What the Linode adapter knows of the activity it runs in: a count of its requests by endpoint,
// and a way to keep the activity alive while a request waits for the budget. The worker's activity
// interceptor (worker/linodeCallCounts.ts) opens this scope around each execution; the count goes
// back to the workflow with the activity's result, so a rotation's report says how many requests it
// cost, summed across worker processes.
import { AsyncLocalStorage } from 'node:async_hooks';

export type LinodeCallCounts = Record<string, number>;

interface ActivityScope {
  counts: Map<string, number>;
  /** heartbeats again with the activity's latest details: a wait for the budget is not a dead worker */
  keepAlive?: () => void;
}

const current = new AsyncLocalStorage<ActivityScope>();

/** Runs `fn`, counting the Linode requests made inside it. */
export async function countingLinodeCalls<T>(fn: () => Promise<T>, keepAlive?: () => void): Promise<{ result: T; counts: LinodeCallCounts }> {
  const counts = new Map<string, number>();
  const result = await current.run({ counts, ...(keepAlive ? { keepAlive } : {}) }, fn);
  return { result, counts: Object.fromEntries(counts) };
}

/** One request to `endpoint`, in the count of the activity it is made in (outside one: not counted). */
export function countLinodeCall(endpoint: string): void {
  const counts = current.getStore()?.counts;
  if (counts) counts.set(endpoint, (counts.get(endpoint) ?? 0) + 1);
}

/** The running activity's keep-alive, if a request is made inside one. */
export function activityKeepAlive(): (() => void) | undefined {
  return current.getStore()?.keepAlive;
}
