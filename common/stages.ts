// A fleet's stages (docs/design.md, "Stages"): the rules a stages list must follow, the old `waves`
// input read as two stages, and the clusters of a selection assigned to stages. Pure and
// deterministic: the API checks a request with it, and the fleet workflow plans with it.
import type { FleetRotationInput, FleetStageInput, SelectedCluster, StageSelect } from './types.js';

export const MAX_STAGES = 20;
const STAGE_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** The default name of the stage at `index` (0-based). */
export const defaultStageName = (index: number): string => `stage-${index + 1}`;

const isInteger = (value: unknown, min: number, max: number): boolean =>
  typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
const isText = (value: unknown): value is string => typeof value === 'string' && value.length > 0 && value.length <= 50;

/** What is wrong with one stage's select rule, or null. */
function selectProblem(select: unknown): string | null {
  if (!select || typeof select !== 'object' || Array.isArray(select)) return 'select must be an object';
  const keys = Object.keys(select);
  if (keys.length !== 1) return 'select must have exactly one of count, percent, region, tag, rest';
  const value = (select as Record<string, unknown>)[keys[0]];
  switch (keys[0]) {
    case 'count': return isInteger(value, 1, 100_000) ? null : 'select.count must be an integer from 1 to 100000';
    case 'percent': return typeof value === 'number' && value >= 1 && value <= 100 ? null : 'select.percent must be from 1 to 100';
    case 'region': return isText(value) ? null : 'select.region must be a region id';
    case 'tag': return isText(value) ? null : 'select.tag must be a tag of 1 to 50 characters';
    case 'rest': return value === true ? null : 'select.rest must be true';
    default: return `select.${keys[0]} is not a select rule (count, percent, region, tag, rest)`;
  }
}

/**
 * Every problem of a stages list (empty when it is fine), each naming the field as the caller wrote
 * it: non-empty, at most MAX_STAGES, valid select rules, at most one `rest` and only last, unique
 * names, a soak of 0 to 7 days; and not together with `waves` or `soakMs`, which it replaces.
 */
export function stagesProblems(input: Pick<FleetRotationInput, 'stages' | 'waves' | 'soakMs'>): { field: string; message: string }[] {
  const { stages } = input;
  if (stages === undefined) return [];
  const problems: { field: string; message: string }[] = [];
  const add = (field: string, message: string) => problems.push({ field, message });
  if (!Array.isArray(stages) || stages.length === 0) return [{ field: 'stages', message: 'stages must be a non-empty list' }];
  if (stages.length > MAX_STAGES) add('stages', `at most ${MAX_STAGES} stages`);
  if (input.waves !== undefined) add('waves', 'give either stages or waves: stages replace the canary and the rest');
  if (input.soakMs !== undefined) add('soakMs', "give either stages or soakMs: each stage has its own soakMs");
  const names = new Set<string>();
  stages.forEach((stage: FleetStageInput, index) => {
    const at = `stages.${index}`;
    if (!stage || typeof stage !== 'object') return add(at, 'a stage must be an object');
    const problem = selectProblem(stage.select);
    if (problem) add(`${at}.select`, problem);
    if ('rest' in (stage.select ?? {}) && index !== stages.length - 1) add(`${at}.select`, 'only the last stage may take the rest');
    const name = stage.name ?? defaultStageName(index);
    if (typeof name !== 'string' || !STAGE_NAME.test(name) || name.length > 63) {
      add(`${at}.name`, 'a stage name is 1-63 lowercase letters, digits and dashes');
    } else if (names.has(name)) {
      add(`${at}.name`, `stage name '${name}' is used twice`);
    }
    names.add(name);
    if (stage.approval !== undefined && typeof stage.approval !== 'boolean') add(`${at}.approval`, 'approval must be true or false');
    if (stage.soakMs !== undefined && !isInteger(stage.soakMs, 0, 7 * 86_400_000)) add(`${at}.soakMs`, 'soakMs must be an integer from 0 to 7 days');
  });
  return problems;
}

export interface PlannedStage { name: string; select: StageSelect; approval: boolean; soakMs: number; gateKind: 'canary' | 'stage' }

/**
 * The stages a fleet runs: its `stages`, or the old input read as two stages, `canary` (the first
 * `waves.canary` clusters, default 1, with the canary gate unless canaryApproval is false, and the
 * soak) then `rest`.
 */
export function plannedStages(input: Pick<FleetRotationInput, 'stages' | 'waves' | 'soakMs'>): PlannedStage[] {
  if (input.stages) {
    return input.stages.map((stage, index) => ({
      name: stage.name ?? defaultStageName(index), select: stage.select, approval: stage.approval ?? false,
      soakMs: stage.soakMs ?? 0, gateKind: 'stage',
    }));
  }
  return [
    {
      name: 'canary', select: { count: input.waves?.canary ?? 1 }, approval: input.waves?.canaryApproval ?? true,
      soakMs: input.soakMs ?? 0, gateKind: 'canary',
    },
    { name: 'rest', select: { rest: true }, approval: false, soakMs: 0, gateKind: 'stage' },
  ];
}

/** One line per select rule, for the status and Temporal Web. */
export function describeStageSelect(select: StageSelect): string {
  if ('count' in select) return `first ${select.count}`;
  if ('percent' in select) return `${select.percent}%`;
  if ('region' in select) return `region ${select.region}`;
  if ('tag' in select) return `tag ${select.tag}`;
  return 'the rest';
}

/**
 * Each selected cluster's stage index. Clusters go in id order (the selection's order); a stage
 * takes from those no earlier stage took; a percentage is of the whole selection, rounded up; the
 * clusters no stage took go to the last stage when it takes the rest, else to an added stage
 * `rest` (returned as `extraRest`), so every cluster is in exactly one stage.
 */
export function assignStages(selected: SelectedCluster[], stages: Pick<PlannedStage, 'select'>[]): { stageOf: number[]; extraRest: boolean } {
  const stageOf = selected.map(() => -1);
  const free = (): number[] => stageOf.flatMap((stage, index) => (stage === -1 ? [index] : []));
  stages.forEach(({ select }, stage) => {
    let taken: number[];
    if ('count' in select) taken = free().slice(0, select.count);
    else if ('percent' in select) taken = free().slice(0, Math.ceil((selected.length * select.percent) / 100));
    else if ('region' in select) taken = free().filter((i) => selected[i].region === select.region);
    else if ('tag' in select) taken = free().filter((i) => selected[i].tags?.includes(select.tag));
    else taken = free();
    for (const index of taken) stageOf[index] = stage;
  });
  const left = free();
  for (const index of left) stageOf[index] = stages.length;
  return { stageOf, extraRest: left.length > 0 };
}
