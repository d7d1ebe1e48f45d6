// Temporal Web's static details of each run: what was asked for, by whom, and how to steer it,
// fixed at start. The client sets them on the runs it starts, the fleet on its children, and a
// schedule on the fleets it starts. Pure: the fleet workflow uses it too.
import { UPDATE_NAMES } from '../common/names.js';
import { defaultStageName, describeStageSelect } from '../common/stages.js';
import type { ClusterRotationInput, FleetRotationInput, FleetStageInput } from '../common/types.js';
import { DEFAULTS, describeSelector } from './fleetRotation/state.js';

const CONTROLS_LINE = `- steer it with a Signal or an Update of the same name: ${UPDATE_NAMES.map((n) => `\`${n}\``).join(', ')} ` +
  '(Temporal Web: "Send a Signal"; a refused Signal shows in the current details and the `status` Query)';

export function rotationStaticDetails(input: ClusterRotationInput, label?: string): string {
  const scope = input.restart?.scope ?? 'none';
  return [
    `Cluster **${input.clusterId}**${label ? ` (${label})` : ''}, requested by **${input.requestedBy}**`,
    `- restart scope: ${typeof scope === 'string' ? scope : `namespaces ${scope.namespaces.join(', ')}`}`,
    `- recycle: ${input.recycle?.mode ?? 'none'}`,
    `- gates: before delete ${input.approvals?.beforeDelete !== false ? 'on' : 'off'}, before recycle ${input.approvals?.beforeRecycle !== false ? 'on' : 'off'}`,
    ...(input.dryRun ? ['- **dry run**: snapshot and plan only'] : []),
    ...(input.fleetRotationId ? [`- part of fleet rotation ${input.fleetRotationId}`] : []),
    ...(input.resume ? [`- resumes run ${input.resume.previousRunId}${input.resumedBy ? ` (resumed by ${input.resumedBy})` : ''}`] : []),
    CONTROLS_LINE,
  ].join('\n');
}

function describeStage(stage: FleetStageInput, index: number): string {
  return `${stage.name ?? defaultStageName(index)} (${describeStageSelect(stage.select)}` +
    `${stage.soakMs ? `, soak ${stage.soakMs} ms` : ''}${stage.approval ? ', approval gate' : ''})`;
}

export function fleetStaticDetails(input: FleetRotationInput): string {
  const canary = input.waves?.canary ?? DEFAULTS.canary;
  const budget = input.errorBudget ?? DEFAULTS.errorBudget;
  const scope = input.rotation?.restart?.scope ?? 'none';
  return [
    `Fleet **${input.name}**, requested by **${input.requestedBy}**`,
    `- clusters: ${describeSelector(input.selector)}`,
    input.stages
      ? `- stages, ${input.concurrency ?? DEFAULTS.concurrency} clusters at a time: ${input.stages.map(describeStage).join('; then ')}`
      : `- waves: canary of ${canary}${canary > 0 && (input.waves?.canaryApproval ?? DEFAULTS.canaryApproval) ? ', then an approval gate' : ''}, ` +
        `then the rest, ${input.concurrency ?? DEFAULTS.concurrency} at a time${input.soakMs ? `, soaking ${input.soakMs} ms between waves` : ''}`,
    `- error budget: ${'count' in budget ? `${budget.count} failure(s)` : `${budget.percent}% of the clusters`}`,
    `- each cluster: restart scope ${typeof scope === 'string' ? scope : `namespaces ${scope.namespaces.join(', ')}`}, ` +
      `recycle ${input.rotation?.recycle?.mode ?? 'none'}${input.rotation?.dryRun ? ', **dry run**' : ''}`,
    CONTROLS_LINE,
  ].join('\n');
}
