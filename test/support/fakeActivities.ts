// An in-memory LKE cluster behind the RotationActivities contract, for workflow tests: it keeps the
// state the real activities act on (token Secrets, the admin token, kubeconfig readiness, workload
// annotations, node instances), records every call, and fails or holds calls on demand. Tokens it
// issues are fake but unique, so a test can assert none of them reaches workflow history.
import { createHash } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { RotationActivities } from '../../common/activities.js';
import type { NotifyActivities, NotifyInput } from '../../common/notifications.js';
import type {
  ClusterSnapshot, KubeNodeRef, PoolNodeRef, RestartScope, TokenSecretRef, WorkloadRef,
} from '../../common/types.js';
import { LKE_TOKEN_SERVICE_ACCOUNTS } from '../../common/lke.js';

/** The rotation's activities and notify, which a rotation started with `notify: true` calls. */
export type FakeActivities = RotationActivities & NotifyActivities;
export type ActivityName = keyof FakeActivities;

export interface FakeCall { name: ActivityName; input: unknown }

export interface FaultSpec {
  /** how many calls fail; Infinity until clearFault() */
  times: number;
  nonRetryable?: boolean;
  type?: string;
  message?: string;
}

const SERVICE_ACCOUNTS = LKE_TOKEN_SERVICE_ACCOUNTS;

export const fingerprintOf = (token: string): string => createHash('sha256').update(token).digest('hex').slice(0, 16);

export class FakeCluster {
  readonly calls: FakeCall[] = [];
  /** every notify attempt, in order (a failed attempt too: see fail('notify', ...)) */
  readonly notifications: NotifyInput[] = [];
  /** every token this cluster ever issued: none may appear in history */
  readonly issuedTokens: string[] = [];
  secrets: (TokenSecretRef & { token: string })[] = [];
  /** user-owned token Secrets (name -> service account); regenerate does not bring them back, recreate does */
  readonly userSecrets = new Map<string, string>();
  /** user service accounts that exist: a recreated Secret for another one is reported, never filled */
  readonly userServiceAccounts = new Set<string>();
  adminToken = '';
  kubeconfigReady = true;
  deliveredFingerprint: string | null = null;
  readonly restartedAt = new Map<string, string>();
  poolNodes: PoolNodeRef[];
  readonly nodes: KubeNodeRef[];
  readonly workloads: WorkloadRef[];
  private readonly faults = new Map<ActivityName, FaultSpec>();
  private readonly holds = new Map<ActivityName, { entered: () => void; released: Promise<void> }>();
  private serial = 0;
  /** names of workloads whose pod templates use a token Secret (restart scope 'affected') */
  readonly affected = new Set<string>();
  private nextInstance = 9000;

  constructor(
    readonly clusterId = 1,
    readonly label = 'fake-cluster',
    readonly region = 'us-iad',
    opts: { workloads?: number; nodes?: number } = {},
  ) {
    this.issueCredentials();
    this.workloads = Array.from({ length: opts.workloads ?? 3 }, (_, i): WorkloadRef => ({
      kind: (['Deployment', 'StatefulSet', 'DaemonSet'] as const)[i % 3], namespace: i === 0 ? 'kube-system' : 'apps', name: `w${i}`,
    }));
    this.poolNodes = Array.from({ length: opts.nodes ?? 2 }, (_, i): PoolNodeRef => ({
      poolId: 7, nodeId: `7-${(0xa0 + i).toString(16)}`, instanceId: 100 + i, status: 'ready',
    }));
    this.nodes = this.poolNodes.map((n) => ({ name: `lke${clusterId}-7-${n.nodeId}`, providerID: `linode://${n.instanceId}`, ready: true }));
  }

  get adminFingerprint(): string {
    return fingerprintOf(this.adminToken);
  }

  count(name: ActivityName): number {
    return this.calls.filter((c) => c.name === name).length;
  }

  /** The next `times` calls of `name` fail (retryable unless nonRetryable). */
  fail(name: ActivityName, spec: FaultSpec): void {
    this.faults.set(name, spec);
  }

  clearFault(name: ActivityName): void {
    this.faults.delete(name);
  }

  /** The next call of `name` waits until release(); `entered` resolves when it starts waiting. */
  hold(name: ActivityName): { entered: Promise<void>; release: () => void } {
    let release!: () => void;
    let entered!: () => void;
    const released = new Promise<void>((r) => { release = r; });
    const enteredP = new Promise<void>((r) => { entered = r; });
    this.holds.set(name, { entered, released });
    return { entered: enteredP, release };
  }

  /** a token Secret a user made for their own service account (and the account itself) */
  addUserSecret(name: string, serviceAccount: string): void {
    this.userSecrets.set(name, serviceAccount);
    this.userServiceAccounts.add(serviceAccount);
    this.secrets.push(this.userSecret(name, serviceAccount));
  }

