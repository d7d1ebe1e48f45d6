// The real dependencies: @linode/api-v4 against LINODE_API_URL, @kubernetes/client-node per
// kubeconfig, and the kubeconfig directory. The Linode client is process-global (see
// activities/linode/adapter.ts): one worker process rotates the clusters of one Linode account.
import { join } from 'node:path';
import { Context } from '@temporalio/activity';
import { createKubeconfigCache } from './cache.js';
import type { ActivityDeps } from './index.js';
import { kubePortFactory } from './kube/adapter.js';
import { createLinodePort } from './linode/adapter.js';
import { createDirectorySink } from './sink.js';

export interface LiveConfig {
  linodeApiUrl: string;
  linodeToken: string;
  /** KUBECONFIG_DIR: delivered kubeconfigs; the worker's cache lives in its .cache subdirectory */
  kubeconfigDir: string;
  pollIntervalMs?: number;
  tokenCacheWindowMs?: number;
  recycleResendAfterMs?: number;
  /** scales Retry-After waits (time-scaled simulators); default 1 */
  retryAfterScale?: number;
  requestTimeoutMs?: number;
}

/** The running activity's cancellation, so a cancelled activity stops waiting on the network too. */
function activityCancellation(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined; // not inside an activity (the API, a script)
  }
}

export function createLiveDependencies(config: LiveConfig): ActivityDeps {
  const classify = {
    retryAfterScale: config.retryAfterScale, timeoutMs: config.requestTimeoutMs, cancellation: activityCancellation,
  };
  return {
    linode: createLinodePort({
      apiUrl: config.linodeApiUrl, token: config.linodeToken, timeoutMs: config.requestTimeoutMs,
      retryAfterScale: config.retryAfterScale, cancellation: activityCancellation,
    }),
    kube: kubePortFactory(classify),
    sink: createDirectorySink(config.kubeconfigDir),
    // on disk, so a verify after a worker restart can still prove the old token dead
    kubeconfigCache: createKubeconfigCache({ dir: join(config.kubeconfigDir, '.cache') }),
    pollIntervalMs: config.pollIntervalMs,
    tokenCacheWindowMs: config.tokenCacheWindowMs,
    recycleResendAfterMs: config.recycleResendAfterMs,
  };
}
