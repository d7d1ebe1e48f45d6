// `fleet start --stage <spec>`: one stage per flag, written as comma-separated fields, e.g.
//   --stage name=canary,count=1,approval,soak=600 --stage percent=10 --stage region=us-iad --stage rest
// Exactly one select field (count=N, percent=N, region=R, tag=T, rest); name=, approval, soak=<seconds>.
// Each flag is checked as it is read, the whole list with the rules the API and the workflow hold
// (common/stages.ts), so a mistake exits 2 before any request.
import { InvalidArgumentError } from 'commander';
import { stagesProblems } from '../common/stages.js';
import type { FleetStageInput, StageSelect } from '../common/types.js';

const SELECT_KEYS = ['count', 'percent', 'region', 'tag', 'rest'] as const;

function selectOf(key: string, value: string | undefined): StageSelect {
  switch (key) {
    case 'rest':
      if (value !== undefined) throw new InvalidArgumentError('rest takes no value.');
      return { rest: true };
    case 'count':
    case 'percent': {
      const number = Number(value);
      if (!value || !/^\d+(\.\d+)?$/.test(value)) throw new InvalidArgumentError(`${key} needs a number, e.g. ${key}=10.`);
      return key === 'count' ? { count: number } : { percent: number };
    }
    default:
      if (!value) throw new InvalidArgumentError(`${key} needs a value, e.g. ${key}=${key === 'region' ? 'us-iad' : 'prod'}.`);
      return key === 'region' ? { region: value } : { tag: value };
  }
}

export function stageSpec(spec: string): FleetStageInput {
  const stage: Partial<FleetStageInput> = {};
  for (const field of spec.split(',').map((f) => f.trim()).filter(Boolean)) {
    const [key, value] = field.includes('=') ? [field.slice(0, field.indexOf('=')), field.slice(field.indexOf('=') + 1)] : [field, undefined];
    if ((SELECT_KEYS as readonly string[]).includes(key)) {
      if (stage.select) throw new InvalidArgumentError('one of count, percent, region, tag, rest per stage.');
      stage.select = selectOf(key, value);
    } else if (key === 'name' && value) {
      stage.name = value;
    } else if (key === 'approval' && value === undefined) {
      stage.approval = true;
    } else if (key === 'soak' && value && /^\d+$/.test(value)) {
      stage.soakMs = Number(value) * 1000;
    } else {
      throw new InvalidArgumentError(`"${field}" is not a stage field: count=N, percent=N, region=R, tag=T or rest; name=N, approval, soak=<seconds>.`);
    }
  }
  if (!stage.select) throw new InvalidArgumentError('say which clusters: count=N, percent=N, region=R, tag=T or rest.');
  const problem = stagesProblems({ stages: [stage as FleetStageInput] }).find((p) => !p.message.startsWith('only the last'));
  if (problem) throw new InvalidArgumentError(problem.message);
  return stage as FleetStageInput;
}

/** `fleet approve --stage <name>`: a stage name as a stage list allows it. */
export function fleetStageName(value: string): string {
  const problem = stagesProblems({ stages: [{ name: value, select: { rest: true } }] })[0];
  if (problem) throw new InvalidArgumentError(problem.message);
  return value;
}

/** The whole list's rules (one rest, and last; unique names): the first problem, or null. */
export function stagesListProblem(stages: FleetStageInput[]): string | null {
  const [first] = stagesProblems({ stages });
  return first ? `--stage: ${first.field}: ${first.message}` : null;
}
