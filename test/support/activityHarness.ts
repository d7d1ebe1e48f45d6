// The in-memory LKE the activity tests run against (a fake Linode port and Kubernetes ports over
// shared state), the harness that builds the activities over it in MockActivityEnvironment, and the
// steps every later step's test starts from. The fakes model just enough of LKE: token Secrets back
// the tokens the fake apiserver accepts, regenerate mints new ones, recycles replace instances over
// polls, rollouts advance over polls.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger, type LogEntry } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';
import { createActivities, type ActivityDeps } from '../../activities/index.js';
import { createDirectorySink } from '../../activities/kubeconfig/sink.js';
import { createKubeconfigCache } from '../../activities/kubeconfig/cache.js';
import { FailureType } from '../../common/failures.js';
import { nonRetryable } from '../../activities/errors.js';
import { tokenFingerprint } from '../../activities/kubeconfig/parse.js';
import type {
  DeploymentState, DisruptionBudgetInfo, KubePort, KubeconfigFetch, LinodePort, PodInfo, PodTemplateUse, TokenSecretInfo, WorkloadState,
} from '../../activities/ports.js';
import { budgetCovers } from '../../activities/drain.js';
import type { KubeNodeRef, LkeCluster, LkePool, LkePoolNode, WorkloadRef } from '../../common/types.js';
import { LKE_TOKEN_SERVICE_ACCOUNTS } from '../../common/lke.js';

// ---------------------------------------------------------------------------------------------
// Fakes

export const CLUSTER_ID = 7;

export function kubeconfigFor(token: string): string {
  return [
    'apiVersion: v1', 'kind: Config', 'current-context: lke7-ctx', 'preferences: {}',
    'clusters:', '- name: lke7', '  cluster:', '    server: https://fake.example:443',
    '    certificate-authority-data: Zm9v',
    'contexts:', '- name: lke7-ctx', '  context:', '    cluster: lke7', '    user: lke7-admin', '    namespace: default',
    'users:', '- name: lke7-admin', '  user:', `    token: ${token}`, '',
  ].join('\n');
}

export interface FakeSecret {
  namespace: string; name: string; uid: string; serviceAccount: string; token: string; created: string;
  labels?: Record<string, string>; annotations?: Record<string, string>;
}

export const SERVICE_ACCOUNTS = LKE_TOKEN_SERVICE_ACCOUNTS;

export class FakeLke {
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
  /** service accounts that exist (a user-owned Secret for one that does not is never filled) */
  serviceAccounts = new Set<string>(SERVICE_ACCOUNTS);
  /** created token Secrets get their token after this many more lists (the token controller) */
  tokenControllerLists = 0;
  private uidCounter = 0;
  /** restart scope 'affected' reads these */
  podTemplates: PodTemplateUse[] = [];
  /** pods by node name, for drains */
  pods: (PodInfo & { node: string })[] = [];
  budgets: DisruptionBudgetInfo[] = [];
  readonly cordoned = new Set<string>();

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

