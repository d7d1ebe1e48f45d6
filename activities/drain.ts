// `kubectl drain --ignore-daemonsets --delete-emptydir-data` as pure rules (kubernetes/kubectl
// pkg/drain filters): which pods of a node a drain evicts, which it leaves, which it refuses, and
// which PodDisruptionBudgets hold it. The activities do the calls (activities/rotation/nodeWork.ts).
import type { DisruptionBudgetInfo, PodInfo } from './ports.js';

export interface DrainSort {
  /** evicted through the Eviction API */
  evict: PodInfo[];
  /** no controller would recreate them: refused unless the plan allows evicting them (kubectl's --force) */
  unmanaged: PodInfo[];
}

export const podLabel = (p: Pick<PodInfo, 'namespace' | 'name'>): string => `${p.namespace}/${p.name}`;
export const budgetLabel = (b: Pick<DisruptionBudgetInfo, 'namespace' | 'name'>): string => `${b.namespace}/${b.name}`;

/**
 * DaemonSet pods stay (their controller would put them straight back; kubectl's --ignore-daemonsets),
 * so do mirror pods (the kubelet owns them); pods already terminating need nothing. emptyDir data
 * is lost on recycle anyway (the Linode is deleted), so it never holds a drain (--delete-emptydir-data).
 */
export function sortPodsForDrain(pods: PodInfo[], evictUnmanaged: boolean): DrainSort {
  const evict: PodInfo[] = [];
  const unmanaged: PodInfo[] = [];
  for (const pod of pods) {
    if (pod.mirror || pod.controllerKind === 'DaemonSet' || pod.terminating) continue;
    // a finished pod without a controller runs nothing: deleting it loses nothing (kubectl agrees)
    if (pod.controllerKind === null && !pod.finished && !evictUnmanaged) unmanaged.push(pod);
    else evict.push(pod);
  }
  return { evict, unmanaged };
}

/** policy/v1: a budget covers the pods of its namespace its selector matches (an empty selector matches all). */
export function budgetCovers(budget: DisruptionBudgetInfo, pod: PodInfo): boolean {
  if (budget.namespace !== pod.namespace) return false;
  // a selector with expressions is not evaluated here: counted as covering, so a preview never hides a block
  if (budget.matchLabels === null) return true;
  return Object.entries(budget.matchLabels).every(([key, value]) => pod.labels[key] === value);
}

/** The budgets over these pods that allow no disruption now, with what they need, for a human. */
export function blockingBudgets(pods: PodInfo[], budgets: DisruptionBudgetInfo[]): DisruptionBudgetInfo[] {
  return budgets.filter((b) => b.disruptionsAllowed <= 0 && pods.some((p) => budgetCovers(b, p)));
}

export function describeBudget(b: DisruptionBudgetInfo): string {
  return `${budgetLabel(b)} (needs ${b.desiredHealthy} healthy, has ${b.currentHealthy})`;
}
