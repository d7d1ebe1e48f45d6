// What the tests of the real adapters against the simulator share: a Linode port on a simulator,
// the served kubeconfig, and the check that no token the simulator issued leaks anywhere.
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { createLinodePort } from '../../activities/linode/adapter.js';
import type { LinodePort } from '../../activities/ports.js';
import type { Simulator } from '../../sim/index.js';

export const RETRY_AFTER_SCALE = 0.001;

export function linodeFor(sim: Simulator): LinodePort {
  return createLinodePort({ apiUrl: sim.linodeApiUrl, token: sim.linodeToken, retryAfterScale: RETRY_AFTER_SCALE });
}

export async function kubeconfigOf(linode: LinodePort, clusterId: number): Promise<string> {
  const fetched = await linode.getKubeconfig(clusterId);
  assert.equal(fetched.status, 'ready');
  return fetched.kubeconfig;
}

/** Every token the simulator has issued so far: the Linode token and each token Secret's data.token. */
export function issuedTokens(sim: Simulator, into = new Set<string>()): Set<string> {
  into.add(sim.linodeToken);
  for (const { cluster } of sim.state.list()) {
    const kube = sim.state.kube(cluster.id)!;
    into.add(kube.adminToken());
    for (const secret of kube.tokenSecrets()) {
      const encoded = (secret.data as { token?: string } | undefined)?.token;
      if (encoded) into.add(Buffer.from(encoded, 'base64').toString('utf8'));
    }
  }
  return into;
}

export function assertNoToken(tokens: Set<string>, ...values: unknown[]): void {
  const text = JSON.stringify(values, (_k, v: unknown) =>
    (v instanceof Error ? { message: v.message, stack: v.stack, type: (v as ApplicationFailure).type } : v));
  for (const token of tokens) assert.ok(!text.includes(token), 'a token leaked into an error, result or log');
}
