// Polls a cluster rotation's `status` Query until a condition holds: the tests' way to wait for a
// phase, a gate or a step without sleeping for a guessed time.
import type { Client } from '@temporalio/client';
import { getRotationStatus } from '../../client/index.js';
import type { RotationStatus } from '../../common/types.js';

export async function waitForRotationStatus(
  client: Client, clusterId: number, ready: (s: RotationStatus) => boolean, what: string, timeoutMs = 15_000,
): Promise<RotationStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: RotationStatus | undefined;
  while (Date.now() < deadline) {
    try {
      last = await getRotationStatus(client, clusterId);
      if (ready(last)) return last;
    } catch {
      // the first workflow task may not have run yet
    }
    await new Promise((r) => setTimeout(r, 40));
  }
  throw new Error(`cluster ${clusterId}: timed out waiting for ${what}; last phase ${last?.phase}, last error ${last?.lastError?.message ?? 'none'}`);
}
