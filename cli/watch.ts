// `lke-rotator watch`: follows a rotation or a fleet until it ends. In a terminal a progress bar
// (cli-progress) redraws in place; piped or redirected, one plain line per change, so logs stay
// readable; with `-o json`, one JSON view per change (JSON Lines), the last one the final state.
// The exit code says how it ended: 0 Completed, 1 anything else.
import { SingleBar, Presets } from 'cli-progress';
import type { FleetView, RotationView } from '../client/views.js';
import { TERMINAL_PHASES } from '../common/names.js';
import { FLEET_END_PHASES } from '../common/types.js';
import { ApiRequestError, CliError, type ApiClient } from './http.js';

const ROTATION_ENDED = new Set<string>(TERMINAL_PHASES);
const FLEET_ENDED = new Set<string>(FLEET_END_PHASES);
/** A watch outlives a restart of the API or a network blip; this many failed reads in a row end it. */
const MAX_FAILED_READS = 5;

export type WatchTarget = { cluster: number } | { fleet: string };

interface Frame { done: number; total: number; line: string; ended: boolean; ok: boolean; view: unknown }

function rotationFrame(view: RotationView): Frame {
  const s = view.status;
  if (!s) return { done: 0, total: 1, line: `run ${view.execution}, no status`, ended: view.execution !== 'RUNNING', ok: false, view };
  const p = s.progress;
  const gate = s.pendingGate ? ` waiting for ${s.pendingGate.gate} approval` : '';
  const error = s.phase === 'Blocked' && s.lastError ? `: ${s.lastError.message}` : '';
  return {
    done: p.tokensDeleted + p.workloadsRestarted + p.nodesRecycled + s.completedSteps.length,
    total: Math.max(1, p.tokensTotal + p.workloadsTotal + p.nodesTotal + s.completedSteps.length + (ROTATION_ENDED.has(s.phase) ? 0 : 1)),
    line: `cluster ${s.clusterId}: ${s.phase}${s.step ? ` (${s.step})` : ''}${s.paused ? ' paused' : ''}${gate}${error}`,
    ended: ROTATION_ENDED.has(s.phase) || view.execution !== 'RUNNING',
    ok: s.phase === 'Completed',
    view,
  };
}

function fleetFrame(view: FleetView): Frame {
  const s = view.status;
  if (!s) return { done: 0, total: 1, line: `run ${view.execution}, no status`, ended: view.execution !== 'RUNNING', ok: false, view };
  const total = s.clusters.length;
  const pending = (s.counts.Pending ?? 0) + (s.counts.Running ?? 0);
  const gate = s.pendingGate ? ' waiting for canary approval' : '';
  return {
    done: total - pending,
    total: Math.max(1, total),
    line: `fleet ${s.name}: ${s.phase}, ${s.counts.Completed ?? 0} completed, ${s.counts.Running ?? 0} running, ${s.counts.Failed ?? 0} failed${gate}`,
    ended: FLEET_ENDED.has(s.phase) || view.execution !== 'RUNNING',
    ok: s.phase === 'Completed',
    view,
  };
}

export interface WatchOptions {
  intervalMs: number;
  /** bar: a terminal, redrawn in place; lines: a line per change; json: a JSON view per change */
  mode: 'bar' | 'lines' | 'json';
  write(line: string): void;
}

/** Unreachable, or the API failing (5xx): worth another read. A refusal (4xx) is not. */
const isTransient = (err: unknown) => err instanceof CliError && (!(err instanceof ApiRequestError) || err.status >= 500);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Follows until the run ends; resolves with the exit code (0 Completed, 1 otherwise). */
export async function watch(api: Pick<ApiClient, 'get'>, target: WatchTarget, options: WatchOptions): Promise<0 | 1> {
  const readOnce = async (): Promise<Frame> => 'cluster' in target
    ? rotationFrame(await api.get<RotationView>(`/v1/rotations/${target.cluster}`))
    : fleetFrame(await api.get<FleetView>(`/v1/fleet-rotations/${encodeURIComponent(target.fleet)}`));
  const bar = options.mode === 'bar' ? new SingleBar({ format: '{bar} {value}/{total} {line}', hideCursor: true }, Presets.shades_classic) : null;
  // the bar hides the cursor: give it back when the operator stops watching with Ctrl-C
  const onInterrupt = () => {
    bar?.stop();
    process.exit(130);
  };
  // only once the run has been read: an API that cannot be reached at the start is one clear error
  const readAgain = async (): Promise<Frame> => {
    for (let failures = 1; ; failures++) {
      try {
        return await readOnce();
      } catch (err) {
        if (!isTransient(err) || failures >= MAX_FAILED_READS) throw err;
        if (options.mode === 'lines') options.write(`${new Date().toISOString()} ${(err as Error).message}; reading again`);
        await sleep(options.intervalMs);
      }
    }
  };

  let frame = await readOnce();
  let last = '';
  if (bar) {
    bar.start(frame.total, frame.done, { line: frame.line });
    process.once('SIGINT', onInterrupt);
  }
  try {
    for (;;) {
      const shown = options.mode === 'json' ? JSON.stringify(frame.view) : frame.line;
      if (bar) {
        bar.setTotal(frame.total);
        bar.update(frame.done, { line: frame.line });
      } else if (shown !== last) {
        options.write(options.mode === 'json' ? shown : `${new Date().toISOString()} ${shown}`);
      }
      last = shown;
      if (frame.ended) return frame.ok ? 0 : 1;
      await sleep(options.intervalMs);
      frame = await readAgain();
    }
  } finally {
    if (bar) {
      process.removeListener('SIGINT', onInterrupt);
      bar.stop();
      options.write(frame.line);
    }
  }
}
