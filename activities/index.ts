// The rotation's activities (docs/design.md, 'The steps of one rotation'), over the ports of activities/ports.ts.
// Each is safe to run twice: Temporal retries them, and a worker can die after a side effect and
// before its result is recorded. Long waits heartbeat their progress and resume from the last
// heartbeat's details on the next attempt, so a retry neither starts over nor repeats a side effect.
// Inputs and results carry fingerprints and references only; kubeconfigs come from the Linode API or
// the worker-local cache and never leave the worker.
import { Context } from '@temporalio/activity';
import type {
  AwaitKubeconfigInput, DeleteTokensInput, DeliverInput, RecreateTokensInput, RecycleNodeInput, RegenerateInput,
  ReleaseKubeconfigsInput, ReleaseKubeconfigsResult, RestartWorkloadInput, RotationActivities, SnapshotInput, VerifyInput,
} from '../common/activities.js';
import type {
  AwaitKubeconfigResult, ClusterSnapshot, DeleteTokensResult, LkeCluster, LkePool, PoolNodeRef, RecreateTokensResult,
  RecycleResult, RegenerateResult, RestartResult, TokenSecretRef, VerifyResult,
} from '../common/types.js';
import { createKubeconfigCache } from './kubeconfig/cache.js';
import { FailureType, type FailureTypeName } from '../common/failures.js';
import { isFailureOfType, isTransient, nonRetryable, retryable } from './errors.js';
import { kubeconfigFingerprint } from './kubeconfig/parse.js';
import type { KubeconfigCache, KubeconfigSink, KubePortFactory, LinodePort } from './ports.js';
import { rolloutStatus } from './rollout.js';
import { KUBE_SYSTEM, isUserOwned, lkeTokenServiceAccounts } from '../common/lke.js';
import { snapshotRef } from './kube/tokenSecrets.js';
import {
  describeMissing, recreateUserTokenSecrets, tokenSecretsMissingFailure, tokenSecretsState,
} from './tokenSecretChecks.js';

export interface ActivityDeps {
  linode: LinodePort;
  kube: KubePortFactory;
  sink: KubeconfigSink;
  /** default: in memory (a verify after a worker restart then checks the old token only via the sink) */
  kubeconfigCache?: KubeconfigCache;
  /** pause between polls of the long waits; default 5 s */
  pollIntervalMs?: number;
  /** how long the old admin token may still be accepted (the apiserver caches token checks ~10 s); default 20 s */
  tokenCacheWindowMs?: number;
  /**
   * a recycle whose POST got no answer (the attempt died or the reply was lost) is sent again only if
   * the node is still on its old instance this long afterwards; default 2 min
   */
  recycleResendAfterMs?: number;
  /**
   * a retried regenerate whose earlier attempt's outcome is unknown watches the kubeconfig this long
   * for a sign that the earlier POST took (503, or a new kubeconfig) before it POSTs again: LKE may
   * keep serving the old kubeconfig for a while after a regenerate; default 45 s
   */
  regenerateSettleMs?: number;
  /** a wait gives up (and lets Temporal retry the activity) after this many transient errors in a row; default 5 */
  maxConsecutiveTransientErrors?: number;
}

const ADMIN_NAMESPACE = KUBE_SYSTEM;

interface AwaitProgress { attempts: number }
interface VerifyProgress { attempts: number; oldTokenFirstAcceptedAt?: number }
interface RestartProgress { attempts: number; patched: boolean }
interface RecycleProgress {
  attempts: number;
  /** 'sending': the POST went out without a known answer; 'sent': Linode accepted it */
  recycle?: 'sending' | 'sent';
  sentAt?: number;
}

/** Heartbeat details from the previous attempt of this activity, if it left any. */
function resumed<T extends object>(fallback: T): T {
  const details: unknown = Context.current().info.heartbeatDetails;
  return details && typeof details === 'object' ? { ...fallback, ...(details as Partial<T>) } : fallback;
}