  /** a token Secret a user made for their own service account */
  addUserSecret(serviceAccount: string, name: string, meta: { labels?: Record<string, string>; annotations?: Record<string, string> } = {}): FakeSecret {
    this.serviceAccounts.add(serviceAccount);
    const secret = { ...this.addSecret(serviceAccount), name, ...meta };
    this.secrets[this.secrets.length - 1] = secret;
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
      listPools: async (): Promise<LkePool[]> => {
        this.calls.push('listPools');
        return [{
          id: 11, type: 'g6-standard-2', count: this.poolNodes.length, nodes: this.poolNodes.map((n) => ({ ...n })), tags: [],
          disks: [], autoscaler: { enabled: false, min: 1, max: 1 },
        }];
      },
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
        for (const s of this.secrets) {
          if (s.token === '' && this.tokenControllerLists-- <= 0) s.token = `tok-${randomBytes(16).toString('hex')}`;
        }
        return this.secrets.filter((s) => s.namespace === namespace).map(({ token: t, labels, annotations, ...ref }) => ({
          ...ref, tokenFingerprint: t ? tokenFingerprint(t) : null, labels: { ...labels },
          annotations: { ...annotations, 'kubernetes.io/service-account.name': ref.serviceAccount },
        }));
      },
      createTokenSecret: async ({ namespace, name, serviceAccount, labels, annotations }) => {
        authorize(`create secret ${name}`);
        this.maybeFail('createTokenSecret');
        this.calls.push(`create ${name}`);
        if (this.secrets.some((s) => s.namespace === namespace && s.name === name)) return 'exists';
        this.secrets.push({ namespace, name, uid: this.uid(), serviceAccount, token: '', created: new Date().toISOString(), labels, annotations });
        return 'created';
      },
      serviceAccountExists: async (_namespace, name) => {
        authorize(`get serviceaccount ${name}`);
        return this.serviceAccounts.has(name);
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
        return this.nodes.map(({ name, providerID, ready }) => ({ name, providerID, ready, ...(this.cordoned.has(name) ? { unschedulable: true as const } : {}) }));
      },
      listPodTemplates: async (namespace) => {
        authorize('list workloads');
        return this.podTemplates.filter((t) => t.ref.namespace === namespace);
      },
      cordonNode: async (name) => {
        authorize(`cordon ${name}`);
        this.calls.push(`cordon ${name}`);
        this.cordoned.add(name);
      },
      listPodsOnNode: async (name) => {
        authorize('list pods');
        return this.pods.filter((p) => p.node === name).map(({ node: _node, ...pod }) => ({ ...pod, labels: { ...pod.labels } }));
      },
      evictPod: async (namespace, name) => {
        authorize(`evict ${name}`);
        const pod = this.pods.find((p) => p.namespace === namespace && p.name === name);
        if (!pod) return { outcome: 'gone' };
        const budget = this.budgets.find((b) => b.disruptionsAllowed <= 0 && budgetCovers(b, pod));
        if (budget) return { outcome: 'blocked', message: `Cannot evict pod as it would violate the pod's disruption budget ${budget.name}` };
        this.calls.push(`evict ${namespace}/${name}`);
        this.pods = this.pods.filter((p) => p !== pod);
        return { outcome: 'evicted' };
      },
      listDisruptionBudgets: async () => {
        authorize('list pdbs');
        return this.budgets.map((b) => ({ ...b }));
      },
      listWorkloads: async (scope) => {
        authorize('list workloads');
        if (scope === 'none' || scope === 'affected') return [];
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
    return [...this.secrets, ...this.pendingSecrets].map((s) => s.token).filter(Boolean);
  }
}

/** MockActivityEnvironment.run infers its input type from the argument, widening literals; pin it to the activity's. */
export interface TypedEnvironment {
  run<I, O>(fn: (input: I) => Promise<O>, input: I): Promise<O>;
  cancel: MockActivityEnvironment['cancel'];
}

export interface Harness {
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

export async function harness(overrides: Partial<ActivityDeps> = {}): Promise<Harness> {
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
export function assertNoSecrets(h: Harness, ...values: unknown[]): void {
  for (const t of h.lke.allTokens()) h.issuedTokens.add(t);
  const text = JSON.stringify([values, h.logs.map((l) => [l.message, l.meta]), h.heartbeats],
    (_k, v: unknown) => (v instanceof Error ? { message: v.message, stack: v.stack } : v));
  for (const token of h.issuedTokens) assert.ok(!text.includes(token), 'a token leaked');
  assert.ok(!text.includes('certificate-authority-data'), 'a kubeconfig leaked');
}


export const sha16 = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 16);
/** snapshot, delete, regenerate: the state every later step starts from */
export async function rotatedUpToRegenerate(h: Harness) {
  const snapshot = await h.env().run(h.activities.snapshotCluster, { clusterId: CLUSTER_ID, restartScope: 'all' });
  await h.env().run(h.activities.deleteTokenSecrets, { clusterId: CLUSTER_ID, secrets: snapshot.tokenSecrets });
  await h.env().run(h.activities.regenerateCredentials, { clusterId: CLUSTER_ID });
  return snapshot;
}

export async function rotatedUpToAwait(h: Harness) {
  const snapshot = await rotatedUpToRegenerate(h);
  const awaited = await h.env().run(h.activities.awaitKubeconfig, { clusterId: CLUSTER_ID, previousFingerprint: snapshot.adminTokenFingerprint });
  const verifyInput = {
    clusterId: CLUSTER_ID, newFingerprint: awaited.fingerprint, previousFingerprint: snapshot.adminTokenFingerprint,
    nodes: snapshot.nodes, oldSecrets: snapshot.tokenSecrets,
  };
  return { snapshot, awaited, verifyInput };
}
