// The composition root: compose(config) builds each outside-system adapter ONCE from the
// configuration (the Linode port, the Kubernetes port factory, the kubeconfig sink and cache) and
// the worker's activity set over them. The worker (worker/live.ts), the API (api/main.ts, through
// api/server.ts), `npm start` (one composition for both) and the dev stack (dev/localStack.ts)
// all get their adapters here, so a process holds one Linode port per account it talks to.
// It lives beside the ports and adapters it wires because those are its only ingredients; the API
// and the worker import it from here, never the adapters directly.
import { join } from 'node:path';
import { Context } from '@temporalio/activity';
import type { RotationActivities } from '../common/activities.js';
import type { FleetActivities } from '../common/fleetActivities.js';
import type { NotifyActivities } from '../common/notifications.js';
import {
  requireLinodeToken, type KubeconfigSinkConfig, type LinodeConfig, type NotificationsConfig, type Secret,
} from '../config/config.js';
import { createFleetActivities } from './fleet.js';
import { createActivities, type ActivityDeps } from './index.js';
import { kubePortFactory } from './kube/adapter.js';
import { createKubeconfigCache } from './kubeconfig/cache.js';
import { createSecretSink, type ManagementCluster } from './kubeconfig/secretSink.js';
import { createDirectorySink } from './kubeconfig/sink.js';
import { createLinodePort } from './linode/adapter.js';
import { LinodeBudget, type PeerView } from './linode/budget.js';
import { createNotifyActivities } from './notify/webhook.js';
import type { KubeconfigSink, KubePortFactory, LinodePort } from './ports.js';
import { instrumentKubeFactory, instrumentLinodePort, type CallRecorder } from './callMetrics.js';

/** Knobs of the live activities; production keeps the defaults, time-scaled simulators want short ones. */
export interface ActivityTuning {
  pollIntervalMs?: number;
  /** LKE's known delay before a new kubeconfig is served; default 24 poll intervals (activities/rotation/context.ts) */
  kubeconfigDelayMs?: number;
  /** LKE's least time to replace a recycled node; default 12 poll intervals (activities/rotation/context.ts) */
  nodeRecycleDelayMs?: number;
  tokenCacheWindowMs?: number;
  recycleResendAfterMs?: number;
  /** how long a retried regenerate watches for a sign the earlier POST took before POSTing again */
  regenerateSettleMs?: number;
  /** scales Retry-After waits (time-scaled simulators); default 1 */
  retryAfterScale?: number;
  requestTimeoutMs?: number;
}

/** What compose() reads: the service's whole Config fits, and so does a dev stack's. */
export interface CompositionConfig {
  linode: LinodeConfig;
  /** KUBECONFIG_DIR: delivered kubeconfigs; the worker's cache lives in its .cache subdirectory */
  kubeconfigDir: string;
  /** KUBECONFIG_SINK: default the directory sink on kubeconfigDir */
  kubeconfigSink?: KubeconfigSinkConfig | { kind: 'secret'; namespace: string; cluster: ManagementCluster };
  activities?: ActivityTuning;
  /** the notification webhook and the API's URL for links; default off */
  notifications?: NotificationsConfig;
  /** Temporal Web's URL and the namespace, for links in notifications */
  temporal?: { webUrl: string | undefined; namespace: string };
}

/** Every activity a worker registers on the task queue: the rotation's steps, the fleet's, and notify. */
export type WorkerActivities = RotationActivities & FleetActivities & NotifyActivities;

export interface Composition {
  /** null without a Linode token: the API then answers 503 on GET /v1/clusters and starts skip the cluster check */
  linode: LinodePort | null;
  /** what the API reads clusters with: a port on the read-only token when one is configured, else `linode` */
  readLinode: LinodePort | null;
  /** the adapters the activities run on; throws a ConfigError naming the variables without a Linode token */
  activityDeps(): ActivityDeps;
  /** the worker's activities over activityDeps(); the same object on every call */
  workerActivities(): WorkerActivities;
  /** how many worker processes share the Linode budget (worker/linodePeers.ts): each keeps to its part */
  setLinodePeers(view: PeerView): void;
}

