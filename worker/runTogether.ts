// The workers of one process (the rotation worker and the Linode worker) live and die together.
import type { Worker } from '@temporalio/worker';

/** Runs the workers of one process together: when one stops with an error, the others are shut down. */
export async function runTogether(workers: Worker[]): Promise<void> {
  const stopOthers = (err: unknown): never => {
    for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
    throw err;
  };
  const outcomes = await Promise.allSettled(workers.map((worker) => worker.run().catch(stopOthers)));
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed) throw failed.reason;
}
