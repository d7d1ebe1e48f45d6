// The Deployment, StatefulSet and DaemonSet controllers, reduced to what rollouts look like from the
// API: a pod-template change bumps metadata.generation; then, one step per timer tick, the controller
// catches up observedGeneration and replaces pods one at a time (new pod, Ready, old pod removed), while
// the status counts and conditions move the way `kubectl rollout status` reads them. Idle workloads
// have no timer, so an idle thousand-cluster simulator costs no CPU.
import type { SimClock } from '../clock.js';
import { nameSuffix, templateHash } from './random.js';
import { apiVersionOf, resourceByKind, type ResourceName } from './resources.js';
import { matchesLabels } from './selectors.js';
import { timestamp, type KubeObject, type ObjectStore } from './store.js';

export type WorkloadResource = 'deployments' | 'statefulsets' | 'daemonsets';
export const WORKLOAD_RESOURCES: readonly WorkloadResource[] = ['deployments', 'statefulsets', 'daemonsets'];

export const isWorkloadResource = (resource: ResourceName): resource is WorkloadResource =>
  (WORKLOAD_RESOURCES as readonly string[]).includes(resource);

interface PodTemplate { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: Record<string, unknown> }
interface WorkloadSpec {
  replicas?: number;
  paused?: boolean;
  selector?: { matchLabels?: Record<string, string> };
  template?: PodTemplate;
}
interface Condition { type: string; status: string; reason?: string; message?: string; lastUpdateTime?: string; lastTransitionTime?: string }

