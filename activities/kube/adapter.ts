// KubePort on @kubernetes/client-node 1.x, from a kubeconfig string (never a file: the kubeconfig
// lives only in memory and the worker-local cache).
import {
  AppsV1Api, CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions,
  type ConfigurationOptions, type ObservableMiddleware, type V1DaemonSet, type V1Deployment, type V1Node,
  type V1StatefulSet,
} from '@kubernetes/client-node';
// Per-request middleware must return the generated client's Observable stub; the package has no
// exports map, so this deep import is stable for the pinned 1.4.
import { of } from '@kubernetes/client-node/dist/gen/rxjsStub.js';
import type { KubeNodeRef, RestartScope, WorkloadKind, WorkloadRef } from '../../common/types.js';
import {
  RESTARTED_AT_ANNOTATION, SERVICE_ACCOUNT_NAME_ANNOTATION, SERVICE_ACCOUNT_TOKEN_TYPE,
} from '../../common/names.js';
import { FailureType } from '../../common/failures.js';
import { type ClassifyOptions, kubeFailure, kubeStatusCode, nonRetryable, rethrowIfCancelled } from '../errors.js';
import { assertSafeKubeconfig, tokenFingerprint } from '../kubeconfig/parse.js';
import type {
  AccessCheck, CreateOutcome, DaemonSetState, DeleteOutcome, DeploymentState, KubePort, KubePortFactory, StatefulSetState,
  TokenSecretInfo, WorkloadState,
} from '../ports.js';
import { carriedAnnotations } from './tokenSecrets.js';
import { drainCalls } from './drainCalls.js';

export interface KubeClientOptions extends ClassifyOptions {
  /** per-request timeout; default 30 s */
  timeoutMs?: number;
}

export function requestOptions(timeoutMs: number, cancellation?: () => AbortSignal | undefined): ConfigurationOptions<ObservableMiddleware> {
  const middleware: ObservableMiddleware = {
    pre: (request) => {
      const cancelled = cancellation?.();
      const timeout = AbortSignal.timeout(timeoutMs);
      request.setSignal(cancelled ? AbortSignal.any([timeout, cancelled]) : timeout);
      return of(request);
    },
    post: (response) => of(response),
  };
  return { middleware: [middleware], middlewareMergeStrategy: 'append' };
}

function nodeReady(node: V1Node): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

type AppsWorkload = V1Deployment | V1StatefulSet | V1DaemonSet;

function baseState(w: AppsWorkload): Pick<WorkloadState, 'namespace' | 'name' | 'generation' | 'observedGeneration' | 'restartedAt'> {
  return {
    namespace: w.metadata?.namespace ?? '',
    name: w.metadata?.name ?? '',
    generation: w.metadata?.generation ?? 0,
    observedGeneration: w.status?.observedGeneration ?? 0,
    restartedAt: w.spec?.template?.metadata?.annotations?.[RESTARTED_AT_ANNOTATION] ?? null,
  };
}

