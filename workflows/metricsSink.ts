// The rotation's figures leave the workflow through a Temporal sink: a call that goes to the worker
// (worker/metrics.ts turns it into Prometheus metrics) and leaves nothing in history, so it changes
// no replay. Sinks are not called during replay, so a figure is counted once per workflow task.
import { proxySinks, type Sinks } from '@temporalio/workflow';
import type { RotationPhase } from '../common/names.js';
import type { RotationStep } from '../common/types.js';

export interface PhaseChange {
  /** null: the run's first phase */
  from: RotationPhase | null;
  to: RotationPhase;
  /** the step the run is at (for Blocked: the step that gave up) */
  step: RotationStep | null;
}

export interface RotationMetricsSinks extends Sinks {
  rotationMetrics: {
    phaseChanged(change: PhaseChange): void;
  };
}

const { rotationMetrics } = proxySinks<RotationMetricsSinks>();

export function reportPhaseChange(change: PhaseChange): void {
  rotationMetrics.phaseChanged(change);
}
