// The activities against in-memory fakes of their ports: idempotency (run twice), 404-as-done, uid
// conflicts, heartbeat resume and cancellation in Temporal's MockActivityEnvironment. The fakes model
// just enough of LKE: token Secrets back the tokens the fake apiserver accepts, regenerate mints new
// ones, recycles replace instances over polls, rollouts advance over polls.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger, type LogEntry } from '@temporalio/worker';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { createActivities, type ActivityDeps } from '../activities/index.js';
import { createDirectorySink } from '../activities/sink.js';
import { createKubeconfigCache } from '../activities/cache.js';
import { FailureType, kubeFailure, linodeFailure, nonRetryable, retryAfterDelayMs } from '../activities/errors.js';
import { kubeconfigFingerprint, tokenFingerprint } from '../activities/kubeconfig.js';
import { rolloutStatus } from '../activities/rollout.js';
import type {
  DeploymentState, KubePort, KubeconfigFetch, LinodePort, TokenSecretInfo, WorkloadState,
} from '../activities/ports.js';
import type { KubeNodeRef, LkeCluster, LkePool, LkePoolNode, WorkloadRef } from '../common/types.js';
import { rejection } from './support/failures.js';
import { LKE_TOKEN_SERVICE_ACCOUNTS } from '../common/lke.js';

// ---------------------------------------------------------------------------------------------
// Fakes

const CLUSTER_ID = 7;

function kubeconfigFor(token: string): string {
  return [
    'apiVersion: v1', 'kind: Config', 'current-context: lke7-ctx', 'preferences: {}',
    'clusters:', '- name: lke7', '  cluster:', '    server: https://fake.example:443',
    '    certificate-authority-data: Zm9v',
    'contexts:', '- name: lke7-ctx', '  context:', '    cluster: lke7', '    user: lke7-admin', '    namespace: default',
    'users:', '- name: lke7-admin', '  user:', `    token: ${token}`, '',
  ].join('\n');
}

interface FakeSecret { namespace: string; name: string; uid: string; serviceAccount: string; token: string; created: string }

const SERVICE_ACCOUNTS = LKE_TOKEN_SERVICE_ACCOUNTS;

class FakeLke {
  secrets: FakeSecret[] = [];
  nodes: (KubeNodeRef & { instanceId: number })[] = [];
  poolNodes: LkePoolNode[] = [];
  workloads = new Map<string, WorkloadState>();
  /** what GET /kubeconfig answers next: a queue of outcomes, then `kubeconfig` */
  kubeconfigScript: ('notReady' | 'old')[] = [];
  kubeconfig: string;
  previousKubeconfig: string | null = null;
  /** tokens the fake apiserver rejects with 401 for this many more checks (control plane restarting) */
  newTokenWarmup = 0;
  /** token Secrets for non-admin service accounts appear after this many more lists */
  secretsRecreateAfterLists = 0;
  pendingSecrets: FakeSecret[] = [];
  /** a deleted token stays valid for this many more checks (the apiserver's token cache) */
  tokenCacheChecks = 0;
  cachedTokens = new Map<string, number>();
  calls: string[] = [];
  deleteOrder: string[] = [];
  recycleSteps = new Map<string, number>();
  nextInstance = 9000;
  rollouts = new Map<string, number>();
  transientFailures: { op: string; remaining: number; failure: () => ApplicationFailure }[] = [];
  private uidCounter = 0;

  constructor() {
    for (const sa of SERVICE_ACCOUNTS) this.addSecret(sa);
    this.kubeconfig = kubeconfigFor(this.adminToken());
    for (let i = 0; i < 3; i++) {
      const instanceId = 1000 + i;
      this.poolNodes.push({ id: `11-${i.toString(16).padStart(4, '0')}`, instance_id: instanceId, status: 'ready' });
      this.nodes.push({ name: `lke7-11-node${i}`, providerID: `linode://${instanceId}`, ready: true, instanceId });
    }
    this.addWorkload({
      kind: 'Deployment', namespace: 'app', name: 'web', generation: 1, observedGeneration: 1, restartedAt: null,
      paused: false, specReplicas: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2, progressDeadlineExceeded: false,
    });
  }

  uid(): string { return `uid-${++this.uidCounter}`; }

  addSecret(serviceAccount: string): FakeSecret {
    const secret = {
      namespace: 'kube-system', name: `${serviceAccount}-token-${randomBytes(3).toString('hex')}`, uid: this.uid(),
      serviceAccount, token: `tok-${randomBytes(16).toString('hex')}`, created: new Date().toISOString(),
    };
    this.secrets.push(secret);
    return secret;
  }

  adminToken(): string { return this.secrets.find((s) => s.serviceAccount === 'lke-admin')!.token; }

  addWorkload(state: WorkloadState): void { this.workloads.set(`${state.kind}/${state.namespace}/${state.name}`, state); }

  failNext(op: string, remaining: number, failure: () => ApplicationFailure): void {
    this.transientFailures.push({ op, remaining, failure });
  }

  maybeFail(op: string): void {
    const rule = this.transientFailures.find((r) => r.op === op && r.remaining > 0);
    if (rule) { rule.remaining--; throw rule.failure(); }
  }

  tokenValid(token: string): boolean {
    if (this.secrets.some((s) => s.token === token)) return true;
    const left = this.cachedTokens.get(token) ?? 0;
    if (left > 0) { this.cachedTokens.set(token, left - 1); return true; }
    return false;
  }