function deploymentState(d: V1Deployment): DeploymentState {
  return {
    kind: 'Deployment',
    ...baseState(d),
    paused: d.spec?.paused ?? false,
    specReplicas: d.spec?.replicas ?? 1,
    replicas: d.status?.replicas ?? 0,
    updatedReplicas: d.status?.updatedReplicas ?? 0,
    availableReplicas: d.status?.availableReplicas ?? 0,
    progressDeadlineExceeded: d.status?.conditions?.some(
      (c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded') ?? false,
  };
}

function statefulSetState(s: V1StatefulSet): StatefulSetState {
  return {
    kind: 'StatefulSet',
    ...baseState(s),
    updateStrategy: s.spec?.updateStrategy?.type === 'OnDelete' ? 'OnDelete' : 'RollingUpdate',
    partition: s.spec?.updateStrategy?.rollingUpdate?.partition ?? 0,
    partitioned: s.spec?.updateStrategy?.rollingUpdate !== undefined,
    currentRevision: s.status?.currentRevision ?? null,
    updateRevision: s.status?.updateRevision ?? null,
    specReplicas: s.spec?.replicas ?? 1,
    readyReplicas: s.status?.readyReplicas ?? 0,
    updatedReplicas: s.status?.updatedReplicas ?? 0,
  };
}

function daemonSetState(d: V1DaemonSet): DaemonSetState {
  return {
    kind: 'DaemonSet',
    ...baseState(d),
    updateStrategy: d.spec?.updateStrategy?.type === 'OnDelete' ? 'OnDelete' : 'RollingUpdate',
    desiredNumberScheduled: d.status?.desiredNumberScheduled ?? 0,
    updatedNumberScheduled: d.status?.updatedNumberScheduled ?? 0,
    numberAvailable: d.status?.numberAvailable ?? 0,
  };
}

const refOf = (kind: WorkloadKind) => (o: { metadata?: { namespace?: string; name?: string } }): WorkloadRef => ({
  kind, namespace: o.metadata?.namespace ?? '', name: o.metadata?.name ?? '',
});

export function createKubePort(kubeconfigYaml: string, options: KubeClientOptions = {}): KubePort {
  // the client would honour insecure-skip-tls-verify and run exec or auth-provider commands
  assertSafeKubeconfig(kubeconfigYaml);
  const config = new KubeConfig();
  try {
    config.loadFromString(kubeconfigYaml);
  } catch {
    throw nonRetryable(FailureType.badKubeconfig, 'kubeconfig could not be loaded');
  }
  if (!config.getCurrentCluster()) throw nonRetryable(FailureType.badKubeconfig, 'kubeconfig has no current cluster');
  const core = config.makeApiClient(CoreV1Api);
  const apps = config.makeApiClient(AppsV1Api);
  const perRequest = requestOptions(options.timeoutMs ?? 30_000, options.cancellation);
  const guard = async <T>(action: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw kubeFailure(err, action, options);
    }
  };

  const drain = drainCalls(config, perRequest, guard, options);
  const workloadsIn = async (namespace: string | null): Promise<WorkloadRef[]> => {
    // a namespace's workloads are what listPodTemplates reads there, without what their templates use
    if (namespace !== null) return (await drain.listPodTemplates(namespace)).map((t) => t.ref);
    const [deployments, statefulSets, daemonSets] = await Promise.all([
      apps.listDeploymentForAllNamespaces({}, perRequest),
      apps.listStatefulSetForAllNamespaces({}, perRequest),
      apps.listDaemonSetForAllNamespaces({}, perRequest),
    ]);
    return [
      ...deployments.items.map(refOf('Deployment')),
      ...statefulSets.items.map(refOf('StatefulSet')),
      ...daemonSets.items.map(refOf('DaemonSet')),
    ];
  };

  return {
    ...drain,
    listTokenSecrets: (namespace) =>
      guard(`list token Secrets in ${namespace}`, async () => {
        const list = await core.listNamespacedSecret(
          { namespace, fieldSelector: `type=${SERVICE_ACCOUNT_TOKEN_TYPE}` }, perRequest);
        return list.items.map((s): TokenSecretInfo => {
          const token = s.data?.token ? Buffer.from(s.data.token, 'base64').toString('utf8') : null;
          return {
            namespace: s.metadata?.namespace ?? namespace,
            name: s.metadata?.name ?? '',
            uid: s.metadata?.uid ?? '',
            serviceAccount: s.metadata?.annotations?.[SERVICE_ACCOUNT_NAME_ANNOTATION] ?? '',
            created: s.metadata?.creationTimestamp ? new Date(s.metadata.creationTimestamp).toISOString() : '',
            tokenFingerprint: token ? tokenFingerprint(token) : null,
            labels: { ...s.metadata?.labels },
            // what can hold a copy of the data never leaves the adapter
            annotations: carriedAnnotations(s.metadata?.annotations),
          };
        });
      }),

    createTokenSecret: async ({ namespace, name, serviceAccount, labels, annotations }): Promise<CreateOutcome> => {
      const body = {
        apiVersion: 'v1', kind: 'Secret', type: SERVICE_ACCOUNT_TOKEN_TYPE,
        metadata: { name, namespace, labels, annotations: { ...annotations, [SERVICE_ACCOUNT_NAME_ANNOTATION]: serviceAccount } },
      };
      try {
        await core.createNamespacedSecret({ namespace, body }, perRequest);
        return 'created';
      } catch (err) {
        rethrowIfCancelled(options);
        if (kubeStatusCode(err) === 409) return 'exists';
        throw kubeFailure(err, `create Secret ${namespace}/${name}`, options);
      }
    },

    serviceAccountExists: async (namespace, name): Promise<boolean> => {
      try {
        await core.readNamespacedServiceAccount({ namespace, name }, perRequest);
        return true;
      } catch (err) {
        rethrowIfCancelled(options);
        if (kubeStatusCode(err) === 404) return false;
        throw kubeFailure(err, `read ServiceAccount ${namespace}/${name}`, options);
      }
    },

    deleteSecret: async (namespace, name, uid): Promise<DeleteOutcome> => {
      try {
        await core.deleteNamespacedSecret({ namespace, name, body: { preconditions: { uid } } }, perRequest);
        return 'deleted';
      } catch (err) {
        rethrowIfCancelled(options);
        const status = kubeStatusCode(err);
        if (status === 404) return 'notFound';
        if (status === 409) return 'conflict';
        throw kubeFailure(err, `delete Secret ${namespace}/${name}`, options);
      }
    },

    listNodes: () =>
      guard('list Nodes', async () => {
        const list = await core.listNode({}, perRequest);
        return list.items.map((n): KubeNodeRef => ({
          name: n.metadata?.name ?? '',
          providerID: n.spec?.providerID ?? null,
          ready: nodeReady(n),
          ...(n.spec?.unschedulable ? { unschedulable: true as const } : {}),
        }));
      }),

    listWorkloads: (scope: RestartScope) =>
      guard('list workloads', async () => {
        if (scope === 'none') return [];
        if (scope === 'all') return workloadsIn(null);
        // 'affected' reads pod templates instead (listPodTemplates)
        if (scope === 'affected') return [];
        const namespaces = scope === 'kube-system' ? ['kube-system'] : scope.namespaces;
        return (await Promise.all(namespaces.map(workloadsIn))).flat();
      }),

    getWorkload: (ref): Promise<WorkloadState> =>
      guard(`read ${ref.kind} ${ref.namespace}/${ref.name}`, async () => {
        const params = { namespace: ref.namespace, name: ref.name };
        switch (ref.kind) {
          case 'Deployment': return deploymentState(await apps.readNamespacedDeployment(params, perRequest));
          case 'StatefulSet': return statefulSetState(await apps.readNamespacedStatefulSet(params, perRequest));
          case 'DaemonSet': return daemonSetState(await apps.readNamespacedDaemonSet(params, perRequest));
        }
      }),

    patchRestartedAt: (ref, restartedAt) =>
      guard(`patch restartedAt of ${ref.kind} ${ref.namespace}/${ref.name}`, async () => {
        // what `kubectl rollout restart` sends
        const body = { spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: restartedAt } } } } };
        const params = { namespace: ref.namespace, name: ref.name, body };
        const patchOptions = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch, perRequest);
        switch (ref.kind) {
          case 'Deployment': await apps.patchNamespacedDeployment(params, patchOptions); break;
          case 'StatefulSet': await apps.patchNamespacedStatefulSet(params, patchOptions); break;
          case 'DaemonSet': await apps.patchNamespacedDaemonSet(params, patchOptions); break;
        }
      }),

    checkAccess: async (): Promise<AccessCheck> => {
      try {
        await core.listNode({ limit: 1 }, perRequest);
        return 'ok';
      } catch (err) {
        rethrowIfCancelled(options);
        if (kubeStatusCode(err) === 401) return 'unauthorized';
        throw kubeFailure(err, 'check access (list Nodes)', options);
      }
    },
  };
}

export function kubePortFactory(options: KubeClientOptions = {}): KubePortFactory {
  return (kubeconfigYaml) => createKubePort(kubeconfigYaml, options);
}
