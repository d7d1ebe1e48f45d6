// The KubePort calls a drain and the 'affected' restart scope need, on @kubernetes/client-node 1.x:
// cordon, the pods of a node, the Eviction subresource, PodDisruptionBudgets, and what pod templates use.
import {
  AppsV1Api, CoreV1Api, PatchStrategy, PolicyV1Api, setHeaderOptions,
  type ConfigurationOptions, type KubeConfig, type ObservableMiddleware, type V1Pod, type V1PodTemplateSpec,
} from '@kubernetes/client-node';
import type { WorkloadKind } from '../../common/types.js';
import { kubeFailure, kubeStatusCode, kubeStatusMessage, rethrowIfCancelled, type ClassifyOptions } from '../errors.js';
import type { DisruptionBudgetInfo, EvictOutcome, KubePort, PodInfo, PodTemplateUse } from '../ports.js';

const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';

type Guard = <T>(action: string, fn: () => Promise<T>) => Promise<T>;

/** Every Secret a pod template names, and how (what a token rotation makes stale). */
export function secretRefsOf(template: V1PodTemplateSpec | undefined): PodTemplateUse['secretRefs'] {
  const refs: PodTemplateUse['secretRefs'] = [];
  const spec = template?.spec;
  for (const volume of spec?.volumes ?? []) {
    if (volume.secret?.secretName) refs.push({ name: volume.secret.secretName, via: 'secret volume' });
    for (const source of volume.projected?.sources ?? []) {
      if (source.secret?.name) refs.push({ name: source.secret.name, via: 'projected volume' });
    }
  }
  for (const container of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) {
    for (const env of container.env ?? []) {
      if (env.valueFrom?.secretKeyRef?.name) refs.push({ name: env.valueFrom.secretKeyRef.name, via: 'env' });
    }
    for (const from of container.envFrom ?? []) {
      if (from.secretRef?.name) refs.push({ name: from.secretRef.name, via: 'envFrom' });
    }
  }
  return refs;
}

function podInfo(pod: V1Pod): PodInfo {
  const controller = pod.metadata?.ownerReferences?.find((o) => o.controller) ?? null;
  return {
    namespace: pod.metadata?.namespace ?? '',
    name: pod.metadata?.name ?? '',
    uid: pod.metadata?.uid ?? '',
    labels: { ...pod.metadata?.labels },
    controllerKind: controller?.kind ?? null,
    mirror: pod.metadata?.annotations?.[MIRROR_ANNOTATION] !== undefined,
    finished: pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed',
    terminating: pod.metadata?.deletionTimestamp !== undefined,
  };
}

type DrainCalls = Pick<KubePort, 'listPodTemplates' | 'cordonNode' | 'listPodsOnNode' | 'evictPod' | 'listDisruptionBudgets'>;

export function drainCalls(
  config: KubeConfig, perRequest: ConfigurationOptions<ObservableMiddleware>, guard: Guard, options: ClassifyOptions,
): DrainCalls {
  const core = config.makeApiClient(CoreV1Api);
  const apps = config.makeApiClient(AppsV1Api);
  const policy = config.makeApiClient(PolicyV1Api);
  const use = (kind: WorkloadKind) =>
    (o: { metadata?: { namespace?: string; name?: string }; spec?: { template?: V1PodTemplateSpec } }): PodTemplateUse => ({
      ref: { kind, namespace: o.metadata?.namespace ?? '', name: o.metadata?.name ?? '' },
      serviceAccountName: o.spec?.template?.spec?.serviceAccountName ?? null,
      secretRefs: secretRefsOf(o.spec?.template),
    });

  return {
    listPodTemplates: (namespace) =>
      guard(`list workloads in ${namespace}`, async () => {
        const [deployments, statefulSets, daemonSets] = await Promise.all([
          apps.listNamespacedDeployment({ namespace }, perRequest),
          apps.listNamespacedStatefulSet({ namespace }, perRequest),
          apps.listNamespacedDaemonSet({ namespace }, perRequest),
        ]);
        return [
          ...deployments.items.map(use('Deployment')),
          ...statefulSets.items.map(use('StatefulSet')),
          ...daemonSets.items.map(use('DaemonSet')),
        ];
      }),

    cordonNode: (name) =>
      guard(`cordon Node ${name}`, async () => {
        // what `kubectl cordon` sends; a second one changes nothing
        const patchOptions = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch, perRequest);
        await core.patchNode({ name, body: { spec: { unschedulable: true } } }, patchOptions);
      }),

    listPodsOnNode: (name) =>
      guard(`list the pods of Node ${name}`, async () => {
        const list = await core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${name}` }, perRequest);
        return list.items.map(podInfo);
      }),

    evictPod: async (namespace, name): Promise<EvictOutcome> => {
      try {
        const body = { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace } };
        await core.createNamespacedPodEviction({ namespace, name, body }, perRequest);
        return { outcome: 'evicted' };
      } catch (err) {
        rethrowIfCancelled(options);
        const status = kubeStatusCode(err);
        if (status === 404) return { outcome: 'gone' };
        // the apiserver's answer while a PodDisruptionBudget allows no disruption: wait and try again
        if (status === 429) return { outcome: 'blocked', message: kubeStatusMessage(err) ?? 'a disruption budget allows no disruption now' };
        throw kubeFailure(err, `evict pod ${namespace}/${name}`, options);
      }
    },

    listDisruptionBudgets: () =>
      guard('list PodDisruptionBudgets', async () => {
        const list = await policy.listPodDisruptionBudgetForAllNamespaces({}, perRequest);
        return list.items.map((b): DisruptionBudgetInfo => ({
          namespace: b.metadata?.namespace ?? '',
          name: b.metadata?.name ?? '',
          matchLabels: b.spec?.selector?.matchExpressions?.length ? null : b.spec?.selector?.matchLabels ?? null,
          disruptionsAllowed: b.status?.disruptionsAllowed ?? 0,
          currentHealthy: b.status?.currentHealthy ?? 0,
          desiredHealthy: b.status?.desiredHealthy ?? 0,
        }));
      }),
  };
}
