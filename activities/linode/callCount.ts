// Linode requests counted per activity execution, by endpoint: the worker's activity interceptor
// (worker/linodeCallCounts.ts) opens a count around each execution, and every request the Linode
// adapter sends inside it adds one. The count goes back to the workflow with the activity's result,
// so a rotation's report says how many requests it cost, summed across worker processes.
import { AsyncLocalStorage } from 'node:async_hooks';

export type LinodeCallCounts = Record<string, number>;

const current = new AsyncLocalStorage<Map<string, number>>();

/** Runs `fn`, counting the Linode requests made inside it. */
export async function countingLinodeCalls<T>(fn: () => Promise<T>): Promise<{ result: T; counts: LinodeCallCounts }> {
  const counts = new Map<string, number>();
  const result = await current.run(counts, fn);
  return { result, counts: Object.fromEntries(counts) };
}

/** One request to `endpoint`, in the count of the activity it is made in (outside one: not counted). */
export function countLinodeCall(endpoint: string): void {
  const counts = current.getStore();
  if (counts) counts.set(endpoint, (counts.get(endpoint) ?? 0) + 1);
}
