// Kubeconfigs that would weaken or escape the worker are refused wherever one is read or handed to
// the Kubernetes client (activities/kubeconfig/parse.ts, activities/kube/adapter.ts): TLS
// verification off, a user exec command, an auth-provider plugin. The failure is non-retryable,
// names the field and never its content. Unit tests, then the live activities against the
// simulator serving such a kubeconfig.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';
import { compose } from '../activities/compose.js';
import { createActivities } from '../activities/index.js';
import { createKubePort } from '../activities/kube/adapter.js';
import { adminTokenOf, kubeconfigFingerprint } from '../activities/kubeconfig/parse.js';
import { FailureType, NON_RETRYABLE_FAILURE_TYPES } from '../common/failures.js';
import { Secret } from '../config/config.js';
import { withSimulator } from './support/sim.js';
import { assertNoToken, issuedTokens } from './support/liveAdapters.js';

const TOKEN = 'secret-admin-token-value';
const COMMAND = '/usr/bin/steal-credentials';

function kubeconfig(extras: { cluster?: Record<string, unknown>; user?: Record<string, unknown> } = {}): string {
  return stringify({
    apiVersion: 'v1', kind: 'Config',
    clusters: [{ name: 'lke1', cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority-data': 'Y2E=', ...extras.cluster } }],
    users: [{ name: 'lke1-admin', user: { token: TOKEN, ...extras.user } }],
    contexts: [{ name: 'lke1-ctx', context: { cluster: 'lke1', user: 'lke1-admin' } }],
    'current-context': 'lke1-ctx',
  });
}

const UNSAFE: [string, Parameters<typeof kubeconfig>[0], string][] = [
  ['TLS verification off', { cluster: { 'insecure-skip-tls-verify': true } }, 'clusters[0].cluster.insecure-skip-tls-verify'],
  ['a user exec command', { user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: COMMAND } } }, 'users[0].user.exec'],
  ['an auth-provider plugin', { user: { 'auth-provider': { name: 'oidc', config: { 'client-secret': COMMAND } } } }, 'users[0].user.auth-provider'],
];

/** The refusal: UnsafeKubeconfig, non-retryable, naming `field`, without the token or the command. */
function refusedFor(field: string) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof ApplicationFailure, String(err));
    assert.equal(err.type, FailureType.unsafeKubeconfig);
    assert.equal(err.nonRetryable, true);
    assert.ok(err.message.includes(field), err.message);
    assert.ok(!err.message.includes(TOKEN) && !err.message.includes(COMMAND), 'the content stays out of the message');
    return true;
  };
}

describe('unsafe kubeconfigs are refused', () => {
  test('reading the token and creating the Kubernetes client both refuse each unsafe field', () => {
    assert.equal(adminTokenOf(kubeconfig()), TOKEN, 'a plain LKE-shaped kubeconfig is fine');
    assert.equal(adminTokenOf(kubeconfig({ cluster: { 'insecure-skip-tls-verify': false } })), TOKEN, 'explicitly off is fine');
    for (const [what, extras, field] of UNSAFE) {
      assert.throws(() => kubeconfigFingerprint(kubeconfig(extras)), refusedFor(field), what);
      assert.throws(() => createKubePort(kubeconfig(extras)), refusedFor(field), what);
    }
    const all = kubeconfig({ cluster: { 'insecure-skip-tls-verify': true }, user: { exec: { command: COMMAND } } });
    assert.throws(() => adminTokenOf(all), refusedFor('clusters[0].cluster.insecure-skip-tls-verify, users[0].user.exec'));
    assert.ok(NON_RETRYABLE_FAILURE_TYPES.includes(FailureType.unsafeKubeconfig), 'the workflow does not retry it either');
  });

  test('live activities: snapshot refuses the kubeconfig the simulator serves, and caches nothing', async () => {
    await withSimulator({ clusters: 1, timeScale: 0.001, seed: 3, rateLimit: false }, async (sim) => {
      const dir = await mkdtemp(join(tmpdir(), 'unsafe-kubeconfig-'));
      try {
        const deps = compose({ linode: { apiUrl: sim.linodeApiUrl, token: new Secret(sim.linodeToken) }, kubeconfigDir: dir })
          .activityDeps();
        const activities = createActivities(deps);
        const simCluster = sim.state.list()[0];
        const clusterId = simCluster.cluster.id;
        const env = () => new MockActivityEnvironment({ startToCloseTimeoutMs: 60_000 }, { logger: new DefaultLogger('ERROR') });
        for (const [what, extras, field] of UNSAFE) {
          simCluster.kubeconfigExtras = extras;
          await assert.rejects(env().run(activities.snapshotCluster, { clusterId, restartScope: 'none' as const }), (err: unknown) => {
            assertNoToken(issuedTokens(sim), err);
            return refusedFor(field)(err);
          }, what);
        }
        assert.deepEqual(await readdir(dir).catch(() => []), [], 'no refused kubeconfig reached the cache or the sink');
        simCluster.kubeconfigExtras = undefined;
        const snapshot = await env().run(activities.snapshotCluster, { clusterId, restartScope: 'none' as const }) as { clusterId: number };
        assert.equal(snapshot.clusterId, clusterId, 'the same cluster with an LKE-shaped kubeconfig is fine');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
});
