// GET /kubeconfig around a regenerate, over HTTP as the rotator reads it: by default 503 until the new
// one is ready; with delays.staleKubeconfigMs, first the kubeconfig from before the regenerate (its old
// token), as LKE was seen to serve it; and a kubeconfig whose token Secret was deleted answers 401.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SERVICE_ACCOUNT_TOKEN_TYPE } from '../common/names.js';
import { KUBE_SYSTEM } from '../common/lke.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../sim/index.js';
import { clientsWithToken, fetchKubeconfig, regenerate, statusOf, type ServedKubeconfig } from './support/simLinode.js';
import { waitFor } from './support/waitFor.js';

const TIME_SCALE = 0.005;

async function withSim(options: SimulatorOptions, fn: (sim: Simulator, id: number) => Promise<void>): Promise<void> {
  const sim = await startSimulator({ clusters: 1, seed: 31, timeScale: TIME_SCALE, rateLimit: false, ...options });
  try {
    await fn(sim, sim.state.list()[0].cluster.id);
  } finally {
    await sim.stop();
  }
}

/** what GET /kubeconfig serves at each poll until `until` holds, collapsed to the phases seen: old, 503, new */
async function phases(sim: Simulator, id: number, oldToken: string, until: (served: ServedKubeconfig) => boolean):
  Promise<{ phases: string[]; firstChangeAfterMs: number }> {
  const seen: string[] = [];
  const start = Date.now();
  let firstChangeAfterMs = -1;
  await waitFor('the new kubeconfig', async () => {
    const served = await fetchKubeconfig(sim, id);
    const phase = served.status !== 200 ? String(served.status) : served.token === oldToken ? 'old' : 'new';
    if (seen.at(-1) !== phase) seen.push(phase);
    if (phase !== 'old' && firstChangeAfterMs < 0) firstChangeAfterMs = Date.now() - start;
    return served;
  }, until, 10_000, 5);
  return { phases: seen, firstChangeAfterMs };
}

describe('GET /kubeconfig after a regenerate', () => {
  test('by default: 503 at once, then the new kubeconfig', () => withSim({}, async (sim, id) => {
    const old = (await fetchKubeconfig(sim, id)).token!;
    await regenerate(sim, id);
    const seen = await phases(sim, id, old, (served) => served.status === 200);
    assert.deepEqual(seen.phases, ['503', 'new']);
  }));

  test('staleKubeconfigMs: the old kubeconfig for that window (simulated time), then 503, then the new one', () =>
    withSim({ delays: { staleKubeconfigMs: 60_000, kubeconfigReadyMs: 120_000 }, tokenCacheMs: 0 }, async (sim, id) => {
      const before = await fetchKubeconfig(sim, id);
      await regenerate(sim, id);
      const during = await fetchKubeconfig(sim, id);
      assert.equal(during.status, 200);
      assert.equal(during.yaml, before.yaml, 'the very kubeconfig from before the regenerate');
      const seen = await phases(sim, id, before.token!, (served) => served.status === 200 && served.token !== before.token);
      assert.deepEqual(seen.phases, ['old', '503', 'new']);
      const windowMs = 60_000 * TIME_SCALE;
      assert.ok(seen.firstChangeAfterMs >= windowMs - 50, `old one served for ${seen.firstChangeAfterMs} ms, window ${windowMs} ms`);

      // LKE's regenerate replaced the token Secrets meanwhile: the stale kubeconfig's token is dead
      assert.equal(await statusOf(clientsWithToken(sim, id, before.token!).core.listNode()), 401);
    }));

  test('staleKubeconfigMs longer than the wait for the new one: the old one until the window ends, then the new one', () =>
    withSim({ delays: { staleKubeconfigMs: 150_000, kubeconfigReadyMs: 60_000 } }, async (sim, id) => {
      const old = (await fetchKubeconfig(sim, id)).token!;
      await regenerate(sim, id);
      const seen = await phases(sim, id, old, (served) => served.status === 200 && served.token !== old);
      assert.deepEqual(seen.phases, ['old', 'new']);
    }));

  test('a regenerate without a stale window ends an earlier one: the old kubeconfig is not served forever', () =>
    withSim({ delays: { staleKubeconfigMs: 60_000, kubeconfigReadyMs: 20_000 }, tokenCacheMs: 0 }, async (sim, id) => {
      const before = await fetchKubeconfig(sim, id);
      await regenerate(sim, id);
      assert.equal((await fetchKubeconfig(sim, id)).token, before.token, 'the stale window is open');
      // found by the safety test: the window's timer belonged to the first regenerate, so a second
      // regenerate with no window of its own left the stale kubeconfig in place for good
      sim.state.delays.staleKubeconfigMs = 0;
      await regenerate(sim, id);
      const seen = await phases(sim, id, before.token!, (served) => served.status === 200 && served.token !== before.token);
      assert.deepEqual(seen.phases, ['503', 'new']);
    }));

  test('the guide\'s order (delete the token Secrets, then regenerate): the stale kubeconfig answers 401', () =>
    withSim({ delays: { staleKubeconfigMs: 60_000 } }, async (sim, id) => {
      const old = (await fetchKubeconfig(sim, id)).token!;
      const asOld = clientsWithToken(sim, id, old);
      await asOld.core.deleteCollectionNamespacedSecret({ namespace: KUBE_SYSTEM, fieldSelector: `type=${SERVICE_ACCOUNT_TOKEN_TYPE}` });
      await regenerate(sim, id);
      assert.equal((await fetchKubeconfig(sim, id)).token, old, 'still served');
      // refused once the apiserver's token cache (10 s simulated, 50 ms here) lets go of it
      await waitFor('the old token refused', () => statusOf(asOld.core.listNode()), (status) => status === 401, 5_000);
    }));
});

describe('a kubeconfig whose token Secret was deleted', () => {
  test('answers 401 once the token cache lets go of it, and the Secret is not recreated without a regenerate', () =>
    withSim({}, async (sim, id) => {
      const served = await fetchKubeconfig(sim, id);
      const admin = clientsWithToken(sim, id, served.token!);
      const [adminSecret] = sim.state.kube(id)!.tokenSecrets(KUBE_SYSTEM)
        .filter((s) => s.metadata.annotations?.['kubernetes.io/service-account.name'] === 'lke-admin');
      await admin.core.deleteNamespacedSecret({ name: adminSecret.metadata.name, namespace: KUBE_SYSTEM });
      await waitFor('401', () => statusOf(admin.core.listNode()), (status) => status === 401, 5_000);
      assert.equal((await fetchKubeconfig(sim, id)).token, served.token, 'LKE still serves the dead kubeconfig');
      assert.equal(await statusOf(clientsWithToken(sim, id, (await fetchKubeconfig(sim, id)).token!).core.listNode()), 401);
    }));
});
