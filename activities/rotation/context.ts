// What every rotation activity shares: the injected ports, the settings with their defaults, the
// heartbeating poll loop, and the kubeconfig lookups. Built once per worker by createActivities.
import { Context } from '@temporalio/activity';
import { FailureType, type FailureTypeName } from '../../common/failures.js';
import { isTransient, nonRetryable, retryable } from '../errors.js';
import { createKubeconfigCache } from '../kubeconfig/cache.js';
import { kubeconfigFingerprint } from '../kubeconfig/parse.js';
import type { KubeconfigCache, KubeconfigSink, KubePortFactory, LinodePort } from '../ports.js';

export interface ActivityDeps {
  linode: LinodePort;
  kube: KubePortFactory;
  sink: KubeconfigSink;
  /** default: in memory (a verify after a worker restart then checks the old token only via the sink) */
  kubeconfigCache?: KubeconfigCache;
  /** pause between polls of the long waits; default 5 s */
  pollIntervalMs?: number;
  /**
   * LKE's known delay before a regenerated kubeconfig is served (2 to 5 minutes): the wait for it
   * polls first after this long, then backs off, so it spends few requests of the Linode budget;
   * default 24 poll intervals (2 minutes at the default interval)
   */
  kubeconfigDelayMs?: number;
  /**
   * how long LKE takes at least to replace a recycled node: the wait for the replacement polls the
   * Linode node first after this long, then backs off; default 12 poll intervals (1 minute)
   */
  nodeRecycleDelayMs?: number;
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

/** Heartbeat details from the previous attempt of this activity, if it left any. */
export function resumed<T extends object>(fallback: T): T {
  const details: unknown = Context.current().info.heartbeatDetails;
  return details && typeof details === 'object' ? { ...fallback, ...(details as Partial<T>) } : fallback;
}

/** giveUp: the failure to end the wait with, if it ends on this poll's reason (default: the wait's timeoutType) */
export type GiveUp = (waited: string) => Error | Promise<Error>;
export type Poll<T> = { done: true; value: T } | { done: false; why: string; giveUp?: GiveUp };
export const done = <T>(value: T): Poll<T> => ({ done: true, value });
export const notYet = (why: string, giveUp?: GiveUp): Poll<never> => ({ done: false, why, ...(giveUp ? { giveUp } : {}) });

function describe(err: unknown): string {
  return err instanceof Error ? err.message : 'unknown error';
}

export type ActivityContext = ReturnType<typeof createActivityContext>;

export interface WaitOptions {
  /** an earlier end than the attempt's budget (epoch ms): one item's limit inside a batch */
  until?: number;
  /** the pause after the n-th poll of this attempt (1-based); default the poll interval */
  pauseAfter?: (polls: number) => number;
  /** when the attempt's work began (epoch ms), if before the wait: its time counts against the budget; default now */
  startedAt?: number;
}

export function createActivityContext(deps: ActivityDeps) {
  const { linode, sink } = deps;
  const cache = deps.kubeconfigCache ?? createKubeconfigCache();
  const pollIntervalMs = deps.pollIntervalMs ?? 5_000;
  const maxTransient = deps.maxConsecutiveTransientErrors ?? 5;
  const settings = {
    pollIntervalMs,
    tokenCacheWindowMs: deps.tokenCacheWindowMs ?? 20_000,
    recycleResendAfterMs: deps.recycleResendAfterMs ?? 120_000,
    regenerateSettleMs: deps.regenerateSettleMs ?? 45_000,
    kubeconfigDelayMs: deps.kubeconfigDelayMs ?? 24 * pollIntervalMs,
    nodeRecycleDelayMs: deps.nodeRecycleDelayMs ?? 12 * pollIntervalMs,
  };
  /** after a known delay, polls of the Linode API back off from two intervals to six (10 s to 30 s at the defaults) */
  const linodeBackoff = (polls: number): number => Math.min(6 * pollIntervalMs, pollIntervalMs * 2 ** polls);

  /**
   * The heartbeating wait every long step shares: `check` returns done with a value, or why not yet.
   * Transient failures count as "not yet" (honouring Retry-After) until too many in a row; then the
   * activity fails retryably and its next attempt resumes from the heartbeat. Shortly before the
   * attempt's start-to-close timeout it fails with `timeoutType` and the last reason, so a Blocked
   * rotation says what it was waiting for instead of a bare timeout.
   */
  async function waitFor<T>(
    what: string, timeoutType: FailureTypeName, progress: { attempts: number }, check: () => Promise<Poll<T>>,
    options: WaitOptions = {},
  ): Promise<T> {
    const ctx = Context.current();
    const { until = Number.POSITIVE_INFINITY, pauseAfter = () => pollIntervalMs, startedAt = Date.now() } = options;
    const budgetMs = ctx.info.startToCloseTimeoutMs;
    const giveUpAt = Math.min(until, budgetMs > 0 ? startedAt + budgetMs - Math.min(10_000, budgetMs / 10) : Number.POSITIVE_INFINITY);
    let transientInARow = 0;
    let why: string;
    let giveUp: GiveUp | undefined;
    for (let polls = 1; ; polls++) {
      progress.attempts++;
      // a copy: the SDK may encode details after we have moved on and mutated `progress`
      ctx.heartbeat({ ...progress });
      let delay = pauseAfter(polls);
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
        if (giveUp) throw await giveUp(`after ${Date.now() - startedAt} ms (${progress.attempts} polls)`);
        throw retryable(timeoutType, `${what}: still waiting after ${Date.now() - startedAt} ms (${progress.attempts} polls): ${why}`);
      }
      await ctx.sleep(delay);
    }
  }

  /** Sleeps `ms`, heartbeating well within the heartbeat timeout so it does not end a long pause. */
  async function pause(ms: number, heartbeat: () => void): Promise<void> {
    const ctx = Context.current();
    const heartbeatTimeoutMs = ctx.info.heartbeatTimeoutMs ?? 0;
    const step = heartbeatTimeoutMs > 0 ? Math.min(pollIntervalMs, heartbeatTimeoutMs / 3) : pollIntervalMs;
    for (let until = Date.now() + ms; Date.now() < until;) {
      heartbeat();
      await ctx.sleep(Math.max(1, Math.min(step, until - Date.now())));
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

  return { deps, linode, sink, cache, settings, waitFor, pause, linodeBackoff, currentKubeconfig, kubeconfigWithFingerprint, previousKubeconfig };
}