/** giveUp: the failure to end the wait with, if it ends on this poll's reason (default: the wait's timeoutType) */
type GiveUp = (waited: string) => Error;
type Poll<T> = { done: true; value: T } | { done: false; why: string; giveUp?: GiveUp };
const done = <T>(value: T): Poll<T> => ({ done: true, value });
const notYet = (why: string, giveUp?: GiveUp): Poll<never> => ({ done: false, why, ...(giveUp ? { giveUp } : {}) });

/** Every node of every pool, as the Linode API lists them. */
function poolsOf(pools: LkePool[]): PoolNodeRef[] {
  return pools.flatMap((pool) => pool.nodes.map((node) => ({
    poolId: pool.id, nodeId: node.id, instanceId: node.instance_id, status: node.status,
  })));
}

/** What the snapshot knows from the Linode API alone. */
function clusterFacts(clusterId: number, cluster: LkeCluster, poolNodes: PoolNodeRef[]) {
  return {
    clusterId,
    label: cluster.label,
    region: cluster.region,
    k8sVersion: cluster.k8s_version,
    tier: cluster.tier,
    highAvailability: cluster.control_plane?.high_availability ?? false,
    poolNodes,
  };
}

/** The new kubeconfig answers 401: a later regenerate superseded it (the workflow awaits a fresh one). */
function revoked(clusterId: number, fingerprint: string) {
  return nonRetryable(FailureType.kubeconfigRevoked,
    `cluster ${clusterId}: the new kubeconfig ${fingerprint} is rejected (401): a later regenerate superseded it`);
}

/** For the new kubeconfig's failures: a 401 on it means revoked, not bad credentials. */
function revokedOn401(clusterId: number, fingerprint: string) {
  return (err: unknown): never => {
    throw isFailureOfType(err, FailureType.kubeUnauthorized) ? revoked(clusterId, fingerprint) : err;
  };
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : 'unknown error';
}