  regenerate(): void {
    this.calls.push('regenerate');
    const admin = this.addSecret('lke-admin');
    this.previousKubeconfig = this.kubeconfig;
    this.kubeconfig = kubeconfigFor(admin.token);
    for (const sa of SERVICE_ACCOUNTS.filter((s) => s !== 'lke-admin')) {
      const secret = this.addSecret(sa);
      this.secrets = this.secrets.filter((s) => s !== secret);
      this.pendingSecrets.push(secret);
    }
  }

  linode(): LinodePort {
    const cluster: LkeCluster = {
      id: CLUSTER_ID, label: 'shop prod', region: 'us-iad', k8s_version: '1.31', status: 'ready', tier: 'standard',
      tags: ['prod'], control_plane: { high_availability: false }, created: '2025-01-01T00:00:00', updated: '2025-01-01T00:00:00',
    };
    const notFound = (what: string): ApplicationFailure => nonRetryable(FailureType.linodeNotFound, `${what}: Linode API 404 Not found`);
    return {
      getCluster: async (id) => { if (id !== CLUSTER_ID) throw notFound(`GET cluster ${id}`); return cluster; },
      listClusters: async () => ({ data: [cluster], page: 1, pages: 1, results: 1 }),
      listPools: async (): Promise<LkePool[]> => [{
        id: 11, type: 'g6-standard-2', count: this.poolNodes.length, nodes: this.poolNodes.map((n) => ({ ...n })), tags: [],
        disks: [], autoscaler: { enabled: false, min: 1, max: 1 },
      }],
      getKubeconfig: async (): Promise<KubeconfigFetch> => {
        this.calls.push('getKubeconfig');
        this.maybeFail('getKubeconfig');
        const next = this.kubeconfigScript.shift();
        if (next === 'notReady') return { status: 'notReady' };
        if (next === 'old') return { status: 'ready', kubeconfig: this.previousKubeconfig! };
        return { status: 'ready', kubeconfig: this.kubeconfig };
      },
      regenerate: async (_id, request) => {
        assert.deepEqual(request, { kubeconfig: true, servicetoken: true });
        this.regenerate();
      },
      deleteServiceToken: async () => { this.calls.push('deleteServiceToken'); },
      deleteKubeconfig: async () => { this.calls.push('deleteKubeconfig'); },
      recycleNode: async (_id, nodeId) => {
        this.calls.push(`recycle ${nodeId}`);
        const node = this.poolNodes.find((n) => n.id === nodeId);
        if (!node) throw notFound(`POST recycle ${nodeId}`);
        this.recycleSteps.set(nodeId, 0);
      },
      getNode: async (_id, nodeId) => {
        this.maybeFail('getNode');
        const node = this.poolNodes.find((n) => n.id === nodeId);
        if (!node) throw notFound(`GET node ${nodeId}`);
        this.advanceRecycle(node);
        return { ...node };
      },
    };
  }

  /** a recycle: instance gone, then a new one not ready, then ready, then its Kubernetes Node Ready */
  private advanceRecycle(node: LkePoolNode): void {
    const step = this.recycleSteps.get(node.id);
    if (step === undefined) return;
    this.recycleSteps.set(node.id, step + 1);
    const index = this.poolNodes.indexOf(node);
    if (step === 0) {
      this.nodes = this.nodes.filter((n) => n.instanceId !== node.instance_id);
      node.instance_id = null;
      node.status = 'not_ready';
    } else if (step === 1) {
      node.instance_id = this.nextInstance++;
      this.nodes.push({ name: `lke7-11-node${index}`, providerID: `linode://${node.instance_id}`, ready: false, instanceId: node.instance_id });
    } else if (step === 2) {
      node.status = 'ready';
    } else {
      const kubeNode = this.nodes.find((n) => n.instanceId === node.instance_id);
      if (kubeNode) kubeNode.ready = true;
      this.recycleSteps.delete(node.id);
    }
  }

  kube(kubeconfigYaml: string): KubePort {
    const token = /token: (\S+)/.exec(kubeconfigYaml)![1];
    const authorize = (action: string): void => {
      if (!this.tokenValid(token)) throw nonRetryable(FailureType.kubeUnauthorized, `${action}: Kubernetes API 401 Unauthorized`);
    };
    const workloadKey = (ref: WorkloadRef): string => `${ref.kind}/${ref.namespace}/${ref.name}`;
    return {
      listTokenSecrets: async (namespace): Promise<TokenSecretInfo[]> => {
        authorize('list secrets');
        if (this.pendingSecrets.length > 0 && this.secretsRecreateAfterLists-- <= 0) {
          this.secrets.push(...this.pendingSecrets);
          this.pendingSecrets = [];
        }
        return this.secrets.filter((s) => s.namespace === namespace).map(({ token: t, ...ref }) => ({
          ...ref, tokenFingerprint: tokenFingerprint(t),
        }));
      },
      deleteSecret: async (namespace, name, uid) => {
        authorize(`delete secret ${name}`);
        this.maybeFail('deleteSecret');
        const secret = this.secrets.find((s) => s.namespace === namespace && s.name === name);
        if (!secret) return 'notFound';
        if (secret.uid !== uid) return 'conflict';
        this.secrets = this.secrets.filter((s) => s !== secret);
        if (this.tokenCacheChecks > 0) this.cachedTokens.set(secret.token, this.tokenCacheChecks);
        this.deleteOrder.push(secret.serviceAccount);
        return 'deleted';
      },
      listNodes: async () => {
        authorize('list nodes');
        return this.nodes.map(({ name, providerID, ready }) => ({ name, providerID, ready }));
      },
      listWorkloads: async (scope) => {
        authorize('list workloads');
        if (scope === 'none') return [];
        return [...this.workloads.values()]
          .filter((w) => scope === 'all' || (scope === 'kube-system' ? w.namespace === 'kube-system' : scope.namespaces.includes(w.namespace)))
          .map(({ kind, namespace, name }) => ({ kind, namespace, name }));
      },
      getWorkload: async (ref) => {
        authorize('get workload');
        const state = this.workloads.get(workloadKey(ref));
        if (!state) throw nonRetryable(FailureType.kubeNotFound, `${ref.name}: Kubernetes API 404 NotFound`);
        this.advanceRollout(state);
        return { ...state };
      },
      patchRestartedAt: async (ref, restartedAt) => {
        authorize('patch');
        this.calls.push(`patch ${ref.name}`);
        const state = this.workloads.get(workloadKey(ref))!;
        state.restartedAt = restartedAt;
        state.generation++;
        this.rollouts.set(workloadKey(ref), 0);
      },
      checkAccess: async () => {
        if (this.newTokenWarmup > 0 && token === this.adminToken()) { this.newTokenWarmup--; return 'unauthorized'; }
        return this.tokenValid(token) ? 'ok' : 'unauthorized';
      },
    };
  }

