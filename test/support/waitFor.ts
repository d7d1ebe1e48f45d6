// Polls until a condition holds, for tests that watch the simulator's background work (rollouts, token
// controller, kubeconfig readiness) happen in real time.
import assert from 'node:assert/strict';

/** reads until `ok` accepts the value, then returns it; fails with the last value after `timeoutMs` */
export async function waitFor<T>(what: string, read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 10_000, intervalMs = 10): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}: ${JSON.stringify(value)?.slice(0, 600)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
