// PodDisruptionBudgets: the spec's validation and the disruption controller that keeps each budget's
// status current. The status is recomputed synchronously whenever a pod, a workload or the budget
// itself changes, so the Eviction subresource (eviction.ts) and readers always see fresh numbers.
import { KubeApiError } from './status.js';
import { timestamp, type ChangeListener, type KubeObject, type ObjectStore } from './store.js';
import { isWorkloadResource } from './workloads.js';

type IntOrPercent = number | string;
interface LabelSelectorRequirement { key: string; operator: string; values?: string[] }
interface LabelSelector { matchLabels?: Record<string, string>; matchExpressions?: LabelSelectorRequirement[] }
interface PdbSpec { minAvailable?: IntOrPercent; maxUnavailable?: IntOrPercent; selector?: LabelSelector }
interface Condition { type: string; status: string; reason: string; message: string; observedGeneration?: number; lastTransitionTime?: string }

export interface PdbStatus {
  observedGeneration: number;
  disruptionsAllowed: number;
  currentHealthy: number;
  desiredHealthy: number;
  expectedPods: number;
  conditions: Condition[];
}

const PERCENT = /^(\d+)%$/;
const specOf = (pdb: KubeObject) => (pdb.spec ?? {}) as PdbSpec;
const isReady = (pod: KubeObject) =>
  ((pod.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [])
    .some((c) => c.type === 'Ready' && c.status === 'True');
const phaseOf = (pod: KubeObject) => (pod.status as { phase?: string } | undefined)?.phase;

/** metav1.LabelSelector semantics: a missing selector matches nothing, an empty one everything */
export function selectorMatches(selector: LabelSelector | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector) return false;
  const own = labels ?? {};
  if (!Object.entries(selector.matchLabels ?? {}).every(([key, value]) => own[key] === value)) return false;
  return (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    switch (operator) {
      case 'In': return key in own && values.includes(own[key]);
      case 'NotIn': return !(key in own) || !values.includes(own[key]);
      case 'Exists': return key in own;
      case 'DoesNotExist': return !(key in own);
      default: return false;
    }
  });
}

/** the apiserver's validation of a PodDisruptionBudget spec (422 Invalid) */
export function validatePdb(pdb: KubeObject): void {
  const spec = specOf(pdb);
  const fail = (detail: string) => new KubeApiError(422, `PodDisruptionBudget.policy "${pdb.metadata.name}" is invalid: ${detail}`,
    'Invalid', { name: pdb.metadata.name, group: 'policy', kind: 'PodDisruptionBudget' });
  if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined) {
    throw fail('spec: Invalid value: minAvailable and maxUnavailable cannot be both set');
  }
  for (const field of ['minAvailable', 'maxUnavailable'] as const) {
    const value = spec[field];
    if (value === undefined) continue;
    const valid = typeof value === 'number'
      ? Number.isInteger(value) && value >= 0
      : typeof value === 'string' && PERCENT.test(value) && Number(PERCENT.exec(value)![1]) <= 100;
    if (!valid) throw fail(`spec.${field}: Invalid value: ${JSON.stringify(value)}: must be a non-negative integer or a percentage between 0% and 100%`);
  }
}

/** pods of the budget's namespace its selector picks, without the finished ones */
export function podsOfBudget(store: ObjectStore, pdb: KubeObject): KubeObject[] {
  const selector = specOf(pdb).selector;
  return [...store.inNamespace('pods', pdb.metadata.namespace)].filter((pod) =>
    selectorMatches(selector, pod.metadata.labels) && phaseOf(pod) !== 'Succeeded' && phaseOf(pod) !== 'Failed');
}

/** the budgets whose selector picks a pod */
export function budgetsOfPod(store: ObjectStore, pod: KubeObject): KubeObject[] {
  return [...store.inNamespace('poddisruptionbudgets', pod.metadata.namespace)]
    .filter((pdb) => selectorMatches(specOf(pdb).selector, pod.metadata.labels));
}

/**
 * The disruption controller's arithmetic. As the real one: an integer minAvailable counts the matching
 * pods; a percentage or maxUnavailable counts the replicas their controllers want (so a pod just evicted,
 * not yet replaced, keeps counting as expected and the disruption stays spent until its replacement is Ready).
 */