const specOf = (workload: KubeObject) => (workload.spec ?? {}) as WorkloadSpec;
const nodeOf = (pod: KubeObject) => (pod.spec as { nodeName?: string } | undefined)?.nodeName;
/** the Ready condition of a pod or a node */
const isReady = (pod: KubeObject) =>
  ((pod.status as { conditions?: Condition[] } | undefined)?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

export interface ControllerContext {
  store: ObjectStore;
  random: () => number;
  clock: SimClock;
  /** simulated time between two rollout steps */
  stepMs: number;
}

export class WorkloadController {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** workload key -> the generation whose rollout was failed on purpose */
  private readonly failedAt = new Map<string, number>();
  /** workload keys whose containers crash (CrashLoopBackOff): their pods run but never become Ready */
  private readonly crashing = new Set<string>();

  constructor(private readonly ctx: ControllerContext) {}

  /** schedules the next step of a workload's reconciliation unless one is pending */
  schedule(resource: WorkloadResource, namespace: string, name: string): void {
    const key = `${resource}/${namespace}/${name}`;
    if (this.timers.has(key)) return;
    this.timers.set(key, this.ctx.clock.after(this.ctx.stepMs, () => {
      this.timers.delete(key);
      if (this.step(resource, namespace, name)) this.schedule(resource, namespace, name);
    }));
  }

  scheduleAll(namespace?: string, only?: WorkloadResource): void {
    for (const resource of only ? [only] : WORKLOAD_RESOURCES) {
      for (const workload of this.ctx.store.list(resource, namespace)) {
        this.schedule(resource, workload.metadata.namespace!, workload.metadata.name);
      }
    }
  }

  get pendingSteps(): number {
    return this.timers.size;
  }

  stop(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  /** the rollout stops progressing; a Deployment reports ProgressDeadlineExceeded */
  fail(resource: WorkloadResource, namespace: string, name: string): boolean {
    const workload = this.ctx.store.get(resource, namespace, name);
    if (!workload) return false;
    const key = `${resource}/${namespace}/${name}`;
    this.failedAt.set(key, workload.metadata.generation ?? 1);
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    this.writeStatus(resource, workload);
    return true;
  }

  /**
   * the workload's containers start crashing (a bad config, a dependency gone): its pods stay Running
   * but not Ready, restarting in CrashLoopBackOff, until `crashing` is false again
   */
  crash(resource: WorkloadResource, namespace: string, name: string, crashing: boolean): boolean {
    const workload = this.ctx.store.get(resource, namespace, name);
    if (!workload) return false;
    const key = `${resource}/${namespace}/${name}`;
    if (!crashing) {
      this.crashing.delete(key);
      this.schedule(resource, namespace, name);
      return true;
    }
    this.crashing.add(key);
    for (const pod of this.podsOf(resource, workload)) {
      this.ctx.store.update('pods', { ...pod, metadata: { ...pod.metadata }, status: crashLoopStatus(pod) });
    }
    this.writeStatus(resource, workload);
    return true;
  }

  /** brings a workload to its desired state at once: all pods created, Ready and current (seeding) */
  settle(resource: WorkloadResource, workload: KubeObject): void {
    while (this.act(resource, workload, true)) { /* each call does one action */ }
    this.writeStatus(resource, workload);
  }

  /** replaces every pod now with a new one (new name and uid), as a control-plane restart does */
  replacePodsNow(resource: WorkloadResource, workload: KubeObject): void {
    for (const pod of this.podsOf(resource, workload)) {
      this.ctx.store.delete('pods', pod.metadata.namespace, pod.metadata.name);
    }
    this.settle(resource, workload);
  }

  podsOf(resource: WorkloadResource, workload: KubeObject): KubeObject[] {
    const ownerKind = resource === 'deployments' ? 'ReplicaSet' : workload.kind;
    const { name, namespace } = workload.metadata;
    const selector = specOf(workload).selector?.matchLabels;
    return [...this.ctx.store.inNamespace('pods', namespace)].filter((pod) => {
      const owner = pod.metadata.ownerReferences?.[0];
      if (!owner || owner.kind !== ownerKind) return false;
      if (resource === 'deployments' ? !owner.name.startsWith(`${name}-`) : owner.name !== name) return false;
      return matchesLabels(selector, pod.metadata.labels);
    });
  }

  /** one reconciliation step; true while there is more to do */
  private step(resource: WorkloadResource, namespace: string, name: string): boolean {
    const workload = this.ctx.store.get(resource, namespace, name);
    if (!workload) return false;
    const more = this.isHalted(resource, workload) ? false : this.act(resource, workload, false);
    this.writeStatus(resource, workload);
    return more;
  }

  private isHalted(resource: WorkloadResource, workload: KubeObject): boolean {
    const failed = this.failedAt.get(`${resource}/${workload.metadata.namespace}/${workload.metadata.name}`);
    if (failed !== undefined && failed >= (workload.metadata.generation ?? 1)) return true;
    return resource === 'deployments' && specOf(workload).paused === true;
  }

  /** does one action (create, make Ready or delete one pod); false when nothing was left to do */
  private act(resource: WorkloadResource, workload: KubeObject, instant: boolean): boolean {
    const pods = this.podsOf(resource, workload);
    // a pod becomes Ready only on a Ready node (the kubelet of a NotReady node runs nothing), and
    // never while its containers crash
    const readyNodes = this.readyNodeNames();
    const crashing = this.crashing.has(`${resource}/${workload.metadata.namespace}/${workload.metadata.name}`);
    const waiting = crashing ? undefined : pods.find((pod) => !isReady(pod) && readyNodes.has(nodeOf(pod) ?? ''));
    if (waiting) {
      this.markReady(waiting);
      return true;
    }
    const unscheduled = pods.find((pod) => nodeOf(pod) === undefined);
    const target = unscheduled && this.pickNode();
    if (unscheduled && target) {
      this.ctx.store.update('pods', { ...unscheduled, spec: { ...(unscheduled.spec as object), nodeName: target } });
      return true;
    }
    const hash = templateHash(specOf(workload).template);
    const revisionLabel = resource === 'deployments' ? 'pod-template-hash' : 'controller-revision-hash';
    const revision = resource === 'statefulsets' ? `${workload.metadata.name}-${hash}` : hash;
    const isCurrent = (pod: KubeObject) => pod.metadata.labels?.[revisionLabel] === revision;
    const create = (podName: string, nodeName?: string) =>
      this.createPod(resource, workload, podName, revisionLabel, revision, nodeName ?? this.pickNode(), instant);
    const remove = (pod: KubeObject) => this.ctx.store.delete('pods', pod.metadata.namespace, pod.metadata.name);
    const desired = specOf(workload).replicas ?? 1;
    const { name } = workload.metadata;

    if (resource === 'deployments') {
      const current = pods.filter(isCurrent);
      const old = pods.filter((pod) => !isCurrent(pod));
      // maxSurge 1: one new pod beyond the desired count, then one old pod goes
      const surge = old.length > 0 ? 1 : 0;
      if (current.length < desired && pods.length < desired + surge) {
        create(`${name}-${hash}-${nameSuffix(this.ctx.random)}`);
      } else if (old.length > 0) {
        remove(old[0]);
      } else if (current.length > desired) {
        remove(current[current.length - 1]);
      } else {
        return false;
      }
      return true;
    }

    if (resource === 'statefulsets') {
      const ordinal = (pod: KubeObject) => Number(pod.metadata.name.slice(name.length + 1));
      const byOrdinal = [...pods].sort((a, b) => ordinal(b) - ordinal(a));
      const surplus = byOrdinal.find((pod) => ordinal(pod) >= desired);
      if (surplus) { remove(surplus); return true; }
      for (let i = 0; i < desired; i++) {
        if (!pods.some((pod) => ordinal(pod) === i)) { create(`${name}-${i}`); return true; }
      }
      // RollingUpdate goes from the highest ordinal down, deleting and recreating under the same name
      const old = byOrdinal.find((pod) => !isCurrent(pod));
      if (!old) return false;
      // the scheduler may put it back where it was, unless that node has been cordoned since
      const nodeName = (old.spec as { nodeName?: string }).nodeName;
      remove(old);
      create(old.metadata.name, nodeName !== undefined && this.schedulableNodeNames().has(nodeName) ? nodeName : undefined);
      return true;
    }

    const nodes = [...this.ctx.store.inNamespace('nodes', undefined)].map((node) => node.metadata.name);
    const seen = new Set<string>();
    for (const pod of pods) {
      const nodeName = (pod.spec as { nodeName?: string }).nodeName ?? '';
      if (!nodes.includes(nodeName) || seen.has(nodeName)) { remove(pod); return true; }
      seen.add(nodeName);
    }
    const uncovered = nodes.find((node) => !seen.has(node));
    if (uncovered) { create(`${name}-${nameSuffix(this.ctx.random)}`, uncovered); return true; }
    const old = pods.find((pod) => !isCurrent(pod));
    if (!old) return false;
    remove(old);
    create(`${name}-${nameSuffix(this.ctx.random)}`, (old.spec as { nodeName: string }).nodeName);
    return true;
  }

  /**
   * the scheduler places pods on Ready nodes only (NotReady nodes carry the not-ready taint), and not on
   * cordoned ones (spec.unschedulable); DaemonSet pods tolerate both and never come through here
   */
  private pickNode(): string | undefined {
    const nodes = [...this.schedulableNodeNames()].sort();
    return nodes.length ? nodes[Math.floor(this.ctx.random() * nodes.length)] : undefined;
  }

  private schedulableNodeNames(): Set<string> {
    const names = new Set<string>();
    for (const node of this.ctx.store.inNamespace('nodes', undefined)) {
      if (isReady(node) && (node.spec as { unschedulable?: boolean } | undefined)?.unschedulable !== true) names.add(node.metadata.name);
    }
    return names;
  }

  private readyNodeNames(): Set<string> {
    const names = new Set<string>();
    for (const node of this.ctx.store.inNamespace('nodes', undefined)) if (isReady(node)) names.add(node.metadata.name);
    return names;
  }

  /** the node controller marks the pods of a NotReady node not Ready */
  markNodePodsNotReady(nodeName: string): void {
    for (const pod of [...this.ctx.store.values('pods')]) {
      if (nodeOf(pod) === nodeName && isReady(pod)) {
        this.ctx.store.update('pods', { ...pod, metadata: { ...pod.metadata }, status: podStatus(false, 'Running') });
      }
    }
  }

  private createPod(resource: WorkloadResource, workload: KubeObject, name: string, revisionLabel: string,
    revision: string, nodeName: string | undefined, ready: boolean): void {
    const template = specOf(workload).template ?? {};
    const owner = resource === 'deployments'
      ? { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${workload.metadata.name}-${revision}` }
      : { apiVersion: apiVersionOf(resourceByKind(workload.kind)), kind: workload.kind, name: workload.metadata.name };
    const scheduled = ready && nodeName !== undefined && this.readyNodeNames().has(nodeName);
    this.ctx.store.create('pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: workload.metadata.namespace,
        labels: { ...template.metadata?.labels, [revisionLabel]: revision },
        ...(template.metadata?.annotations ? { annotations: template.metadata.annotations } : {}),
        ownerReferences: [{ ...owner, uid: workload.metadata.uid, controller: true, blockOwnerDeletion: true }],
      },
      // the template's containers are shared, not copied: objects are replaced on write, never mutated
      spec: { ...template.spec, ...(nodeName ? { nodeName } : {}) },
      status: podStatus(scheduled),
    });
  }

  private markReady(pod: KubeObject): void {
    this.ctx.store.update('pods', { ...pod, metadata: { ...pod.metadata }, status: podStatus(true) });
  }

  writeStatus(resource: WorkloadResource, workload: KubeObject): void {
    const previous = (workload.status ?? {}) as { conditions?: Condition[]; currentRevision?: string };
    const status = this.computeStatus(resource, workload, previous);
    if (JSON.stringify(status) === JSON.stringify(workload.status)) return;
    this.ctx.store.update(resource, { ...workload, status });
  }

  private computeStatus(resource: WorkloadResource, workload: KubeObject,
    previous: { conditions?: Condition[]; currentRevision?: string }): Record<string, unknown> {
    const pods = this.podsOf(resource, workload);
    const hash = templateHash(specOf(workload).template);
    const ready = pods.filter(isReady).length;
    const observedGeneration = workload.metadata.generation ?? 1;
    const desired = specOf(workload).replicas ?? 1;
    const key = `${resource}/${workload.metadata.namespace}/${workload.metadata.name}`;
    const failed = this.isHalted(resource, workload) && this.failedAt.has(key);

    if (resource === 'deployments') {
      const updated = pods.filter((pod) => pod.metadata.labels?.['pod-template-hash'] === hash).length;
      const done = updated === desired && pods.length === updated && ready === updated;
      const replicaSet = `${workload.metadata.name}-${hash}`;
      const maxUnavailable = Math.floor(desired * 0.25);
      const conditions = [
        condition(previous.conditions, 'Available', ready >= desired - maxUnavailable ? 'True' : 'False',
          ready >= desired - maxUnavailable ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
          ready >= desired - maxUnavailable ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.'),
        failed
          ? condition(previous.conditions, 'Progressing', 'False', 'ProgressDeadlineExceeded', `ReplicaSet "${replicaSet}" has timed out progressing.`)
          : specOf(workload).paused
            ? condition(previous.conditions, 'Progressing', 'Unknown', 'DeploymentPaused', 'Deployment is paused')
            : done
              ? condition(previous.conditions, 'Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "${replicaSet}" has successfully progressed.`)
              : condition(previous.conditions, 'Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "${replicaSet}" is progressing.`),
      ];
      return {
        observedGeneration, replicas: pods.length, updatedReplicas: updated, readyReplicas: ready, availableReplicas: ready,
        ...(pods.length - ready > 0 || desired - ready > 0 ? { unavailableReplicas: Math.max(desired - ready, pods.length - ready) } : {}),
        conditions,
      };
    }

    if (resource === 'statefulsets') {
      const updateRevision = `${workload.metadata.name}-${hash}`;
      const updated = pods.filter((pod) => pod.metadata.labels?.['controller-revision-hash'] === updateRevision).length;
      const complete = updated === desired && pods.length === desired;
      const currentRevision = complete ? updateRevision : previous.currentRevision ?? updateRevision;
      return {
        observedGeneration, replicas: pods.length, readyReplicas: ready, availableReplicas: ready,
        currentReplicas: complete ? updated : pods.length - updated, updatedReplicas: updated,
        currentRevision, updateRevision, collisionCount: 0,
      };
    }

    const desiredScheduled = this.ctx.store.count('nodes');
    const updated = pods.filter((pod) => pod.metadata.labels?.['controller-revision-hash'] === hash).length;
    return {
      observedGeneration, desiredNumberScheduled: desiredScheduled, currentNumberScheduled: pods.length,
      numberMisscheduled: 0, numberReady: ready, numberAvailable: ready, updatedNumberScheduled: updated,
      ...(desiredScheduled - ready > 0 ? { numberUnavailable: desiredScheduled - ready } : {}),
    };
  }
}

function condition(previous: Condition[] | undefined, type: string, status: string, reason: string, message: string): Condition {
  const before = previous?.find((c) => c.type === type);
  const at = timestamp();
  const transitioned = !before || before.status !== status;
  const unchanged = before && !transitioned && before.reason === reason && before.message === message;
  return {
    type, status,
    lastUpdateTime: unchanged ? before.lastUpdateTime : at,
    lastTransitionTime: transitioned ? at : before.lastTransitionTime,
    reason, message,
  };
}

/** a pod whose container keeps crashing: Running, not Ready, its container waiting in CrashLoopBackOff */
function crashLoopStatus(pod: KubeObject): Record<string, unknown> {
  const containers = ((pod.spec as { containers?: { name: string }[] } | undefined)?.containers ?? []);
  return {
    ...podStatus(false, 'Running'),
    containerStatuses: containers.map((c) => ({
      name: c.name, ready: false, started: false, restartCount: 3,
      state: { waiting: { reason: 'CrashLoopBackOff', message: `back-off restarting failed container ${c.name}` } },
    })),
  };
}

function podStatus(ready: boolean, phase = ready ? 'Running' : 'Pending'): Record<string, unknown> {
  const at = timestamp();
  return ready
    ? { phase, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: at }], startTime: at }
    : { phase, conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: at }] };
}