  /** a Deployment rollout: observed, then one replica updated, then all updated and available */
  private advanceRollout(state: WorkloadState): void {
    const key = `${state.kind}/${state.namespace}/${state.name}`;
    const step = this.rollouts.get(key);
    if (step === undefined || state.kind !== 'Deployment') return;
    this.rollouts.set(key, step + 1);
    const d = state as DeploymentState;
    if (step === 0) { d.updatedReplicas = 0; d.replicas = d.specReplicas; d.availableReplicas = d.specReplicas; return; }
    d.observedGeneration = d.generation;
    if (step === 1) { d.updatedReplicas = 1; d.replicas = d.specReplicas + 1; d.availableReplicas = 1; return; }
    d.updatedReplicas = d.specReplicas; d.replicas = d.specReplicas; d.availableReplicas = d.specReplicas;
    this.rollouts.delete(key);
  }

  allTokens(): string[] {
    return [...this.secrets, ...this.pendingSecrets].map((s) => s.token);
  }
}

/** MockActivityEnvironment.run infers its input type from the argument, widening literals; pin it to the activity's. */
interface TypedEnvironment {
  run<I, O>(fn: (input: I) => Promise<O>, input: I): Promise<O>;
  cancel: MockActivityEnvironment['cancel'];
}

interface Harness {
  lke: FakeLke;
  deps: ActivityDeps;
  activities: ReturnType<typeof createActivities>;
  dir: string;
  logs: LogEntry[];
  heartbeats: unknown[];
  env: (heartbeatDetails?: unknown, info?: { startToCloseTimeoutMs: number }) => TypedEnvironment;
  issuedTokens: Set<string>;
  cleanup: () => Promise<void>;
}