  private userSecret(name: string, serviceAccount: string): TokenSecretRef & { token: string } {
    const token = `fake-token-${this.clusterId}-${name}-${this.serial}-${Math.random().toString(36).slice(2)}`;
    this.issuedTokens.push(token);
    return {
      namespace: 'kube-system', name, uid: `uid-${name}-${this.serial}-${this.issuedTokens.length}`, serviceAccount,
      created: new Date().toISOString(), token, owner: 'user', labels: { team: 'web' }, annotations: { owner: 'web@example.com' },
    };
  }

  private issueCredentials(): void {
    this.serial += 1;
    this.secrets = SERVICE_ACCOUNTS.map((sa) => {
      const token = `fake-token-${this.clusterId}-${sa}-${this.serial}-${Math.random().toString(36).slice(2)}`;
      this.issuedTokens.push(token);
      return {
        namespace: 'kube-system', name: `${sa}-token-${this.serial}x`, uid: `uid-${sa}-${this.serial}`,
        serviceAccount: sa, created: new Date().toISOString(), token, ...(this.userSecrets.size ? { owner: 'lke' as const } : {}),
      };
    });
    this.adminToken = this.secrets.find((s) => s.serviceAccount === 'lke-admin')?.token ?? '';
  }

  private async enter(name: ActivityName, input: unknown): Promise<void> {
    this.calls.push({ name, input });
    const hold = this.holds.get(name);
    if (hold) {
      this.holds.delete(name);
      hold.entered();
      await hold.released;
    }
    const fault = this.faults.get(name);
    if (fault && fault.times > 0) {
      fault.times -= 1;
      if (fault.times === 0) this.faults.delete(name);
      throw ApplicationFailure.create({
        type: fault.type ?? 'FakeFailure', message: fault.message ?? `${name} failed (injected)`, nonRetryable: fault.nonRetryable ?? false,
      });
    }
  }

  activities(): FakeActivities {
    return {
      snapshotCluster: async (input) => {
        await this.enter('snapshotCluster', input);
        return this.snapshot(input.restartScope);
      },
      deleteTokenSecrets: async (input) => {
        await this.enter('deleteTokenSecrets', input);
        const result = { deleted: [] as string[], alreadyGone: [] as string[], conflicts: [] as string[] };
        for (const ref of input.secrets) {
          const current = this.secrets.find((s) => s.name === ref.name);
          if (!current) result.alreadyGone.push(ref.name);
          else if (current.uid !== ref.uid) result.conflicts.push(ref.name);
          else {
            this.secrets = this.secrets.filter((s) => s !== current);
            result.deleted.push(ref.name);
          }
        }
        if (!this.secrets.some((s) => s.token === this.adminToken)) this.adminToken = '';
        return result;
      },
      regenerateCredentials: async (input) => {
        await this.enter('regenerateCredentials', input);
        this.issueCredentials();
      },
      awaitKubeconfig: async (input) => {
        await this.enter('awaitKubeconfig', input);
        if (!this.kubeconfigReady || !this.adminToken) {
          throw ApplicationFailure.create({ type: 'KubeconfigNotReady', message: 'kubeconfig is not yet available', nonRetryable: true });
        }
        if (this.adminFingerprint === input.previousFingerprint) {
          throw ApplicationFailure.create({ type: 'KubeconfigNotReady', message: 'kubeconfig still has the old token', nonRetryable: true });
        }
        return { fingerprint: this.adminFingerprint, attempts: 1 };
      },
      recreateUserTokenSecrets: async (input) => {
        await this.enter('recreateUserTokenSecrets', input);
        const result = { created: [] as string[], alreadyThere: [] as string[], serviceAccountMissing: [] as string[] };
        for (const ref of input.secrets) {
          if (this.secrets.some((s) => s.name === ref.name && s.uid !== ref.uid)) result.alreadyThere.push(ref.name);
          else if (!this.userServiceAccounts.has(ref.serviceAccount)) result.serviceAccountMissing.push(ref.name);
          else {
            this.secrets.push(this.userSecret(ref.name, ref.serviceAccount));
            result.created.push(ref.name);
          }
        }
        return result;
      },
      verifyRotation: async (input) => {
        await this.enter('verifyRotation', input);
        if (input.newFingerprint !== this.adminFingerprint) {
          throw ApplicationFailure.create({ type: 'KubeconfigChanged', message: 'kubeconfig changed since it was fetched', nonRetryable: true });
        }
        const missing = input.oldSecrets.filter((old) => old.owner === 'user' && !input.excludeSecrets?.includes(old.name) &&
          !this.secrets.some((s) => s.name === old.name && s.uid !== old.uid));
        if (missing.length) {
          throw ApplicationFailure.create({
            type: 'TokenSecretMissing', message: `token Secrets without a new token: ${missing.map((m) => m.name).join(', ')}`,
            nonRetryable: true, details: [missing.map((m) => ({ name: m.name, owner: 'user' }))],
          });
        }
        const renewed = input.oldSecrets.filter((old) =>
          this.secrets.some((s) => s.serviceAccount === old.serviceAccount && s.uid !== old.uid)).map((s) => s.serviceAccount);
        return { nodesReady: this.nodes.length, serviceAccountsWithNewToken: renewed, oldTokenRejected: true, newFingerprint: this.adminFingerprint };
      },
      deliverKubeconfig: async (input) => {
        await this.enter('deliverKubeconfig', input);
        this.deliveredFingerprint = input.fingerprint;
        return { location: `/fake/kubeconfigs/${input.label}.yaml`, fingerprint: input.fingerprint };
      },
      restartWorkload: (input) => this.restartOne(input),
      recycleNode: (input) => this.recycleOne(input),
      // The batches go through the per-item fakes, so holds, faults and counts stay per workload and
      // node; a failing item is named in the details, as the real batch does, so skip can leave it out.
      restartWorkloads: async (input) => {
        const { restarted, interrupted } = await this.batch(input.workloads, (workload) =>
          this.restartOne({ clusterId: input.clusterId, workload, restartedAt: input.restartedAt }), (w) => `${w.kind} ${w.namespace}/${w.name}`);
        return { restarted, interrupted };
      },
      recycleNodes: async (input) => {
        const { restarted: recycled, interrupted } = await this.batch(input.nodes, (node) =>
          this.recycleOne({ clusterId: input.clusterId, node }), (n) => n.nodeId);
        return { recycled: recycled.map((r) => ({ ...r, evicted: 0 })), interrupted };
      },
      previewDrain: async (input) => {
        await this.enter('previewDrain', input);
        return input.nodes.map((n) => ({ nodeId: n.nodeId, nodeName: `lke${this.clusterId}-7-${n.nodeId}`, evict: [], unmanaged: [], blockingBudgets: [] }));
      },
      releaseKubeconfigs: async (input) => {
        await this.enter('releaseKubeconfigs', input);
        return { released: 0 };
      },
      notify: async (input) => {
        this.notifications.push(input);
        await this.enter('notify', input);
        return { delivered: true, status: 200 };
      },
    };
  }

