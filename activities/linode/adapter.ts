// LinodePort on @linode/api-v4: each port is an instance with its own API origin, token, timeout
// and cancellation, so two ports in one process (two accounts, or a test's two simulators) do not
// interfere; activities/linode/requestContext.ts explains how, given the library's global axios
// instance. The library's functions are used where it has them; regenerate, the service-token delete,
// the kubeconfig delete and get-node it lacks, and those go through the same axios instance.
import type { AxiosRequestConfig } from 'axios';
import * as linodeApi from '@linode/api-v4';
import type { LinodePage, LkeCluster, LkePool, LkePoolNode } from '../../common/types.js';
import { DEFAULT_LINODE_API_URL } from '../../common/names.js';
import { FailureType } from '../../common/failures.js';
import { type ClassifyOptions, isFailureOfType, linodeFailure, nonRetryable, rethrowIfCancelled } from '../errors.js';
import type { LinodeBudget } from './budget.js';
import type { KubeconfigFetch, LinodePort, ListClustersOptions, RegenerateRequest } from '../ports.js';
import { linodeFilter } from './filter.js';
import { LIBRARY_ORIGIN, linodeAxios, withLinodeContext, type LinodeRequestContext } from './requestContext.js';

export interface LinodeClientConfig {
  /** LINODE_API_URL: an origin such as https://api.linode.com or http://127.0.0.1:4010 (no /v4) */
  apiUrl: string;
  token: string;
  /** per-request timeout; default 30 s */
  timeoutMs?: number;
  retryAfterScale?: number;
  /** aborts in-flight requests (live: the running activity's cancellationSignal) */
  cancellation?: () => AbortSignal | undefined;
  /** the account's budget, shared by every port on this token in the process (budget.ts); none: unpaced */
  budget?: LinodeBudget;
}

/**
 * A 429 is sent again by the port itself, after the budget has held for its Retry-After: a refused
 * request had no effect, so this holds for POSTs too. Past these, the activity fails retryably and
 * Temporal's retry waits the Retry-After again.
 */
const RATE_LIMITED_RESENDS = 3;

// The package's typings re-export its LKE functions from directory indexes ('./kubernetes'), which
// NodeNext resolution does not follow; these are the signatures of node_modules/@linode/api-v4/lib/kubernetes.
interface LinodeLkeFunctions {
  getKubernetesCluster(clusterId: number): Promise<unknown>;
  getKubernetesClusters(params?: { page?: number; page_size?: number }, filter?: object): Promise<unknown>;
  getNodePools(clusterId: number, params?: { page?: number; page_size?: number }): Promise<LinodePage<unknown>>;
  getKubeConfig(clusterId: number): Promise<{ kubeconfig: string }>;
  recycleNode(clusterId: number, nodeId: string): Promise<unknown>;
}
const { getKubernetesCluster, getKubernetesClusters, getNodePools, getKubeConfig, recycleNode } =
  linodeApi as unknown as LinodeLkeFunctions;

// Built on the library's origin, like its own URLs, so the request context re-targets both alike.
const V4 = `${LIBRARY_ORIGIN}/v4`;
const POOL_PAGE_SIZE = 500;
const DEFAULT_TIMEOUT_MS = 30_000;

/** For endpoints @linode/api-v4 has no function for. */
async function call<T>(config: AxiosRequestConfig): Promise<T> {
  const response = await linodeAxios.request<T>(config);
  return response.data;
}

function decodeKubeconfig(encoded: unknown): string {
  if (typeof encoded !== 'string' || encoded === '') {
    throw nonRetryable(FailureType.linodeBadResponse, 'GET kubeconfig: response has no kubeconfig');
  }
  const yaml = Buffer.from(encoded, 'base64').toString('utf8');
  if (!/apiVersion|clusters:/.test(yaml)) {
    throw nonRetryable(FailureType.linodeBadResponse, 'GET kubeconfig: response is not a base64 kubeconfig');
  }
  return yaml;
}

function isNotYetAvailable(err: unknown): boolean {
  const response = (err as { response?: { status?: number; headers?: { get?: (n: string) => unknown } & Record<string, unknown> } })
    ?.response;
  if (response?.status !== 503) return false;
  const headers = response.headers ?? {};
  const maintenance = typeof headers.get === 'function' ? headers.get('x-maintenance-mode') : headers['x-maintenance-mode'];
  return maintenance === undefined || maintenance === null;
}

