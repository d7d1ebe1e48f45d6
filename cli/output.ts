// How the CLI shows what the API answers: human tables (cli-table3) by default, JSON for scripts.
import Table from 'cli-table3';
import type { FleetSummary, FleetView, RotationSummary, RotationView } from '../client/views.js';
import type { FleetStageStatus } from '../common/types.js';

export type OutputFormat = 'table' | 'json';

export const asJson = (value: unknown): string => JSON.stringify(value, null, 2);

function keyValues(rows: [string, string | number | null | undefined][]): string {
  const table = new Table({ style: { head: [], border: [] } });
  for (const [key, value] of rows) {
    if (value !== undefined && value !== null && value !== '') table.push({ [key]: String(value) });
  }
  return table.toString();
}

const fraction = (done: number, total: number) => `${done}/${total}`;

export function rotationText(view: RotationView & { webUrl?: string | null }): string {
  const s = view.status;
  const refused = s?.refusedSignals?.at(-1);
  return keyValues([
    ['cluster', s?.clusterId ?? view.workflowId],
    ['label', s?.label],
    ['phase', s?.phase ?? `(no status: run ${view.execution})`],
    ['step', s?.step],
    ['paused', s?.paused ? 'yes' : undefined],
    ['requested by', s?.requestedBy],
    ['waiting for', s?.pendingGate ? `${s.pendingGate.gate} approval (until ${s.pendingGate.timeoutAt})` : undefined],
    ['token Secrets deleted', s ? fraction(s.progress.tokensDeleted, s.progress.tokensTotal) : undefined],
    ['workloads restarted', s ? fraction(s.progress.workloadsRestarted, s.progress.workloadsTotal) : undefined],
    ['nodes recycled', s ? fraction(s.progress.nodesRecycled, s.progress.nodesTotal) : undefined],
    // the running batch's own count, ahead of the workflow's (which it learns when the batch answers)
    ['batch', s?.batch ? `${s.batch.activity}: ${s.batch.done.length} done${s.batch.inFlight.length ? `, now ${s.batch.inFlight.join(', ')}` : ''}` +
      (s.batch.attempt > 1 ? ` (attempt ${s.batch.attempt})` : '') : undefined],
    ['Linode API calls', s?.linodeCalls ? `${s.linodeCalls.total} (${Object.entries(s.linodeCalls.byEndpoint).map(([e, n]) => `${e} ${n}`).join(', ')})` : undefined],
    ['last error', s?.lastError ? `${s.lastError.step}: ${s.lastError.message}` : undefined],
    ['last refused signal', refused ? `${refused.signal} by ${refused.by ?? '?'}: ${refused.reason}` : undefined],
    ['run', `${view.workflowId} ${view.runId} (${view.execution})`],
    ['Temporal Web', view.webUrl],
  ]);
}

export function rotationListText(rotations: RotationSummary[]): string {
  const table = new Table({ head: ['cluster', 'phase', 'region', 'requested by', 'fleet', 'started', 'run'], style: { head: [], border: [] } });
  for (const r of rotations) {
    table.push([r.clusterId ?? '', r.phase ?? r.execution, r.region ?? '', r.requestedBy ?? '', r.fleetRotationId ?? '', r.startTime, r.execution]);
  }
  return rotations.length ? table.toString() : 'no rotations';
}

export function fleetText(view: FleetView & { webUrl?: string | null }): string {
  const s = view.status;
  if (!s) return keyValues([['fleet', view.workflowId], ['run', `${view.runId} (${view.execution}, no status)`]]);
  const counts = Object.entries(s.counts).filter(([, n]) => n > 0).map(([phase, n]) => `${phase} ${n}`).join(', ');
  const head = keyValues([
    ['fleet', s.name],
    ['phase', s.phase],
    ['requested by', s.requestedBy],
    s.stages
      ? ['stage', `${s.stages[Math.min(s.currentWave, s.stages.length - 1)]?.name ?? '-'} (${Math.min(s.currentWave + 1, s.waveCount)} of ${s.waveCount})`]
      : ['wave', `${s.currentWave + 1} of ${s.waveCount}`],
    ['clusters', counts],
    ['error budget', `${s.errorBudget.failed} failed of ${s.errorBudget.allowed} allowed`],
    ['waiting for', s.pendingGate
      ? `${s.pendingGate.stage ? `approval of stage ${s.pendingGate.stage}` : 'canary approval'} (until ${s.pendingGate.timeoutAt})` : undefined],
    ['halted', s.halted ? s.haltReason ?? 'yes' : undefined],
    ['error', s.error],
    ['Temporal Web', view.webUrl],
  ]);
  const clusters = new Table({ head: ['cluster', 'label', 'region', s.stages ? 'stage' : 'wave', 'phase', 'rotation', 'error'], style: { head: [], border: [] } });
  for (const c of s.clusters) {
    clusters.push([c.id, c.label, c.region, s.stages?.[c.wave]?.name ?? c.wave + 1, c.phase, c.rotationPhase ?? '', c.error ?? '']);
  }
  return `${head}\n${s.stages ? `${stagesText(s.stages)}\n` : ''}${clusters.toString()}`;
}

/** One row per stage: its rule, size, state, gate and soak (with its first finding). */
function stagesText(stages: FleetStageStatus[]): string {
  const table = new Table({ head: ['stage', 'select', 'clusters', 'state', 'gate', 'soak'], style: { head: [], border: [] } });
  for (const stage of stages) {
    const gate = !stage.approval ? '' : stage.approvedBy ? `approved by ${stage.approvedBy.by}` : 'approval';
    const finding = stage.soak?.findings[0];
    const soak = !stage.soakMs ? ''
      : finding ? `cluster ${finding.clusterId ?? '?'}: ${finding.reason}`
        : stage.soak ? `${stage.soak.checks} check(s), healthy` : `${stage.soakMs / 1000} s`;
    table.push([stage.name, stage.select, stage.clusters, stage.state, gate, soak]);
  }
  return table.toString();
}

export function fleetListText(fleets: FleetSummary[]): string {
  const table = new Table({ head: ['fleet', 'run', 'requested by', 'started', 'closed'], style: { head: [], border: [] } });
  for (const f of fleets) table.push([f.name, f.execution, f.requestedBy ?? '', f.startTime, f.closeTime ?? '']);
  return fleets.length ? table.toString() : 'no fleet rotations';
}
