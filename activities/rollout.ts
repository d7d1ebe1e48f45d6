// `kubectl rollout status` semantics (docs/design.md, 'Facts about the real APIs'), on the normalized workload state.
import type { WorkloadState } from './ports.js';

export type RolloutStatus =
  | { state: 'done' }
  | { state: 'progressing'; message: string }
  | { state: 'failed'; message: string };

export function rolloutStatus(w: WorkloadState): RolloutStatus {
  const id = `${w.kind} ${w.namespace}/${w.name}`;
  if (w.observedGeneration < w.generation) {
    return { state: 'progressing', message: `${id}: waiting for the controller to observe generation ${w.generation}` };
  }
  switch (w.kind) {
    case 'Deployment': {
      if (w.progressDeadlineExceeded) return { state: 'failed', message: `${id} exceeded its progress deadline` };
      if (w.updatedReplicas < w.specReplicas) {
        return { state: 'progressing', message: `${id}: ${w.updatedReplicas} of ${w.specReplicas} updated` };
      }
      if (w.replicas > w.updatedReplicas) {
        return { state: 'progressing', message: `${id}: ${w.replicas - w.updatedReplicas} old replicas pending termination` };
      }
      if (w.availableReplicas < w.updatedReplicas) {
        return { state: 'progressing', message: `${id}: ${w.availableReplicas} of ${w.updatedReplicas} updated available` };
      }
      return { state: 'done' };
    }
    case 'StatefulSet': {
      // kubectl cannot follow OnDelete: the pods change only when someone deletes them
      if (w.updateStrategy === 'OnDelete') return { state: 'done' };
      if (w.readyReplicas < w.specReplicas) {
        return { state: 'progressing', message: `${id}: ${w.readyReplicas} of ${w.specReplicas} ready` };
      }
      if (w.partitioned === false) {
        // no rollingUpdate block: kubectl waits until every pod is at the update revision
        if (w.currentRevision !== w.updateRevision) {
          return { state: 'progressing', message: `${id}: waiting for the rolling update to complete (revision ${w.currentRevision ?? 'none'} -> ${w.updateRevision ?? 'none'})` };
        }
        return { state: 'done' };
      }
      if (w.updatedReplicas < w.specReplicas - w.partition) {
        return { state: 'progressing', message: `${id}: ${w.updatedReplicas} of ${w.specReplicas - w.partition} updated` };
      }
      return { state: 'done' };
    }
    case 'DaemonSet': {
      if (w.updateStrategy === 'OnDelete') return { state: 'done' };
      if (w.updatedNumberScheduled < w.desiredNumberScheduled) {
        return { state: 'progressing', message: `${id}: ${w.updatedNumberScheduled} of ${w.desiredNumberScheduled} updated` };
      }
      if (w.numberAvailable < w.desiredNumberScheduled) {
        return { state: 'progressing', message: `${id}: ${w.numberAvailable} of ${w.desiredNumberScheduled} available` };
      }
      return { state: 'done' };
    }
  }
}