async function harness(overrides: Partial<ActivityDeps> = {}): Promise<Harness> {
  const lke = new FakeLke();
  const dir = await mkdtemp(join(tmpdir(), 'activities-test-'));
  const logs: LogEntry[] = [];
  const heartbeats: unknown[] = [];
  const issuedTokens = new Set<string>(lke.allTokens());
  const deps: ActivityDeps = {
    linode: lke.linode(),
    kube: (yaml) => lke.kube(yaml),
    sink: createDirectorySink(join(dir, 'kubeconfigs')),
    kubeconfigCache: createKubeconfigCache(),
    pollIntervalMs: 1,
    tokenCacheWindowMs: 200,
    recycleResendAfterMs: 50,
    ...overrides,
  };
  const logger = new DefaultLogger('TRACE', (entry) => { logs.push(entry); });
  return {
    lke, deps, dir, logs, heartbeats, issuedTokens,
    activities: createActivities(deps),
    env: (heartbeatDetails?: unknown, info = { startToCloseTimeoutMs: 60_000 }) => {
      const env = new MockActivityEnvironment({ heartbeatDetails, ...info }, { logger });
      env.on('heartbeat', (d: unknown) => heartbeats.push(d));
      return { run: (fn, input) => env.run(fn, input), cancel: (reason) => env.cancel(reason) };
    },
    cleanup: async () => {
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** No token the fake ever issued appears in any value (results, errors, logs, heartbeats). */
function assertNoSecrets(h: Harness, ...values: unknown[]): void {
  for (const t of h.lke.allTokens()) h.issuedTokens.add(t);
  const text = JSON.stringify([values, h.logs.map((l) => [l.message, l.meta]), h.heartbeats],
    (_k, v: unknown) => (v instanceof Error ? { message: v.message, stack: v.stack } : v));
  for (const token of h.issuedTokens) assert.ok(!text.includes(token), 'a token leaked');
  assert.ok(!text.includes('certificate-authority-data'), 'a kubeconfig leaked');
}


const sha16 = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 16);

// ---------------------------------------------------------------------------------------------

describe('snapshotCluster', () => {
  test('records references and the admin token fingerprint, never a token', async () => {
    const h = await harness();
    const snapshot = await h.env().run(h.activities.snapshotCluster, { clusterId: CLUSTER_ID, restartScope: 'all' });
    assert.equal(snapshot.label, 'shop prod');
    assert.equal(snapshot.adminTokenFingerprint, sha16(h.lke.adminToken()));
    assert.deepEqual(snapshot.tokenSecrets.map((s) => s.serviceAccount).sort(), [...SERVICE_ACCOUNTS].sort());
    assert.ok(snapshot.tokenSecrets.every((s) => !('tokenFingerprint' in s)));
    assert.equal(snapshot.nodes.length, 3);
    assert.deepEqual(snapshot.poolNodes.map((n) => n.instanceId), [1000, 1001, 1002]);
    assert.deepEqual(snapshot.workloads, [{ kind: 'Deployment', namespace: 'app', name: 'web' }]);
    const none = await h.env().run(h.activities.snapshotCluster, { clusterId: CLUSTER_ID, restartScope: 'none' });
    assert.deepEqual(none.workloads, []);
    assertNoSecrets(h, snapshot);
    await h.cleanup();
  });

  test('a kubeconfig that is not available yet fails retryably; an unknown cluster non-retryably', async () => {
    const h = await harness();
    h.lke.kubeconfigScript = ['notReady'];
    const notReady = await rejection(h.env().run(h.activities.snapshotCluster, { clusterId: CLUSTER_ID, restartScope: 'none' }));
    assert.equal(notReady.type, FailureType.kubeconfigNotReady);
    assert.equal(notReady.nonRetryable, false);
    const missing = await rejection(h.env().run(h.activities.snapshotCluster, { clusterId: 99, restartScope: 'none' }));
    assert.equal(missing.type, FailureType.linodeNotFound);
    assert.equal(missing.nonRetryable, true);
    await h.cleanup();
  });
});

describe('deleteTokenSecrets', () => {
  test('deletes every snapshot Secret, our own credential last; a second run finds them gone', async () => {
    const h = await harness();
    const snapshot = await h.env().run(h.activities.snapshotCluster, { clusterId: CLUSTER_ID, restartScope: 'none' });
    // put lke-admin first, so the order is the activity's doing
    const secrets = [...snapshot.tokenSecrets].sort((a) => (a.serviceAccount === 'lke-admin' ? -1 : 1));
    const first = await h.env().run(h.activities.deleteTokenSecrets, { clusterId: CLUSTER_ID, secrets });
    assert.equal(first.deleted.length, 4);
    assert.deepEqual(first.alreadyGone, []);
    assert.equal(h.lke.deleteOrder.at(-1), 'lke-admin');
    assert.equal(h.lke.secrets.length, 0);

    // the worker died before the result was recorded: Temporal runs it again (the kubeconfig is now dead)
    const second = await h.env().run(h.activities.deleteTokenSecrets, { clusterId: CLUSTER_ID, secrets });
    assert.deepEqual(second.deleted, []);
    assert.deepEqual(second.alreadyGone.sort(), secrets.map((s) => s.name).sort());
    assert.equal(h.lke.deleteOrder.length, 4);
    assertNoSecrets(h, first, second);
    await h.cleanup();
  });

  test('404 counts as done and a Secret replaced under the same name (uid conflict) is left alone', async () => {
    const h = await harness();
    const snapshot = await h.env().run(h.activities.snapshotCluster, { clusterId: CLUSTER_ID, restartScope: 'none' });
    const ccm = h.lke.secrets.find((s) => s.serviceAccount === 'ccm-user')!;
    const dashboard = h.lke.secrets.find((s) => s.serviceAccount === 'kubernetes-dashboard-lke-user')!;
    h.lke.secrets = h.lke.secrets.filter((s) => s !== ccm); // someone deleted it already
    dashboard.uid = h.lke.uid(); // deleted and recreated with the same name
    const result = await h.env().run(h.activities.deleteTokenSecrets, { clusterId: CLUSTER_ID, secrets: snapshot.tokenSecrets });
    assert.deepEqual(result.alreadyGone, [ccm.name]);
    assert.deepEqual(result.conflicts, [dashboard.name]);
    assert.equal(result.deleted.length, 2);
    assert.ok(h.lke.secrets.includes(dashboard), 'the replacement Secret must survive');
    await h.cleanup();
  });

  test('a transient error fails the attempt retryably; the retry deletes nothing twice', async () => {
    const h = await harness();
    const snapshot = await h.env().run(h.activities.snapshotCluster, { clusterId: CLUSTER_ID, restartScope: 'none' });
    let deletes = 0;
    h.lke.failNext('deleteSecret', 0, () => nonRetryable(FailureType.kubeUnavailable, 'x'));
    const realKube = h.deps.kube;
    const activities = createActivities({
      ...h.deps,
      kube: (yaml) => {
        const port = realKube(yaml);
        return {
          ...port,
          deleteSecret: async (ns, name, uid) => {
            if (++deletes === 2) throw kubeFailure(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'delete');
            return port.deleteSecret(ns, name, uid);
          },
        };
      },
    });
    const failure = await rejection(h.env().run(activities.deleteTokenSecrets, { clusterId: CLUSTER_ID, secrets: snapshot.tokenSecrets }));
    assert.equal(failure.type, FailureType.kubeUnavailable);
    assert.equal(failure.nonRetryable, false);
    const retry = await h.env().run(activities.deleteTokenSecrets, { clusterId: CLUSTER_ID, secrets: snapshot.tokenSecrets });
    assert.equal(retry.deleted.length + retry.alreadyGone.length, 4);
    assert.equal(retry.alreadyGone.length, 1);
    assert.equal(h.lke.deleteOrder.length, 4, 'each Secret deleted exactly once');
    await h.cleanup();
  });
});

/** snapshot, delete, regenerate: the state every later step starts from */
async function rotatedUpToRegenerate(h: Harness) {
  const snapshot = await h.env().run(h.activities.snapshotCluster, { clusterId: CLUSTER_ID, restartScope: 'all' });
  await h.env().run(h.activities.deleteTokenSecrets, { clusterId: CLUSTER_ID, secrets: snapshot.tokenSecrets });
  await h.env().run(h.activities.regenerateCredentials, { clusterId: CLUSTER_ID });
  return snapshot;
}

describe('awaitKubeconfig', () => {
  test('polls through 503, the old kubeconfig and a control plane still rejecting the new token', async () => {
    const h = await harness();
    h.lke.tokenCacheChecks = 100; // the old token still works for a while: only its fingerprint tells it apart
    const snapshot = await rotatedUpToRegenerate(h);
    h.lke.kubeconfigScript = ['notReady', 'notReady', 'old'];
    h.lke.newTokenWarmup = 2;
    const result = await h.env().run(h.activities.awaitKubeconfig, {
      clusterId: CLUSTER_ID, previousFingerprint: snapshot.adminTokenFingerprint,
    });
    assert.equal(result.fingerprint, sha16(h.lke.adminToken()));
    assert.notEqual(result.fingerprint, snapshot.adminTokenFingerprint);
    assert.equal(result.attempts, 6);
    assert.deepEqual(h.heartbeats.slice(-6), [1, 2, 3, 4, 5, 6].map((attempts) => ({ attempts })));
    assertNoSecrets(h, result);
    await h.cleanup();
  });

  test('resumes its attempt count from the last heartbeat, and a run after success returns the same fingerprint', async () => {
    const h = await harness();
    const snapshot = await rotatedUpToRegenerate(h);
    const input = { clusterId: CLUSTER_ID, previousFingerprint: snapshot.adminTokenFingerprint };
    const resumedRun = await h.env({ attempts: 41 }).run(h.activities.awaitKubeconfig, input);
    assert.equal(resumedRun.attempts, 42);
    const again = await h.env().run(h.activities.awaitKubeconfig, input);
    assert.equal(again.fingerprint, resumedRun.fingerprint);
    await h.cleanup();
  });

  test('cancellation ends the wait', async () => {
    const h = await harness({ pollIntervalMs: 20 });
    const snapshot = await rotatedUpToRegenerate(h);
    h.lke.kubeconfigScript = Array.from({ length: 1000 }, () => 'notReady' as const);
    const env = h.env();
    const running = env.run(h.activities.awaitKubeconfig, { clusterId: CLUSTER_ID, previousFingerprint: snapshot.adminTokenFingerprint });
    setTimeout(() => env.cancel('CANCELLED'), 60);
    await assert.rejects(running, (err: unknown) => err instanceof CancelledFailure);
    await h.cleanup();
  });

  test('transient errors are polled through, but not forever', async () => {
    const h = await harness({ maxConsecutiveTransientErrors: 3 });
    const snapshot = await rotatedUpToRegenerate(h);
    const input = { clusterId: CLUSTER_ID, previousFingerprint: snapshot.adminTokenFingerprint };
    const serverError = (): ApplicationFailure => linodeFailure({ response: { status: 502, data: { errors: [{ reason: 'Bad gateway' }] } } }, 'GET kubeconfig');
    h.lke.failNext('getKubeconfig', 2, serverError);
    assert.ok((await h.env().run(h.activities.awaitKubeconfig, input)).fingerprint);
    h.lke.failNext('getKubeconfig', 3, serverError);
    const failure = await rejection(h.env().run(h.activities.awaitKubeconfig, input));
    assert.equal(failure.type, FailureType.linodeServerError);
    assert.equal(failure.nonRetryable, false);
    await h.cleanup();
  });
});

async function rotatedUpToAwait(h: Harness) {
  const snapshot = await rotatedUpToRegenerate(h);
  const awaited = await h.env().run(h.activities.awaitKubeconfig, { clusterId: CLUSTER_ID, previousFingerprint: snapshot.adminTokenFingerprint });
  const verifyInput = {
    clusterId: CLUSTER_ID, newFingerprint: awaited.fingerprint, previousFingerprint: snapshot.adminTokenFingerprint,
    nodes: snapshot.nodes, oldSecrets: snapshot.tokenSecrets,
  };
  return { snapshot, awaited, verifyInput };
}

describe('waits that cannot finish in time', () => {
  test('fail just before start-to-close with a retryable failure that says what they waited for', async () => {
    const h = await harness({ pollIntervalMs: 10 });
    const snapshot = await rotatedUpToRegenerate(h);
    h.lke.kubeconfigScript = Array.from({ length: 10_000 }, () => 'notReady' as const);
    const started = Date.now();
    const kubeconfig = await rejection(h.env(undefined, { startToCloseTimeoutMs: 300 }).run(h.activities.awaitKubeconfig, {
      clusterId: CLUSTER_ID, previousFingerprint: snapshot.adminTokenFingerprint,
    }));
    assert.ok(Date.now() - started < 300, 'gave up before the timeout');
    assert.equal(kubeconfig.type, FailureType.kubeconfigNotReady);
    assert.equal(kubeconfig.nonRetryable, false);
    assert.match(kubeconfig.message, /503, kubeconfig not yet available/);

    h.lke.kubeconfigScript = [];
    const awaited = await h.env().run(h.activities.awaitKubeconfig, { clusterId: CLUSTER_ID, previousFingerprint: snapshot.adminTokenFingerprint });
    h.lke.nodes[1].ready = false;
    const verify = await rejection(h.env(undefined, { startToCloseTimeoutMs: 300 }).run(h.activities.verifyRotation, {
      clusterId: CLUSTER_ID, newFingerprint: awaited.fingerprint, previousFingerprint: snapshot.adminTokenFingerprint,
      nodes: snapshot.nodes, oldSecrets: snapshot.tokenSecrets,
    }));
    assert.equal(verify.type, FailureType.verifyIncomplete);
    assert.match(verify.message, new RegExp(`Nodes not Ready: ${h.lke.nodes[1].name}`));
    assertNoSecrets(h, kubeconfig, verify);
    await h.cleanup();
  });
});

describe('verifyRotation', () => {
  test('waits for recreated token Secrets and proves the old token dead through the token cache', async () => {
    const h = await harness();
    h.lke.tokenCacheChecks = 3;
    h.lke.secretsRecreateAfterLists = 3;
    const { verifyInput } = await rotatedUpToAwait(h);
    const result = await h.env().run(h.activities.verifyRotation, verifyInput);
    assert.equal(result.oldTokenRejected, true);
    assert.equal(result.nodesReady, 3);
    assert.deepEqual(result.serviceAccountsWithNewToken, [...SERVICE_ACCOUNTS].sort());
    assert.equal(result.newFingerprint, verifyInput.newFingerprint);
    assertNoSecrets(h, result);
    await h.cleanup();
  });

  test('an old token still accepted past the cache window fails non-retryably', async () => {
    const h = await harness({ tokenCacheWindowMs: 30 });
    h.lke.tokenCacheChecks = 1_000_000;
    const { verifyInput } = await rotatedUpToAwait(h);
    const failure = await rejection(h.env().run(h.activities.verifyRotation, verifyInput));
    assert.equal(failure.type, FailureType.oldTokenStillAccepted);
    assert.equal(failure.nonRetryable, true);
    assertNoSecrets(h, failure);
    await h.cleanup();
  });

  test('after a worker restart (empty cache) the old token is unchecked unless the sink holds it', async () => {
    const h = await harness();
    const { verifyInput, snapshot } = await rotatedUpToAwait(h);
    const restarted = createActivities({ ...h.deps, kubeconfigCache: createKubeconfigCache() });
    const unchecked = await h.env().run(restarted.verifyRotation, verifyInput);
    assert.equal(unchecked.oldTokenRejected, 'unchecked');

    await h.deps.sink.write(CLUSTER_ID, snapshot.label, h.lke.previousKubeconfig!);
    const restartedAgain = createActivities({ ...h.deps, kubeconfigCache: createKubeconfigCache() });
    const checked = await h.env().run(restartedAgain.verifyRotation, verifyInput);
    assert.equal(checked.oldTokenRejected, true);
    await h.cleanup();
  });

  test('a kubeconfig rotated again since await fails as KubeconfigChanged', async () => {
    const h = await harness();
    const { verifyInput } = await rotatedUpToAwait(h);
    h.lke.regenerate();
    const restarted = createActivities({ ...h.deps, kubeconfigCache: createKubeconfigCache() });
    const failure = await rejection(h.env().run(restarted.verifyRotation, verifyInput));
    assert.equal(failure.type, FailureType.kubeconfigChanged);
    assert.equal(failure.nonRetryable, true);
    await h.cleanup();
  });
});

describe('deliverKubeconfig', () => {
  test('writes the new kubeconfig 0600 and overwrites on a second run', async () => {
    const h = await harness();
    const { awaited, snapshot } = await rotatedUpToAwait(h);
    const input = { clusterId: CLUSTER_ID, label: snapshot.label, fingerprint: awaited.fingerprint };
    const first = await h.env().run(h.activities.deliverKubeconfig, input);
    const second = await h.env().run(h.activities.deliverKubeconfig, input);
    assert.equal(first.location, second.location);
    assert.match(first.location, /lke-7-shop_prod\.kubeconfig\.yaml$/);
    assert.equal((await stat(first.location)).mode & 0o777, 0o600);
    assert.equal(kubeconfigFingerprint(await readFile(first.location, 'utf8')), awaited.fingerprint);
    assertNoSecrets(h, first);
    await h.cleanup();
  });
});

describe('restartWorkload', () => {
  const web: WorkloadRef = { kind: 'Deployment', namespace: 'app', name: 'web' };
  const restartedAt = '2026-11-29T10:00:00Z';

  test('patches once and waits for rollout done; a second run does not patch again', async () => {
    const h = await harness();
    const first = await h.env().run(h.activities.restartWorkload, { clusterId: CLUSTER_ID, workload: web, restartedAt });
    assert.deepEqual(first, { workload: web, patched: true });
    const state = h.lke.workloads.get('Deployment/app/web') as DeploymentState;
    assert.equal(state.restartedAt, restartedAt);
    assert.equal(state.observedGeneration, 2);
    assert.equal(state.updatedReplicas, 2);
    const second = await h.env().run(h.activities.restartWorkload, { clusterId: CLUSTER_ID, workload: web, restartedAt });
    assert.deepEqual(second, { workload: web, patched: false });
    assert.equal(h.lke.calls.filter((c) => c === 'patch web').length, 1);
    await h.cleanup();
  });

  test('a retried attempt that had patched reports patched from its heartbeat', async () => {
    const h = await harness();
    (h.lke.workloads.get('Deployment/app/web') as DeploymentState).restartedAt = restartedAt;
    const result = await h.env({ attempts: 3, patched: true }).run(h.activities.restartWorkload, { clusterId: CLUSTER_ID, workload: web, restartedAt });
    assert.deepEqual(result, { workload: web, patched: true });
    assert.equal(h.lke.calls.filter((c) => c.startsWith('patch')).length, 0);
    await h.cleanup();
  });

  test('a paused Deployment and a rollout past its deadline fail non-retryably', async () => {
    const h = await harness();
    const state = h.lke.workloads.get('Deployment/app/web') as DeploymentState;
    state.paused = true;
    const paused = await rejection(h.env().run(h.activities.restartWorkload, { clusterId: CLUSTER_ID, workload: web, restartedAt }));
    assert.equal(paused.type, FailureType.deploymentPaused);
    assert.equal(paused.nonRetryable, true);
    assert.equal(h.lke.calls.filter((c) => c.startsWith('patch')).length, 0);

    state.paused = false;
    state.restartedAt = restartedAt;
    state.progressDeadlineExceeded = true;
    const stuck = await rejection(h.env().run(h.activities.restartWorkload, { clusterId: CLUSTER_ID, workload: web, restartedAt }));
    assert.equal(stuck.type, FailureType.rolloutFailed);
    assert.equal(stuck.nonRetryable, true);
    await h.cleanup();
  });
});

describe('recycleNode', () => {
  test('recycles once, waits for a Ready replacement, and a second run skips', async () => {
    const h = await harness();
    const snapshot = await h.env().run(h.activities.snapshotCluster, { clusterId: CLUSTER_ID, restartScope: 'none' });
    const node = snapshot.poolNodes[0];
    const result = await h.env().run(h.activities.recycleNode, { clusterId: CLUSTER_ID, node });
    assert.equal(result.skipped, false);
    assert.equal(result.oldInstanceId, 1000);
    assert.equal(result.newInstanceId, 9000);
    assert.ok(h.lke.nodes.some((n) => n.providerID === 'linode://9000' && n.ready));
    const again = await h.env().run(h.activities.recycleNode, { clusterId: CLUSTER_ID, node });
    assert.deepEqual(again, { nodeId: node.nodeId, oldInstanceId: 1000, newInstanceId: 9000, skipped: true });
    assert.equal(h.lke.calls.filter((c) => c.startsWith('recycle')).length, 1);
    await h.cleanup();
  });

  test('a retry after the recycle was sent waits without sending it again', async () => {
    const h = await harness();
    const snapshot = await h.env().run(h.activities.snapshotCluster, { clusterId: CLUSTER_ID, restartScope: 'none' });
    const node = snapshot.poolNodes[1];
    await h.deps.linode.recycleNode(CLUSTER_ID, node.nodeId); // the earlier attempt's POST
    const result = await h.env({ attempts: 2, recycle: 'sent', sentAt: Date.now() }).run(h.activities.recycleNode, { clusterId: CLUSTER_ID, node });
    assert.equal(result.skipped, false);
    assert.notEqual(result.newInstanceId, node.instanceId);
    assert.equal(h.lke.calls.filter((c) => c.startsWith('recycle')).length, 1);
    await h.cleanup();
  });

  test('a recycle whose POST outcome is unknown is sent again only once the node has not moved for a while', async () => {
    const h = await harness({ recycleResendAfterMs: 30, pollIntervalMs: 5 });
    const snapshot = await h.env().run(h.activities.snapshotCluster, { clusterId: CLUSTER_ID, restartScope: 'none' });
    const node = snapshot.poolNodes[2];
    const result = await h.env({ attempts: 1, recycle: 'sending', sentAt: Date.now() }).run(h.activities.recycleNode, { clusterId: CLUSTER_ID, node });
    assert.equal(result.skipped, false);
    assert.equal(h.lke.calls.filter((c) => c.startsWith('recycle')).length, 1);
    await h.cleanup();
  });
});

// ---------------------------------------------------------------------------------------------
// Error classification, the sink, rollout rules

describe('error classification', () => {
  const TOKEN = 'super-secret-linode-token';
  const axiosError = (status: number, headers: Record<string, string> = {}, reason = 'Too many requests') =>
    Object.assign(new Error(`Request failed with status code ${status} Bearer ${TOKEN}`), {
      isAxiosError: true,
      config: { headers: { Authorization: `Bearer ${TOKEN}` }, url: 'https://api.linode.com/v4/lke/clusters/1' },
      response: { status, headers, data: { errors: [{ reason }] } },
    });

  test('Linode statuses map to types and retryability, and no header or message is copied', () => {
    const cases: [number, string, boolean][] = [
      [400, FailureType.linodeBadRequest, true], [401, FailureType.linodeUnauthorized, true],
      [403, FailureType.linodeForbidden, true], [404, FailureType.linodeNotFound, true],
      [422, FailureType.linodeUnprocessable, true], [429, FailureType.linodeRateLimited, false],
      [500, FailureType.linodeServerError, false], [503, FailureType.linodeServerError, false],
    ];
    for (const [status, type, nonRetryableExpected] of cases) {
      const failure = linodeFailure(axiosError(status), 'GET cluster 1');
      assert.equal(failure.type, type, `status ${status}`);
      assert.equal(failure.nonRetryable, nonRetryableExpected, `status ${status}`);
      assert.ok(!JSON.stringify({ m: failure.message, s: failure.stack, c: failure.cause }).includes(TOKEN));
      assert.equal(failure.cause, undefined);
    }
    const maintenance = linodeFailure(axiosError(503, { 'x-maintenance-mode': 'true' }), 'GET');
    assert.equal(maintenance.type, FailureType.linodeMaintenance);
    assert.equal(maintenance.nonRetryable, true);
  });

  test('Retry-After becomes nextRetryDelay, clamped to 3..30 s and scaled', () => {
    assert.equal(linodeFailure(axiosError(429, { 'retry-after': '7' }), 'x').nextRetryDelay, 7000);
    assert.equal(linodeFailure(axiosError(429, { 'retry-after': '1' }), 'x').nextRetryDelay, 3000);
    assert.equal(linodeFailure(axiosError(429, { 'retry-after': '600' }), 'x').nextRetryDelay, 30000);
    assert.equal(linodeFailure(axiosError(429, { 'retry-after': '10' }), 'x', { retryAfterScale: 0.001 }).nextRetryDelay, 10);
    assert.equal(linodeFailure(axiosError(429), 'x').nextRetryDelay, undefined);
    const at = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(retryAfterDelayMs(new Date(at + 12_000).toUTCString(), {}, at), 12_000);
  });

  test('network errors are retryable; Kubernetes Status errors keep reason and message', () => {
    for (const code of ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'ECONNABORTED']) {
      const failure = linodeFailure(Object.assign(new Error(`boom Bearer ${TOKEN}`), {
        code, isAxiosError: true, config: { headers: { Authorization: TOKEN } },
      }), 'GET');
      assert.equal(failure.type, FailureType.linodeUnavailable);
      assert.equal(failure.nonRetryable, false);
      assert.ok(!failure.message.includes(TOKEN));
    }
    assert.equal(kubeFailure(new Error('socket hang up'), 'list').type, FailureType.kubeUnavailable);
    const tls = kubeFailure(Object.assign(new Error('self-signed certificate'), { name: 'FetchError', code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), 'list');
    assert.equal(tls.type, FailureType.kubeTlsFailed);
    assert.equal(tls.nonRetryable, true);
    const bug = linodeFailure(new TypeError(`cannot read ${TOKEN}`), 'GET');
    assert.equal(bug.nonRetryable, true);
    assert.ok(!bug.message.includes(TOKEN));
    const apiException = { code: 403, body: JSON.stringify({ kind: 'Status', reason: 'Forbidden', message: 'secrets is forbidden' }), headers: {} };
    const forbidden = kubeFailure(apiException, 'list secrets');
    assert.equal(forbidden.type, FailureType.kubeForbidden);
    assert.equal(forbidden.nonRetryable, true);
    assert.match(forbidden.message, /403 Forbidden: secrets is forbidden/);
    const limited = kubeFailure({ code: 429, body: {}, headers: { 'retry-after': '4' } }, 'list');
    assert.equal(limited.nonRetryable, false);
    assert.equal(limited.nextRetryDelay, 4000);
  });
});

describe('directory sink', () => {
  test('one file per cluster: a renamed cluster replaces its old file; read returns the current one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sink-test-'));
    const sink = createDirectorySink(dir);
    assert.equal(await sink.read(3), null);
    const a = await sink.write(3, '../evil name', 'one');
    assert.match(a, /lke-3-_evil_name\.kubeconfig\.yaml$/);
    assert.ok(a.startsWith(dir));
    const b = await sink.write(3, 'renamed', 'two');
    await writeFile(join(dir, 'lke-30-other.kubeconfig.yaml'), 'other');
    assert.equal(await sink.read(3), 'two');
    await assert.rejects(stat(a));
    assert.equal((await stat(b)).mode & 0o777, 0o600);
    await rm(dir, { recursive: true, force: true });
  });
});

