// The `secret` kubeconfig sink (KUBECONFIG_SINK=secret): each delivered kubeconfig becomes a Secret
// in a namespace of the management cluster the service runs in, so every worker replica delivers to
// and reads from the same place. One Secret per cluster, `lke-kubeconfig-<id>`, labelled with the
// cluster id, key `kubeconfig`, type Opaque.
//
// Writes are compare-and-swap on resourceVersion: read, then create (absent) or replace with the
// read resourceVersion; a 409 (another writer came between) re-reads and tries again, so no write is
// ever lost to or silently based on a stale read. The same content again is no write at all, which
// makes a retried delivery idempotent. The kubeconfig itself never enters a message or a log line.
import { CoreV1Api, KubeConfig, type V1Secret } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { FailureType } from '../../common/failures.js';
import { kubeFailure, kubeStatusCode, retryable, type ClassifyOptions } from '../errors.js';
import { requestOptions } from '../kube/adapter.js';
import type { KubeconfigSink } from '../ports.js';

export const CLUSTER_ID_LABEL = 'lke-rotator.io/cluster-id';
export const CLUSTER_LABEL_ANNOTATION = 'lke-rotator.io/cluster-label';
export const KUBECONFIG_KEY = 'kubeconfig';
const CONFLICT_PAUSE_MS = 20;
const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'lke-rotator' };

export const kubeconfigSecretName = (clusterId: number): string => `lke-kubeconfig-${clusterId}`;

/** How the sink reaches the management cluster. */
export type ManagementCluster =
  /** the pod's service account (KubeConfig.loadFromCluster) */
  | { inCluster: true }
  /** a kubeconfig file (KUBECONFIG_SINK_KUBECONFIG), for running outside the cluster */
  | { kubeconfigFile: string }
  /** a kubeconfig held in memory (tests) */
  | { kubeconfigYaml: string };

export interface SecretSinkOptions extends ClassifyOptions {
  namespace: string;
  cluster: ManagementCluster;
  /** per request; default 30 s */
  timeoutMs?: number;
  /** how many 409s one write re-reads through before giving up (retryable: the activity tries again); default 20 */
  maxConflicts?: number;
}

function loadKubeConfig(cluster: ManagementCluster): KubeConfig {
  const config = new KubeConfig();
  if ('inCluster' in cluster) config.loadFromCluster();
  else if ('kubeconfigFile' in cluster) config.loadFromFile(cluster.kubeconfigFile);
  else config.loadFromString(cluster.kubeconfigYaml);
  return config;
}

const encoded = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

export function createSecretSink(options: SecretSinkOptions): KubeconfigSink {
  const { namespace } = options;
  // built on first use: the API composes the same adapters and never delivers
  let core: CoreV1Api | undefined;
  const api = () => (core ??= loadKubeConfig(options.cluster).makeApiClient(CoreV1Api));
  const perRequest = requestOptions(options.timeoutMs ?? 30_000, options.cancellation);
  const maxConflicts = options.maxConflicts ?? 20;

  const readSecret = async (name: string): Promise<V1Secret | null> => {
    try {
      return await api().readNamespacedSecret({ name, namespace }, perRequest);
    } catch (err) {
      if (kubeStatusCode(err) === 404) return null;
      throw err;
    }
  };

  const desired = (clusterId: number, label: string, kubeconfigYaml: string, resourceVersion?: string): V1Secret => ({
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: kubeconfigSecretName(clusterId),
      namespace,
      labels: { ...MANAGED_BY, [CLUSTER_ID_LABEL]: String(clusterId) },
      annotations: { [CLUSTER_LABEL_ANNOTATION]: label },
      ...(resourceVersion ? { resourceVersion } : {}),
    },
    data: { [KUBECONFIG_KEY]: encoded(kubeconfigYaml) },
  });

  const upToDate = (current: V1Secret, clusterId: number, label: string, kubeconfigYaml: string): boolean =>
    current.data?.[KUBECONFIG_KEY] === encoded(kubeconfigYaml) &&
    current.metadata?.labels?.[CLUSTER_ID_LABEL] === String(clusterId) &&
    current.metadata?.annotations?.[CLUSTER_LABEL_ANNOTATION] === label;

  return {
    async write(clusterId, label, kubeconfigYaml) {
      const name = kubeconfigSecretName(clusterId);
      const location = `secret/${namespace}/${name}`;
      try {
        for (let conflicts = 0; ; conflicts++) {
          const current = await readSecret(name);
          if (current && upToDate(current, clusterId, label, kubeconfigYaml)) return location;
          try {
            if (current) {
              const body = desired(clusterId, label, kubeconfigYaml, current.metadata?.resourceVersion);
              await api().replaceNamespacedSecret({ name, namespace, body }, perRequest);
            } else {
              await api().createNamespacedSecret({ namespace, body: desired(clusterId, label, kubeconfigYaml) }, perRequest);
            }
            return location;
          } catch (err) {
            // 409: modified (replace) or created (create) since the read; read again, after a short
            // random pause so that writers racing for the same Secret spread out
            if (kubeStatusCode(err) !== 409) throw err;
            if (conflicts >= maxConflicts) {
              throw retryable(FailureType.kubeConflict, `deliver the kubeconfig to ${location}: still conflicting after ${conflicts} re-reads`);
            }
            await sleep(Math.random() * CONFLICT_PAUSE_MS * Math.min(conflicts + 1, 5));
          }
        }
      } catch (err) {
        throw kubeFailure(err, `deliver the kubeconfig to ${location}`, options);
      }
    },
    async read(clusterId) {
      const name = kubeconfigSecretName(clusterId);
      try {
        const data = (await readSecret(name))?.data?.[KUBECONFIG_KEY];
        return data === undefined ? null : Buffer.from(data, 'base64').toString('utf8');
      } catch (err) {
        throw kubeFailure(err, `read the kubeconfig from secret/${namespace}/${name}`, options);
      }
    },
  };
}