/** The running activity's cancellation, so a cancelled activity stops waiting on the network too. */
function activityCancellation(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined; // not inside an activity (the API, a script)
  }
}

function instrumentedKube(factory: KubePortFactory, recordCall: CallRecorder | undefined): KubePortFactory {
  return recordCall ? instrumentKubeFactory(factory, recordCall) : factory;
}

function kubeconfigSink(config: CompositionConfig, tuning: ActivityTuning): KubeconfigSink {
  const sink = config.kubeconfigSink ?? { kind: 'directory' };
  if (sink.kind === 'directory') return createDirectorySink(config.kubeconfigDir);
  const cluster: ManagementCluster = 'cluster' in sink
    ? sink.cluster
    : sink.kubeconfigFile ? { kubeconfigFile: sink.kubeconfigFile } : { inCluster: true };
  return createSecretSink({
    namespace: sink.namespace, cluster, timeoutMs: tuning.requestTimeoutMs,
    retryAfterScale: tuning.retryAfterScale, cancellation: activityCancellation,
  });
}

export interface ComposeOptions {
  /** counts every Linode and Kubernetes call (worker/metrics.ts); default: not counted */
  recordCall?: CallRecorder;
}

export function compose(config: CompositionConfig, options: ComposeOptions = {}): Composition {
  const tuning = config.activities ?? {};
  const { recordCall } = options;
  // one budget per token: Linode counts per token, and two ports on one token spend the same budget
  const budgets = new Map<string, LinodeBudget>();
  const budgetOf = (token: string): LinodeBudget => {
    let budget = budgets.get(token);
    if (!budget) budgets.set(token, budget = new LinodeBudget({ share: config.linode.budgetShare, general: config.linode.generalLimit }));
    return budget;
  };
  const linodePort = (token: Secret | undefined): LinodePort | null => {
    if (!token) return null;
    const port = createLinodePort({
      apiUrl: config.linode.apiUrl, token: token.reveal(), timeoutMs: tuning.requestTimeoutMs,
      retryAfterScale: tuning.retryAfterScale, cancellation: activityCancellation, budget: budgetOf(token.reveal()),
    });
    return recordCall ? instrumentLinodePort(port, recordCall) : port;
  };
  const linode = linodePort(config.linode.token);
  const readLinode = config.linode.readToken ? linodePort(config.linode.readToken) : linode;
  const deps: ActivityDeps | null = linode && {
    linode,
    kube: instrumentedKube(kubePortFactory({
      retryAfterScale: tuning.retryAfterScale, timeoutMs: tuning.requestTimeoutMs, cancellation: activityCancellation,
    }), recordCall),
    sink: kubeconfigSink(config, tuning),
    // on disk, so a verify after a worker restart can still prove the old token dead
    kubeconfigCache: createKubeconfigCache({ dir: join(config.kubeconfigDir, '.cache') }),
    pollIntervalMs: tuning.pollIntervalMs,
    kubeconfigDelayMs: tuning.kubeconfigDelayMs,
    nodeRecycleDelayMs: tuning.nodeRecycleDelayMs,
    tokenCacheWindowMs: tuning.tokenCacheWindowMs,
    recycleResendAfterMs: tuning.recycleResendAfterMs,
    regenerateSettleMs: tuning.regenerateSettleMs,
  };
  const notify = createNotifyActivities({
    webhook: config.notifications?.webhook,
    links: { temporalWebUrl: config.temporal?.webUrl, namespace: config.temporal?.namespace ?? 'default', apiUrl: config.notifications?.apiUrl },
    requestTimeoutMs: tuning.requestTimeoutMs,
  });
  const activities: WorkerActivities | null = deps && {
    ...createActivities(deps), ...createFleetActivities({ linode: deps.linode, kube: deps.kube }), ...notify,
  };
  const required = <T>(built: T | null): T => {
    if (built === null) requireLinodeToken(config); // null only without a token: this throws its ConfigError
    return built as T;
  };
  return {
    linode,
    readLinode,
    activityDeps: () => required(deps),
    workerActivities: () => required(activities),
    setLinodePeers: (view) => { for (const budget of budgets.values()) budget.setPeers(view); },
  };
}