export function createActivities(deps: ActivityDeps): RotationActivities {
  const { linode, sink } = deps;
  const cache = deps.kubeconfigCache ?? createKubeconfigCache();
  const pollIntervalMs = deps.pollIntervalMs ?? 5_000;
  const tokenCacheWindowMs = deps.tokenCacheWindowMs ?? 20_000;
  const recycleResendAfterMs = deps.recycleResendAfterMs ?? 120_000;
  const regenerateSettleMs = deps.regenerateSettleMs ?? 45_000;
  const maxTransient = deps.maxConsecutiveTransientErrors ?? 5;

  /**
   * The heartbeating wait every long step shares: `check` returns done with a value, or why not yet.
   * Transient failures count as "not yet" (honouring Retry-After) until too many in a row; then the
   * activity fails retryably and its next attempt resumes from the heartbeat. Shortly before the
   * attempt's start-to-close timeout it fails with `timeoutType` and the last reason, so a Blocked
   * rotation says what it was waiting for instead of a bare timeout.
   */
  async function waitFor<T>(
    what: string, timeoutType: FailureTypeName, progress: { attempts: number }, check: () => Promise<Poll<T>>,
  ): Promise<T> {
    const ctx = Context.current();
    const startedAt = Date.now();
    const budgetMs = ctx.info.startToCloseTimeoutMs;
    const giveUpAt = budgetMs > 0 ? startedAt + budgetMs - Math.min(10_000, budgetMs / 10) : Number.POSITIVE_INFINITY;
    let transientInARow = 0;
    let why: string;
    let giveUp: GiveUp | undefined;
    for (;;) {
      progress.attempts++;
      // a copy: the SDK may encode details after we have moved on and mutated `progress`
      ctx.heartbeat({ ...progress });
      let delay = pollIntervalMs;
      try {
        const poll = await check();
        if (poll.done) return poll.value;
        why = poll.why;
        giveUp = poll.giveUp;
        transientInARow = 0;
      } catch (err) {
        if (!isTransient(err) || ++transientInARow >= maxTransient) throw err;
        why = describe(err);
        giveUp = undefined;
        ctx.log.warn(`${what}: transient error, polling on`, { error: why, inARow: transientInARow });
        const retryDelay = err.nextRetryDelay;
        if (typeof retryDelay === 'number') delay = Math.max(delay, retryDelay);
      }
      if (Date.now() + delay >= giveUpAt) {
        if (giveUp) throw giveUp(`after ${Date.now() - startedAt} ms (${progress.attempts} polls)`);
        throw retryable(timeoutType, `${what}: still waiting after ${Date.now() - startedAt} ms (${progress.attempts} polls): ${why}`);
      }
      await ctx.sleep(delay);
    }
  }

  async function currentKubeconfig(clusterId: number): Promise<string> {
    const fetched = await linode.getKubeconfig(clusterId);
    if (fetched.status === 'notReady') {
      throw retryable(FailureType.kubeconfigNotReady, `cluster ${clusterId}: the Linode API has no kubeconfig available yet`);
    }
    return fetched.kubeconfig;
  }

  /** The kubeconfig with this token fingerprint: from the cache, else the Linode API if it still serves it. */
  async function kubeconfigWithFingerprint(clusterId: number, fingerprint: string): Promise<string> {
    const cached = await cache.get(clusterId, fingerprint);
    if (cached !== null) return cached;
    const fetched = await currentKubeconfig(clusterId);
    const actual = kubeconfigFingerprint(fetched);
    if (actual !== fingerprint) {
      throw nonRetryable(FailureType.kubeconfigChanged,
        `cluster ${clusterId}: the Linode API now serves kubeconfig ${actual}, not ${fingerprint}; credentials were rotated again`);
    }
    await cache.put(clusterId, fingerprint, fetched);
    return fetched;
  }

  /**
   * Watches the kubeconfig for the settle window: a 503 (regeneration under way) or a token other
   * than `previousFingerprint` means an earlier regenerate took. Null when none appeared.
   */
  async function signOfRegenerate(clusterId: number, previousFingerprint: string): Promise<string | null> {
    const ctx = Context.current();
    // within the attempt's own time: a retry that timed out here would only be retried again
    const budgetMs = ctx.info.startToCloseTimeoutMs;
    const until = Date.now() + (budgetMs > 0 ? Math.min(regenerateSettleMs, budgetMs / 2) : regenerateSettleMs);
    for (let polls = 1; ; polls++) {
      ctx.heartbeat({ settlePolls: polls });
      try {
        const fetched = await linode.getKubeconfig(clusterId);
        if (fetched.status === 'notReady') return 'the kubeconfig answers 503: a regeneration is under way';
        if (kubeconfigFingerprint(fetched.kubeconfig) !== previousFingerprint) return 'the Linode API serves a new kubeconfig';
      } catch (err) {
        if (!isTransient(err)) throw err;
      }
      if (Date.now() + pollIntervalMs > until) return null;
      await ctx.sleep(pollIntervalMs);
    }
  }

  /** The pre-rotation kubeconfig, to prove its token dead; after a worker restart only the sink may still have it. */
  async function previousKubeconfig(clusterId: number, fingerprint: string): Promise<string | null> {
    const cached = await cache.get(clusterId, fingerprint);
    if (cached !== null) return cached;
    const delivered = await sink.read(clusterId);
    if (delivered === null) return null;
    try {
      return kubeconfigFingerprint(delivered) === fingerprint ? delivered : null;
    } catch {
      return null;
    }
  }

  return {
    async snapshotCluster({ clusterId, restartScope }: SnapshotInput): Promise<ClusterSnapshot> {
      const log = Context.current().log;
      const cluster = await linode.getCluster(clusterId);
      const pools = await linode.listPools(clusterId);
      const served = await linode.getKubeconfig(clusterId);
      if (served.status === 'notReady') {
        // A regeneration is under way (a rotation stopped inside its window, or one by hand): the
        // old credentials are gone or going, and the new ones are not out yet. Waiting here would
        // leave the run stoppable with no one to deliver them; the workflow rolls forward instead.
        log.warn('the kubeconfig answers 503: a regeneration is under way', { clusterId });
        return {
          ...clusterFacts(clusterId, cluster, poolsOf(pools)), takenAt: new Date().toISOString(), adminTokenFingerprint: null,
          tokenSecrets: [], nodes: [], workloads: [], credentials: 'regenerating',
        };
      }
      const { kubeconfig } = served;
      const fingerprint = kubeconfigFingerprint(kubeconfig);
      await cache.put(clusterId, fingerprint, kubeconfig);
      const kube = deps.kube(kubeconfig);
      if (await kube.checkAccess() === 'unauthorized') {
        // Nothing in the cluster can be read; what Linode knows (pools) is enough to roll forward.
        log.warn('the current kubeconfig is rejected (401): the cluster has no working credentials', { clusterId, fingerprint });
        return {
          ...clusterFacts(clusterId, cluster, poolsOf(pools)), takenAt: new Date().toISOString(), adminTokenFingerprint: fingerprint,
          tokenSecrets: [], nodes: [], workloads: [], credentials: 'rejected',
        };
      }
      const lkeAccounts = lkeTokenServiceAccounts(cluster.k8s_version);
      const [secrets, nodes, workloads] = await Promise.all([
        kube.listTokenSecrets(ADMIN_NAMESPACE), kube.listNodes(), kube.listWorkloads(restartScope),
      ]);
      const poolNodes = poolsOf(pools);
      const tokenSecrets = secrets.map((s) => snapshotRef(s, lkeAccounts));
      log.info('snapshot taken', {
        clusterId, fingerprint, tokenSecrets: secrets.length, userOwnedTokenSecrets: tokenSecrets.filter(isUserOwned).length, nodes: nodes.length, poolNodes: poolNodes.length,
        workloads: workloads.length,
      });
      return {
        ...clusterFacts(clusterId, cluster, poolNodes),
        takenAt: new Date().toISOString(),
        adminTokenFingerprint: fingerprint,
        tokenSecrets,
        nodes,
        workloads,
      };
    },

    async deleteTokenSecrets({ clusterId, secrets }: DeleteTokensInput): Promise<DeleteTokensResult> {
      const ctx = Context.current();
      const result: DeleteTokensResult = { deleted: [], alreadyGone: [], conflicts: [] };
      if (secrets.length === 0) return result;
      const kubeconfig = await currentKubeconfig(clusterId);
      const ownFingerprint = kubeconfigFingerprint(kubeconfig);
      const kube = deps.kube(kubeconfig);

      // Our own credential is one of these Secrets (lke-admin): deleting it first would lock us out of
      // the rest, so it goes last. Which one it is shows in the token fingerprints.
      const namespaces = [...new Set(secrets.map((s) => s.namespace))];
      let ownUids: Set<string>;
      try {
        const current = (await Promise.all(namespaces.map((ns) => kube.listTokenSecrets(ns)))).flat();
        ownUids = new Set(current.filter((s) => s.tokenFingerprint === ownFingerprint).map((s) => s.uid));
      } catch (err) {
        if (!isFailureOfType(err, FailureType.kubeUnauthorized)) throw err;
        // The credential is already dead. Since it is always deleted last, an earlier attempt got
        // through every other Secret before deleting it.
        ctx.log.warn('kubeconfig already rejected: an earlier attempt finished the deletes', { clusterId });
        result.alreadyGone.push(...secrets.map((s) => s.name));
        return result;
      }
      const ordered: TokenSecretRef[] = [
        ...secrets.filter((s) => !ownUids.has(s.uid)), ...secrets.filter((s) => ownUids.has(s.uid)),
      ];
      for (const secret of ordered) {
        const outcome = await kube.deleteSecret(secret.namespace, secret.name, secret.uid);
        if (outcome === 'deleted') result.deleted.push(secret.name);
        else if (outcome === 'notFound') result.alreadyGone.push(secret.name);
        else {
          result.conflicts.push(secret.name);
          ctx.log.warn('token Secret was replaced after the snapshot; left alone', { clusterId, secret: secret.name });
        }
        ctx.heartbeat({ processed: result.deleted.length + result.alreadyGone.length + result.conflicts.length });
      }
      ctx.log.info('token Secrets deleted', {
        clusterId, deleted: result.deleted.length, alreadyGone: result.alreadyGone.length, conflicts: result.conflicts.length,
      });
      return result;
    },

    async regenerateCredentials({ clusterId, previousFingerprint, lookFirst = false }: RegenerateInput): Promise<RegenerateResult> {
      const ctx = Context.current();
      const { attempt } = ctx.info;
      // An earlier attempt may have regenerated and lost the reply (a 5xx after the side effect, a
      // dropped connection, a dead worker). LKE shows a regeneration under way as a 503 kubeconfig and
      // a finished one as a kubeconfig with a new token, but it may keep serving the old kubeconfig
      // for a while first; a second POST would only rotate again, so a retry watches for a sign of
      // the earlier one for the settle window before it POSTs.
      let reason: string | undefined;
      if ((attempt > 1 || lookFirst) && typeof previousFingerprint === 'string') {
        const sign = await signOfRegenerate(clusterId, previousFingerprint);
        if (sign !== null) {
          ctx.log.info('an earlier attempt already regenerated; not regenerating again', { clusterId, sign });
          return { posted: false, attempt, reason: sign };
        }
        reason = `an earlier ${attempt > 1 ? 'attempt' : 'regenerate'}'s answer was lost and LKE showed no sign of it within ${regenerateSettleMs} ms`;
      }
      await linode.regenerate(clusterId, { kubeconfig: true, servicetoken: true });
      ctx.log.info('credentials regenerated', { clusterId, attempt });
      return { posted: true, attempt, ...(reason ? { reason } : {}) };
    },

    async awaitKubeconfig({ clusterId, previousFingerprint, supersededFingerprints = [] }: AwaitKubeconfigInput): Promise<AwaitKubeconfigResult> {
      const progress = resumed<AwaitProgress>({ attempts: 0 });
      const fingerprint = await waitFor(`cluster ${clusterId}: new kubeconfig`, FailureType.kubeconfigNotReady, progress, async () => {
        const fetched = await linode.getKubeconfig(clusterId);
        if (fetched.status === 'notReady') return notYet('the Linode API answers 503, kubeconfig not yet available');
        const candidate = kubeconfigFingerprint(fetched.kubeconfig);
        // LKE can keep serving the old kubeconfig for a while after regenerate
        if (candidate === previousFingerprint) return notYet('the Linode API still serves the old kubeconfig');
        if (supersededFingerprints.includes(candidate)) return notYet(`the Linode API still serves ${candidate}, already superseded`);
        // the control plane restarts with the new token; until then the apiserver answers 401
        if (await deps.kube(fetched.kubeconfig).checkAccess() !== 'ok') return notYet(`the apiserver rejects the new token ${candidate}`);
        await cache.put(clusterId, candidate, fetched.kubeconfig);
        return done(candidate);
      });
      Context.current().log.info('new kubeconfig works', { clusterId, fingerprint, attempts: progress.attempts });
      return { fingerprint, attempts: progress.attempts };
    },

    async verifyRotation(input: VerifyInput): Promise<VerifyResult> {
      const { clusterId, newFingerprint, previousFingerprint, nodes, oldSecrets } = input;
      const excluded = input.excludeSecrets ?? [];
      const log = Context.current().log;
      const kube = deps.kube(await kubeconfigWithFingerprint(clusterId, newFingerprint));
      const oldKubeconfig = previousFingerprint === null ? null : await previousKubeconfig(clusterId, previousFingerprint);
      const oldKube = oldKubeconfig === null ? null : deps.kube(oldKubeconfig);
      if (oldKube === null) log.warn('old kubeconfig not at hand: cannot check the old token is dead', { clusterId });

      const progress = resumed<VerifyProgress>({ attempts: 0 });
      let oldTokenRejected: boolean | 'unchecked' = oldKube === null ? 'unchecked' : false;

      return waitFor(`cluster ${clusterId}: verify`, FailureType.verifyIncomplete, progress, async () => {
        const current = await kube.listNodes();
        const readyNames = new Set(current.filter((n) => n.ready).map((n) => n.name));
        const notReady = nodes.filter((n) => !readyNames.has(n.name)).map((n) => n.name);

        const secrets = (await Promise.all(
          [...new Set([ADMIN_NAMESPACE, ...oldSecrets.map((s) => s.namespace)])].map((ns) => kube.listTokenSecrets(ns)))).flat();
        const tokens = tokenSecretsState(oldSecrets, secrets, excluded);

        if (oldKube !== null && oldTokenRejected === false) {
          if (await oldKube.checkAccess() === 'unauthorized') {
            oldTokenRejected = true;
          } else {
            progress.oldTokenFirstAcceptedAt ??= Date.now();
            if (Date.now() - progress.oldTokenFirstAcceptedAt > tokenCacheWindowMs) {
              throw nonRetryable(FailureType.oldTokenStillAccepted,
                `cluster ${clusterId}: the old admin token (${previousFingerprint}) is still accepted ` +
                `${tokenCacheWindowMs} ms after it should have died`);
            }
          }
        }
        if (notReady.length > 0 || tokens.missing.length > 0 || oldTokenRejected === false) {
          const why = [
            notReady.length > 0 ? `Nodes not Ready: ${notReady.join(', ')}` : '',
            tokens.missing.length > 0 ? `token Secrets without a new token yet: ${describeMissing(tokens.missing)}` : '',
            oldTokenRejected === false ? 'the old admin token is still accepted' : '',
          ].filter(Boolean).join('; ');
          // only the Secrets left: no token Secret may hold verify forever; Blocked naming them
          const onlySecrets = notReady.length === 0 && oldTokenRejected !== false;
          return notYet(why, onlySecrets ? (waited) => tokenSecretsMissingFailure(clusterId, tokens.missing, waited) : undefined);
        }
        log.info('rotation verified', {
          clusterId, nodesReady: nodes.length, renewed: tokens.renewedServiceAccounts.length,
          userOwnedRenewed: tokens.renewedUserSecrets.length, excluded: excluded.length, oldTokenRejected,
        });
        return done({
          nodesReady: nodes.length, serviceAccountsWithNewToken: tokens.renewedServiceAccounts, oldTokenRejected, newFingerprint,
          ...(oldSecrets.some(isUserOwned) ? { userTokenSecretsRenewed: tokens.renewedUserSecrets } : {}),
          ...(excluded.length > 0 ? { excludedTokenSecrets: excluded } : {}),
        });
      }).catch(revokedOn401(clusterId, newFingerprint));
    },

    async recreateUserTokenSecrets({ clusterId, newFingerprint, secrets }: RecreateTokensInput): Promise<RecreateTokensResult> {
      const kube = deps.kube(await kubeconfigWithFingerprint(clusterId, newFingerprint));
      const result = await recreateUserTokenSecrets(kube, secrets);
      Context.current().log.info('user-owned token Secrets recreated', {
        clusterId, created: result.created.length, alreadyThere: result.alreadyThere.length,
        serviceAccountMissing: result.serviceAccountMissing,
      });
      return result;
    },

    async deliverKubeconfig({ clusterId, label, fingerprint }: DeliverInput) {
      const kubeconfig = await kubeconfigWithFingerprint(clusterId, fingerprint);
      // never hand over a kubeconfig that a later regenerate already revoked
      if (await deps.kube(kubeconfig).checkAccess() === 'unauthorized') throw revoked(clusterId, fingerprint);
      let location: string;
      try {
        location = await sink.write(clusterId, label, kubeconfig);
      } catch (err) {
        // file system errors name paths, not contents; still, keep only the code
        const code = (err as NodeJS.ErrnoException).code ?? 'unknown';
        throw retryable(FailureType.sinkWriteFailed, `cluster ${clusterId}: writing the kubeconfig failed (${code})`);
      }
      Context.current().log.info('kubeconfig delivered', { clusterId, fingerprint, location });
      return { location, fingerprint };
    },

    async restartWorkload({ clusterId, workload, restartedAt }: RestartWorkloadInput): Promise<RestartResult> {
      const log = Context.current().log;
      const kube = deps.kube(await currentKubeconfig(clusterId));
      const id = `${workload.kind} ${workload.namespace}/${workload.name}`;
      const progress = resumed<RestartProgress>({ attempts: 0, patched: false });
      const state = await kube.getWorkload(workload);
      if (state.restartedAt !== restartedAt) {
        // kubectl refuses to restart a paused Deployment: the new template would never roll out
        if (state.kind === 'Deployment' && state.paused) {
          throw nonRetryable(FailureType.deploymentPaused, `${id} in cluster ${clusterId} is paused; resume it or skip the restart`);
        }
        await kube.patchRestartedAt(workload, restartedAt);
        progress.patched = true;
        Context.current().heartbeat({ ...progress });
        log.info('workload restart requested', { clusterId, workload: id, restartedAt });
      }
      await waitFor(`cluster ${clusterId}: rollout of ${id}`, FailureType.rolloutNotDone, progress, async () => {
        const status = rolloutStatus(await kube.getWorkload(workload));
        if (status.state === 'failed') throw nonRetryable(FailureType.rolloutFailed, `cluster ${clusterId}: ${status.message}`);
        return status.state === 'done' ? done(true) : notYet(status.message);
      });
      log.info('workload rolled out', { clusterId, workload: id, patched: progress.patched });
      return { workload, patched: progress.patched };
    },

    async recycleNode({ clusterId, node }: RecycleNodeInput): Promise<RecycleResult> {
      const ctx = Context.current();
      const oldInstanceId = node.instanceId;
      const kube = deps.kube(await currentKubeconfig(clusterId));
      const progress = resumed<RecycleProgress>({ attempts: 0 });
      let skipped = false;

      const onNewInstance = (n: { instance_id: number | null; status: string }): n is { instance_id: number; status: 'ready' } =>
        n.instance_id !== null && n.instance_id !== oldInstanceId && n.status === 'ready';

      const sendRecycle = async (): Promise<void> => {
        progress.recycle = 'sending';
        progress.sentAt = Date.now();
        ctx.heartbeat({ ...progress });
        await linode.recycleNode(clusterId, node.nodeId);
        progress.recycle = 'sent';
        ctx.heartbeat({ ...progress });
        ctx.log.info('node recycle requested', { clusterId, nodeId: node.nodeId, oldInstanceId });
      };

      const initial = await linode.getNode(clusterId, node.nodeId);
      if (progress.recycle === undefined) {
        if (onNewInstance(initial)) {
          skipped = true;
          ctx.log.info('node already on a new instance; not recycling again', { clusterId, nodeId: node.nodeId });
        } else if (initial.instance_id === oldInstanceId) {
          await sendRecycle();
        }
        // else: instance gone or not ready on a new one: a recycle from an earlier attempt is under way
      }

      const newInstanceId = await waitFor(`cluster ${clusterId}: recycle of node ${node.nodeId}`, FailureType.recycleNotDone, progress, async () => {
        const current = await linode.getNode(clusterId, node.nodeId);
        if (!onNewInstance(current)) {
          const unanswered = progress.recycle === 'sending' && current.instance_id === oldInstanceId &&
            Date.now() - (progress.sentAt ?? 0) > recycleResendAfterMs;
          if (unanswered) await sendRecycle();
          return notYet(`Linode node is ${current.status} on instance ${current.instance_id ?? 'none'}`);
        }
        const providerID = `linode://${current.instance_id}`;
        const replacement = (await kube.listNodes()).find((n) => n.providerID === providerID);
        if (!replacement) return notYet(`no Kubernetes Node with providerID ${providerID} yet`);
        return replacement.ready ? done(current.instance_id) : notYet(`Node ${replacement.name} is not Ready`);
      });
      ctx.log.info('node replaced', { clusterId, nodeId: node.nodeId, oldInstanceId, newInstanceId, skipped });
      return { nodeId: node.nodeId, oldInstanceId, newInstanceId, skipped };
    },

    async releaseKubeconfigs({ clusterId }: ReleaseKubeconfigsInput): Promise<ReleaseKubeconfigsResult> {
      // only this worker's cache: another worker's entries age out (see kubeconfig/cache.ts)
      const released = await cache.release(clusterId);
      Context.current().log.info('cached kubeconfigs released', { clusterId, released });
      return { released };
    },
  };
}