describe('kubeconfig cache', () => {
  test('a directory-backed cache survives a worker restart and keeps files owner-only', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cache-test-'));
    const cacheDir = join(dir, 'cache');
    await createKubeconfigCache({ dir: cacheDir }).put(5, 'abcdef0123456789', 'kubeconfig-5');
    const afterRestart = createKubeconfigCache({ dir: cacheDir });
    assert.equal(await afterRestart.get(5, 'abcdef0123456789'), 'kubeconfig-5');
    assert.equal(await afterRestart.get(5, '0000000000000000'), null);
    assert.equal(await afterRestart.get(6, 'abcdef0123456789'), null);
    assert.equal((await stat(join(cacheDir, '5-abcdef0123456789.kubeconfig.yaml'))).mode & 0o777, 0o600);
    assert.equal((await stat(cacheDir)).mode & 0o777, 0o700);
    const small = createKubeconfigCache({ maxEntries: 2 });
    await small.put(1, 'a', 'one');
    await small.put(2, 'b', 'two');
    await small.put(3, 'c', 'three');
    assert.equal(await small.get(1, 'a'), null, 'the oldest entry is evicted');
    assert.equal(await small.get(3, 'c'), 'three');
    await rm(dir, { recursive: true, force: true });
  });
});

describe('rollout status', () => {
  const base = { namespace: 'ns', name: 'w', generation: 2, observedGeneration: 2, restartedAt: null };
  test('Deployment, StatefulSet and DaemonSet follow kubectl rollout status', () => {
    const deployment: DeploymentState = {
      ...base, kind: 'Deployment', paused: false, specReplicas: 3, replicas: 3, updatedReplicas: 3, availableReplicas: 3,
      progressDeadlineExceeded: false,
    };
    assert.equal(rolloutStatus(deployment).state, 'done');
    assert.equal(rolloutStatus({ ...deployment, observedGeneration: 1 }).state, 'progressing');
    assert.equal(rolloutStatus({ ...deployment, replicas: 4 }).state, 'progressing');
    assert.equal(rolloutStatus({ ...deployment, availableReplicas: 2 }).state, 'progressing');
    assert.equal(rolloutStatus({ ...deployment, progressDeadlineExceeded: true }).state, 'failed');
    const sts: WorkloadState = {
      ...base, kind: 'StatefulSet', updateStrategy: 'RollingUpdate', partition: 1, specReplicas: 3, readyReplicas: 3, updatedReplicas: 2,
    };
    assert.equal(rolloutStatus(sts).state, 'done');
    assert.equal(rolloutStatus({ ...sts, partition: 0 }).state, 'progressing');
    const ds: WorkloadState = {
      ...base, kind: 'DaemonSet', updateStrategy: 'RollingUpdate', desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 2,
    };
    assert.equal(rolloutStatus(ds).state, 'progressing');
    assert.equal(rolloutStatus({ ...ds, numberAvailable: 3 }).state, 'done');
  });
});