function isRateLimited(err: unknown): boolean {
  return (err as { response?: { status?: unknown } } | null)?.response?.status === 429 || isFailureOfType(err, FailureType.linodeRateLimited);
}

export function createLinodePort(config: LinodeClientConfig): LinodePort {
  const origin = (config.apiUrl || DEFAULT_LINODE_API_URL).replace(/\/+$/, '').replace(/\/v4(beta)?$/, '');
  const classify: ClassifyOptions = { retryAfterScale: config.retryAfterScale, cancellation: config.cancellation };
  /** This port's context for one call, taken when the call starts (so the running activity's cancellation). */
  const context = (): LinodeRequestContext => ({
    origin, token: config.token, timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS, signal: config.cancellation?.(),
    budget: config.budget, retryAfterScale: config.retryAfterScale,
  });
  /** `fn` in this port's context, sent again on a 429 (the budget waits its Retry-After first). */
  const send = async <T>(fn: () => Promise<T>): Promise<T> => {
    for (let resends = 0; ; resends++) {
      try {
        return await withLinodeContext(context(), fn);
      } catch (err) {
        if (resends >= RATE_LIMITED_RESENDS || !config.budget || !isRateLimited(err)) throw err;
      }
    }
  };
  const guard = async <T>(action: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await send(fn);
    } catch (err) {
      throw linodeFailure(err, action, classify);
    }
  };
  const clusterPath = (clusterId: number): string => `${V4}/lke/clusters/${encodeURIComponent(clusterId)}`;

  return {
    getCluster: (clusterId) =>
      guard(`GET cluster ${clusterId}`, async () => (await getKubernetesCluster(clusterId)) as unknown as LkeCluster),

    listClusters: (options: ListClustersOptions = {}) =>
      guard('GET clusters', async () => {
        const params = { page: options.page ?? 1, page_size: options.pageSize ?? 100 };
        return (await getKubernetesClusters(params, linodeFilter(options.where))) as unknown as LinodePage<LkeCluster>;
      }),

    listPools: (clusterId) =>
      guard(`GET pools of cluster ${clusterId}`, async () => {
        const pools: LkePool[] = [];
        for (let page = 1; ; page++) {
          const result = await getNodePools(clusterId, { page, page_size: POOL_PAGE_SIZE });
          pools.push(...(result.data as unknown as LkePool[]));
          if (page >= result.pages) return pools;
        }
      }),

    getKubeconfig: async (clusterId): Promise<KubeconfigFetch> => {
      let encoded: unknown;
      try {
        encoded = (await send(() => getKubeConfig(clusterId))).kubeconfig;
      } catch (err) {
        if (isNotYetAvailable(err)) return { status: 'notReady' };
        rethrowIfCancelled(classify);
        throw linodeFailure(err, `GET kubeconfig of cluster ${clusterId}`, classify);
      }
      return { status: 'ready', kubeconfig: decodeKubeconfig(encoded) };
    },

    regenerate: (clusterId, request: RegenerateRequest) =>
      guard(`POST regenerate of cluster ${clusterId}`, async () => {
        await call({ method: 'POST', url: `${clusterPath(clusterId)}/regenerate`, data: request });
      }),

    deleteServiceToken: (clusterId) =>
      guard(`DELETE service token of cluster ${clusterId}`, async () => {
        await call({ method: 'DELETE', url: `${clusterPath(clusterId)}/servicetoken` });
      }),

    deleteKubeconfig: (clusterId) =>
      guard(`DELETE kubeconfig of cluster ${clusterId}`, async () => {
        await call({ method: 'DELETE', url: `${clusterPath(clusterId)}/kubeconfig` });
      }),

    recycleNode: (clusterId, nodeId) =>
      guard(`POST recycle of node ${nodeId} in cluster ${clusterId}`, async () => {
        await recycleNode(clusterId, nodeId);
      }),

    getNode: (clusterId, nodeId) =>
      guard(`GET node ${nodeId} of cluster ${clusterId}`, () =>
        call<LkePoolNode>({ method: 'GET', url: `${clusterPath(clusterId)}/nodes/${encodeURIComponent(nodeId)}` })),
  };
}
