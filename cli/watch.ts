// `lke-rotator watch`: follows a rotation or a fleet until it ends. In a terminal a progress bar
// (cli-progress) redraws in place; piped or redirected, one plain line per change, so logs stay
// readable. The exit code says how it ended: 0 Completed, 1 anything else.
import { SingleBar, Presets } from 'cli-progress';
import type { FleetView, RotationView } from '../client/views.js';
import type { ApiClient } from './http.js';

const ROTATION_ENDED = new Set(['Completed', 'Rejected', 'Cancelled', 'Failed']);
const FLEET_ENDED = new Set(['Completed', 'CompletedWithFailures', 'Rejected', 'Aborted', 'Failed']);

interface Frame { done: number; total: number; line: string; ended: boolean; ok: boolean }

function rotationFrame(view: RotationView): Frame {
  const s = view.status;
  if (!s) return { done: 0, total: 1, line: `run ${view.execution}, no status`, ended: view.execution !== 'RUNNING', ok: false };
  const p = s.progress;
  const gate = s.pendingGate ? ` waiting for ${s.pendingGate.gate} approval` : '';
  const error = s.phase === 'Blocked' && s.lastError ? `: ${s.lastError.message}` : '';
  return {
    done: p.tokensDeleted + p.workloadsRestarted + p.nodesRecycled + s.completedSteps.length,
    total: Math.max(1, p.tokensTotal + p.workloadsTotal + p.nodesTotal + s.completedSteps.length + (ROTATION_ENDED.has(s.phase) ? 0 : 1)),
    line: `cluster ${s.clusterId}: ${s.phase}${s.step ? ` (${s.step})` : ''}${s.paused ? ' paused' : ''}${gate}${error}`,
    ended: ROTATION_ENDED.has(s.phase) || view.execution !== 'RUNNING',
    ok: s.phase === 'Completed',
  };
}

function fleetFrame(view: FleetView): Frame {
  const s = view.status;
  if (!s) return { done: 0, total: 1, line: `run ${view.execution}, no status`, ended: view.execution !== 'RUNNING', ok: false };
  const total = s.clusters.length;
  const pending = (s.counts.Pending ?? 0) + (s.counts.Running ?? 0);
  const gate = s.pendingGate ? ' waiting for canary approval' : '';
  return {
    done: total - pending,
    total: Math.max(1, total),
    line: `fleet ${s.name}: ${s.phase}, ${s.counts.Completed ?? 0} completed, ${s.counts.Running ?? 0} running, ${s.counts.Failed ?? 0} failed${gate}`,
    ended: FLEET_ENDED.has(s.phase) || view.execution !== 'RUNNING',
    ok: s.phase === 'Completed',
  };
}

export interface WatchOptions {
  intervalMs: number;
  /** a terminal: draw a bar; otherwise print a line per change */
  tty: boolean;
  write(line: string): void;
}

/** Follows until the run ends; resolves with the exit code (0 Completed, 1 otherwise). */
export async function watch(api: ApiClient, target: { cluster: number } | { fleet: string }, options: WatchOptions): Promise<0 | 1> {
  const read = async (): Promise<Frame> => 'cluster' in target
    ? rotationFrame(await api.get<RotationView>(`/v1/rotations/${target.cluster}`))
    : fleetFrame(await api.get<FleetView>(`/v1/fleet-rotations/${encodeURIComponent(target.fleet)}`));
  const bar = options.tty ? new SingleBar({ format: '{bar} {value}/{total} {line}', hideCursor: true }, Presets.shades_classic) : null;
  let last = '';
  let frame = await read();
  bar?.start(frame.total, frame.done, { line: frame.line });
  try {
    for (;;) {
      if (bar) {
        bar.setTotal(frame.total);
        bar.update(frame.done, { line: frame.line });
      } else if (frame.line !== last) {
        options.write(`${new Date().toISOString()} ${frame.line}`);
      }
      last = frame.line;
      if (frame.ended) return frame.ok ? 0 : 1;
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
      frame = await read();
    }
  } finally {
    bar?.stop();
    if (bar) options.write(last);
  }
}