export function computePdbStatus(store: ObjectStore, pdb: KubeObject): PdbStatus {
  const spec = specOf(pdb);
  const pods = podsOfBudget(store, pdb);
  const currentHealthy = pods.filter(isReady).length;
  const scaled = typeof spec.minAvailable !== 'number' && (spec.minAvailable !== undefined || spec.maxUnavailable !== undefined);
  const expectedPods = scaled ? controllerScale(store, pods) : pods.length;
  const ofExpected = (value: IntOrPercent) =>
    typeof value === 'number' ? value : Math.ceil((Number(PERCENT.exec(value)?.[1] ?? 0) * expectedPods) / 100);
  const desiredHealthy = spec.minAvailable !== undefined
    ? ofExpected(spec.minAvailable)
    : spec.maxUnavailable !== undefined ? Math.max(0, expectedPods - ofExpected(spec.maxUnavailable)) : 0;
  const disruptionsAllowed = Math.max(0, currentHealthy - desiredHealthy);
  const observedGeneration = pdb.metadata.generation ?? 1;
  const allowed = disruptionsAllowed > 0;
  const before = ((pdb.status as { conditions?: Condition[] } | undefined)?.conditions ?? []).find((c) => c.type === 'DisruptionAllowed');
  const status = allowed ? 'True' : 'False';
  return {
    observedGeneration, disruptionsAllowed, currentHealthy, desiredHealthy, expectedPods,
    conditions: [{
      type: 'DisruptionAllowed', status, reason: allowed ? 'SufficientPods' : 'InsufficientPods', message: '', observedGeneration,
      lastTransitionTime: before?.status === status && before.lastTransitionTime ? before.lastTransitionTime : timestamp(),
    }],
  };
}

/** the replicas wanted by the Deployments and StatefulSets that own the pods; a pod without one counts once */
function controllerScale(store: ObjectStore, pods: KubeObject[]): number {
  const owners = new Map<string, number>();
  let unowned = 0;
  for (const pod of pods) {
    const owner = pod.metadata.ownerReferences?.find((ref) => ref.controller);
    const namespace = pod.metadata.namespace;
    let workload: KubeObject | undefined;
    if (owner?.kind === 'StatefulSet') workload = store.get('statefulsets', namespace, owner.name);
    else if (owner?.kind === 'ReplicaSet') {
      workload = [...store.inNamespace('deployments', namespace)].find((d) => owner.name.startsWith(`${d.metadata.name}-`)
        && selectorMatches((d.spec as { selector?: LabelSelector } | undefined)?.selector, pod.metadata.labels));
    }
    if (workload) owners.set(`${workload.kind}/${workload.metadata.name}`, (workload.spec as { replicas?: number }).replicas ?? 1);
    else unowned++;
  }
  return unowned + [...owners.values()].reduce((sum, replicas) => sum + replicas, 0);
}

/**
 * Keeps every budget's status current: subscribed to the store, it recomputes the budgets a changed pod
 * or workload may count in, and a budget itself when it (or its status) is written.
 */
export class DisruptionController {
  private readonly listener: ChangeListener = (resource, type, object) => {
    if (resource === 'poddisruptionbudgets') {
      if (type !== 'DELETED') this.refresh(object);
    } else if (resource === 'pods' || isWorkloadResource(resource)) {
      for (const pdb of [...this.store.inNamespace('poddisruptionbudgets', object.metadata.namespace)]) {
        const labels = resource === 'pods'
          ? object.metadata.labels
          : (object.spec as { template?: { metadata?: { labels?: Record<string, string> } } } | undefined)?.template?.metadata?.labels;
        if (selectorMatches(specOf(pdb).selector, labels)) this.refresh(pdb);
      }
    }
  };

  constructor(private readonly store: ObjectStore) {
    store.listeners.add(this.listener);
  }

  private refresh(pdb: KubeObject): void {
    const current = this.store.get('poddisruptionbudgets', pdb.metadata.namespace, pdb.metadata.name);
    if (!current) return;
    const status = computePdbStatus(this.store, current);
    if (JSON.stringify(status) === JSON.stringify(current.status)) return;
    this.store.update('poddisruptionbudgets', { ...current, metadata: { ...current.metadata }, status });
  }
}