  private async restartOne(input: { clusterId: number; workload: WorkloadRef; restartedAt: string }) {
    await this.enter('restartWorkload', input);
    const key = `${input.workload.kind}/${input.workload.namespace}/${input.workload.name}`;
    const patched = this.restartedAt.get(key) !== input.restartedAt;
    this.restartedAt.set(key, input.restartedAt);
    return { workload: input.workload, patched };
  }

  private async recycleOne(input: { clusterId: number; node: PoolNodeRef }) {
    await this.enter('recycleNode', input);
    const current = this.poolNodes.find((n) => n.nodeId === input.node.nodeId);
    if (!current) throw ApplicationFailure.create({ type: 'LinodeNotFound', message: `node ${input.node.nodeId} not found`, nonRetryable: true });
    if (current.instanceId !== input.node.instanceId) {
      return { nodeId: current.nodeId, oldInstanceId: input.node.instanceId, newInstanceId: current.instanceId, skipped: true };
    }
    current.instanceId = this.nextInstance++;
    return { nodeId: current.nodeId, oldInstanceId: input.node.instanceId, newInstanceId: current.instanceId, skipped: false };
  }

  /** Items one at a time; after each, a heartbeat and a moment for a cancel (the workflow's pause or stop) to arrive. */
  private async batch<I, R>(items: I[], one: (item: I) => Promise<R>, nameOf: (item: I) => string): Promise<{ restarted: R[]; interrupted: boolean }> {
    const ctx = Context.current();
    let interrupted = false;
    ctx.cancelled.catch(() => { interrupted = true; });
    const done: R[] = [];
    for (const item of items) {
      if (interrupted) break;
      try {
        done.push(await one(item));
      } catch (err) {
        if (!(err instanceof ApplicationFailure)) throw err;
        throw ApplicationFailure.create({ type: err.type ?? 'FakeFailure', message: err.message, nonRetryable: err.nonRetryable ?? false, details: [{ item: nameOf(item) }] });
      }
      ctx.heartbeat({ done: done.length });
      await Promise.race([ctx.cancelled.catch(() => undefined), new Promise((r) => setTimeout(r, 100))]);
    }
    return { restarted: done, interrupted };
  }

  private snapshot(scope: RestartScope): ClusterSnapshot {
    // 'affected': none of the fake's workloads use a token Secret unless a test says so
    const workloads = scope === 'none' ? [] : scope === 'affected' ? this.workloads.filter((w) => this.affected.has(w.name))
      : scope === 'all' ? this.workloads
      : scope === 'kube-system' ? this.workloads.filter((w) => w.namespace === 'kube-system')
      : this.workloads.filter((w) => scope.namespaces.includes(w.namespace));
    return {
      clusterId: this.clusterId, label: this.label, region: this.region, k8sVersion: '1.31', tier: 'standard',
      highAvailability: false, takenAt: new Date().toISOString(),
      adminTokenFingerprint: this.adminToken ? this.adminFingerprint : null,
      tokenSecrets: this.secrets.map(({ token: _token, ...ref }) => ref),
      nodes: this.nodes.map((n) => ({ ...n })),
      poolNodes: this.poolNodes.map((n) => ({ ...n })),
      workloads,
    };
  }
}
