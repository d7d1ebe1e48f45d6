// The LKE simulator as a library: a seeded fleet, the Linode API v4 listener and the HTTPS listener
// for every cluster's Kubernetes API, sharing one clock, one fault injector and one audit log.
import { randomBytes } from 'node:crypto';
import { AuditLog } from './audit.js';
import { SimClock } from './clock.js';
import { FaultInjector, seededRandom } from './faults.js';
import { generateFleet } from './fleet.js';
import { KubeCluster, startKubeServer } from './kube/index.js';
import type { RateLimitOverrides } from './linode/rateLimit.js';
import { startLinodeServer } from './linode/server.js';
import type { LinodeRequestStats } from './linode/stats.js';
import { DEFAULT_DELAYS, SimState, type SimDelays } from './state.js';

export interface SimulatorOptions {
  /** how many clusters the seeded fleet has; default 10 */
  clusters?: number;
  seed?: number;
  /** real ms per simulated ms: 0.001 turns LKE's 2-minute kubeconfig wait into 120 ms; default 1 */
  timeScale?: number;
  /** Linode API port; default any free port */
  port?: number;
  /** Kubernetes API (HTTPS) port; default any free port */
  kubePort?: number;
  /** the full-access Linode token; default a random one */
  token?: string;
  /** a token with read-only scopes; default a random one */
  readOnlyToken?: string;
  /**
   * Linode's documented rate limits per token (LINODE_RATE_LIMITS: 1,600 requests per 2 minutes, 800 per
   * minute per endpoint, 100 per minute and 10 per second for collection GETs), counted in real time;
   * ON by default, as on the real API. `false` turns them off: a time-scaled world polls at a pace the
   * real one never does, so such tests and benches say so. An object overrides some of the numbers.
   */
  rateLimit?: RateLimitOverrides | false;
  /** simulated durations; see DEFAULT_DELAYS */
  delays?: Partial<SimDelays>;
  /**
   * simulated ms the Kubernetes API caches a successful token check, so a token works that long after
   * its Secret is deleted; default 10 s, as the apiserver's cache (DEFAULT_TOKEN_CACHE_MS). 0 turns it off.
   */
  tokenCacheMs?: number;
  /** app namespaces per cluster; default chosen per cluster by the seed */
  appNamespaces?: number;
  /** regions the generated clusters are spread over; default nine LKE regions */
  regions?: string[];
  /**
   * user-owned legacy token Secrets each cluster holds in kube-system, for service accounts a user made
   * (ci-deployer, argocd-manager...): the guide deletes them too, LKE's regenerate does not recreate
   * them; default 0, so the demo and the tests see only what LKE creates unless they ask
   */
  userTokenSecrets?: number;
  /** a PodDisruptionBudget (maxUnavailable 1) per app StatefulSet and per app Deployment of 2+ replicas; default true */
  pdbs?: boolean;
  /** nodes per cluster, spread over its pools (benches); default 1-3 per pool, chosen by the seed */
  nodesPerCluster?: number;
  /** app Deployments per cluster, 2 replicas and a budget each, over the app namespaces (benches); default one per namespace */
  workloadsPerCluster?: number;
}

export interface Simulator {
  /** http://127.0.0.1:<port>, without /v4: clients add /v4 or /v4beta */
  linodeApiUrl: string;
  linodeToken: string;
  readOnlyToken: string;
  /** https://127.0.0.1:<port>/k8s/clusters; a cluster's server is `${kubeBaseUrl}/${id}` */
  kubeBaseUrl: string;
  caPem: string;
  faults: FaultInjector;
  audit: AuditLog;
  /** every Linode API request by endpoint and answer, 429s apart (also GET /_sim/stats) */
  linodeStats: LinodeRequestStats;
  state: SimState<KubeCluster>;
  clock: SimClock;
  stop(): Promise<void>;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const seed = options.seed ?? 1;
  const clock = new SimClock(options.timeScale ?? 1);
  const faults = new FaultInjector(seed);
  const audit = new AuditLog();
  const state = new SimState<KubeCluster>(clock, { ...DEFAULT_DELAYS, ...options.delays }, seededRandom(seed ^ 0x5eed));
  generateFleet(state, {
    clusters: options.clusters ?? 10, seed, appNamespaces: options.appNamespaces, regions: options.regions,
    userTokenSecrets: options.userTokenSecrets, pdbs: options.pdbs, nodesPerCluster: options.nodesPerCluster,
    workloadsPerCluster: options.workloadsPerCluster,
  },
    (kubeSeed) => KubeCluster.seed(kubeSeed, clock));

  const kube = await startKubeServer({
    port: options.kubePort, clusters: (id) => state.kube(id), faults, audit, clock, tokenCacheMs: options.tokenCacheMs,
  });
  // Linode personal access tokens are 64 hex characters.
  const linodeToken = options.token ?? randomBytes(32).toString('hex');
  const readOnlyToken = options.readOnlyToken ?? randomBytes(32).toString('hex');
  let linode;
  try {
    linode = await startLinodeServer({
      state, faults, audit, kube: { baseUrl: kube.baseUrl, caPem: kube.caPem },
      token: linodeToken, readOnlyToken, rateLimit: options.rateLimit, port: options.port,
    });
  } catch (error) {
    state.stop();
    await kube.stop();
    throw error;
  }

  return {
    linodeApiUrl: linode.url,
    linodeToken,
    readOnlyToken,
    kubeBaseUrl: kube.baseUrl,
    caPem: kube.caPem,
    faults,
    audit,
    linodeStats: linode.stats,
    state,
    clock,
    stop: async () => {
      state.stop();
      await Promise.all([linode.stop(), kube.stop()]);
    },
  };
}

export type { SimDelays } from './state.js';
export { DEFAULT_DELAYS } from './state.js';
export { STATS_PATH, type EndpointStats, type LinodeStatsSnapshot } from './linode/stats.js';
export { LINODE_RATE_LIMITS, type LinodeRateLimits, type RateLimitOverrides } from './linode/rateLimit.js';
