// The pods/eviction subresource (POST .../pods/<name>/eviction with a policy/v1 Eviction), as the
// apiserver answers it: the pod's PodDisruptionBudget decides (429 TooManyRequests when it allows no
// disruption), otherwise the pod is deleted and its controller recreates it on a schedulable node.
// kubectl drain evicts through this once discovery lists pods/eviction and the policy group.
import type { KubeCluster } from './cluster.js';
import { budgetsOfPod, computePdbStatus } from './disruption.js';
import { KubeApiError, badRequest, notFound } from './status.js';
import type { KubeObject } from './store.js';

const EVICTION_VERSIONS = new Set(['policy/v1', 'policy/v1beta1']);
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isReady = (pod: KubeObject) =>
  ((pod.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [])
    .some((c) => c.type === 'Ready' && c.status === 'True');

export interface EvictionReply { status: number; body: unknown }

/** validates the Eviction body, then evicts the pod unless its budget forbids it; `dryRun` checks without deleting */
export function evictPod(cluster: KubeCluster, namespace: string, name: string, body: unknown, dryRun: boolean): EvictionReply {
  const eviction = checkEviction(body, namespace, name);
  const pod = cluster.store.get('pods', namespace, name);
  if (!pod) throw notFound('pods', '', name);
  const { preconditions, dryRun: bodyDryRun } = eviction.deleteOptions;
  if (preconditions?.uid && preconditions.uid !== pod.metadata.uid) {
    throw new KubeApiError(409, `Operation cannot be fulfilled on pods "${name}": Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${pod.metadata.uid}`,
      'Conflict', { name, kind: 'pods' });
  }

  // the apiserver lets pods that run nothing go without asking a budget (canIgnorePDB)
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  if (phase !== 'Pending' && phase !== 'Succeeded' && phase !== 'Failed') checkBudget(cluster, pod);

  if (!dryRun && !bodyDryRun) {
    cluster.store.delete('pods', namespace, name);
    // the owning controller notices at its next step and recreates the pod on a schedulable Ready node
    cluster.controller.scheduleAll(namespace);
  }
  return { status: 201, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 } };
}

function checkBudget(cluster: KubeCluster, pod: KubeObject): void {
  const budgets = budgetsOfPod(cluster.store, pod);
  if (budgets.length === 0) return;
  if (budgets.length > 1) {
    throw new KubeApiError(500, 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.', 'InternalError');
  }
  const [pdb] = budgets;
  // computed now rather than read from the stored status, so no stale budget lets two evictions through
  const status = computePdbStatus(cluster.store, pdb);
  // a pod that is not Ready spends no disruption: it may go while the budget is met (IfHealthyBudget)
  const allowed = isReady(pod) ? status.disruptionsAllowed > 0 : status.currentHealthy >= status.desiredHealthy;
  if (allowed) return;
  throw new KubeApiError(429, "Cannot evict pod as it would violate the pod's disruption budget.", 'TooManyRequests', {
    causes: [{
      reason: 'DisruptionBudget',
      message: `The disruption budget ${pdb.metadata.name} needs ${status.desiredHealthy} healthy pods and has ${status.currentHealthy} currently`,
    }],
  });
}

interface Eviction { deleteOptions: { preconditions?: { uid?: string }; dryRun: boolean } }

function checkEviction(body: unknown, namespace: string, name: string): Eviction {
  if (!isObject(body)) throw badRequest('the body of the request must be an Eviction object');
  if (body.kind !== undefined && body.kind !== 'Eviction') {
    throw badRequest(`the kind of the object (${String(body.kind)}) does not match the resource (Eviction)`);
  }
  if (body.apiVersion !== undefined && !EVICTION_VERSIONS.has(String(body.apiVersion))) {
    throw badRequest(`the API version in the data (${String(body.apiVersion)}) does not match the expected API version (policy/v1)`);
  }
  const metadata = isObject(body.metadata) ? body.metadata : {};
  if (metadata.name !== name) throw badRequest('name in URL does not match name in Eviction object');
  if (metadata.namespace !== undefined && metadata.namespace !== namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  const options = body.deleteOptions;
  if (options !== undefined && options !== null && !isObject(options)) throw badRequest('deleteOptions must be a DeleteOptions object');
  const preconditions = isObject(options) && isObject(options.preconditions) ? options.preconditions : undefined;
  return {
    deleteOptions: {
      preconditions: typeof preconditions?.uid === 'string' ? { uid: preconditions.uid } : undefined,
      dryRun: isObject(options) && Array.isArray(options.dryRun) && options.dryRun.includes('All'),
    },
  };
}
