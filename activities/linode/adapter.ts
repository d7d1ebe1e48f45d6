// LinodePort on @linode/api-v4. The library builds absolute https://api.linode.com/v4beta/... and
// /v4/... URLs and keeps its axios instance (and so the token and origin) global to the process.
// We install ONE request interceptor that points those URLs at the configured API origin and sets the
// bearer token. Consequence: one process talks to one Linode account; calling createLinodePort again
// re-targets every port in the process (tests that start a second simulator rely on that).
import * as linodeApi from '@linode/api-v4';
import type { AxiosRequestConfig, InternalAxiosRequestConfig } from 'axios';
import type { LinodePage, LkeCluster, LkePool, LkePoolNode } from '../../common/types.js';
import { DEFAULT_LINODE_API_URL } from '../../common/names.js';
import { type ClassifyOptions, FailureType, linodeFailure, nonRetryable, rethrowIfCancelled } from '../errors.js';
import type { KubeconfigFetch, LinodePort, ListClustersOptions, RegenerateRequest } from '../ports.js';

export interface LinodeClientConfig {
  /** LINODE_API_URL: an origin such as https://api.linode.com or http://127.0.0.1:4010 (no /v4) */
  apiUrl: string;
  token: string;
  /** per-request timeout; default 30 s */
  timeoutMs?: number;
  retryAfterScale?: number;
  /** aborts in-flight requests (live: the running activity's cancellationSignal) */
  cancellation?: () => AbortSignal | undefined;
}

// The package's typings re-export its LKE functions from directory indexes ('./kubernetes'), which
// NodeNext resolution does not follow; these are the signatures of node_modules/@linode/api-v4/lib/kubernetes.
interface LinodeLkeFunctions {
  getKubernetesCluster(clusterId: number): Promise<unknown>;
  getKubernetesClusters(params?: { page?: number; page_size?: number }, filter?: object): Promise<unknown>;
  getNodePools(clusterId: number, params?: { page?: number; page_size?: number }): Promise<LinodePage<unknown>>;
  getKubeConfig(clusterId: number): Promise<{ kubeconfig: string }>;
  recycleNode(clusterId: number, nodeId: string): Promise<unknown>;
}
const { baseRequest } = linodeApi;
const { getKubernetesCluster, getKubernetesClusters, getNodePools, getKubeConfig, recycleNode } =
  linodeApi as unknown as LinodeLkeFunctions;

// The library's own API origin; its functions (and ours below, for the endpoints it lacks) use it.
// It exports no setURL/setMethod/setData, only its axios instance (baseRequest), which we call directly.
const LIBRARY_ORIGIN = 'https://api.linode.com';
const V4 = `${LIBRARY_ORIGIN}/v4`;
const POOL_PAGE_SIZE = 500;

let active: { origin: string; token: string; cancellation?: () => AbortSignal | undefined } | null = null;
let interceptorInstalled = false;

function rewriteAndAuthorize(config: InternalAxiosRequestConfig): InternalAxiosRequestConfig {
  if (!active) throw new Error('Linode client used before createLinodePort() configured it');
  if (typeof config.url === 'string' && config.url.startsWith(LIBRARY_ORIGIN)) {
    config.url = active.origin + config.url.slice(LIBRARY_ORIGIN.length);
  }
  config.headers.set('Authorization', `Bearer ${active.token}`);
  const signal = active.cancellation?.();
  if (signal) config.signal = signal;
  return config;
}

function configureClient(config: LinodeClientConfig): void {
  const origin = (config.apiUrl || DEFAULT_LINODE_API_URL).replace(/\/+$/, '').replace(/\/v4(beta)?$/, '');
  active = { origin, token: config.token, cancellation: config.cancellation };
  baseRequest.defaults.timeout = config.timeoutMs ?? 30_000;
  if (!interceptorInstalled) {
    baseRequest.interceptors.request.use(rewriteAndAuthorize);
    interceptorInstalled = true;
  }
}

/** For endpoints @linode/api-v4 has no function for; same instance, so same rewrite and token. */
async function call<T>(config: AxiosRequestConfig): Promise<T> {
  const response = await baseRequest.request<T>(config);
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

export function createLinodePort(config: LinodeClientConfig): LinodePort {
  configureClient(config);
  const classify: ClassifyOptions = { retryAfterScale: config.retryAfterScale, cancellation: config.cancellation };
  const guard = async <T>(action: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
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
        return (await getKubernetesClusters(params, options.filter)) as unknown as LinodePage<LkeCluster>;
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
        encoded = (await getKubeConfig(clusterId)).kubeconfig;
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
