// The property over generated scenarios, run by fast-check: a failing case is shrunk (fewer and
// simpler actions) and reported with fast-check's seed and path, which replay it, and the scenario
// itself as data, ready to be kept in regressions.ts. Cases run on a real stack, so timing varies:
// a replayed seed gives the same actions, at the same aimed phases, not the same microseconds.
import fc from 'fast-check';
import { Coverage } from './coverage.js';
import type { InvariantId, Violation } from './invariants.js';
import { runCase, type CaseResult } from './runCase.js';
import { describeScenario, describeStage, scenarioArbitrary, type Scenario } from './scenario.js';
import type { SafetyStack } from './stack.js';

export const ALL_INVARIANTS: InvariantId[] = ['I1', 'I2', 'I3', 'I4'];

export interface SafetyRunOptions {
  numRuns: number;
  seed: number;
  /** fast-check's counterexample path, to replay one failure straight away (with its seed) */
  path?: string;
  /** the whole run, shrinking included, stops after this long and reports the smallest failure so far */
  timeLimitMs: number;
  /** the invariants that fail a case (default all); the others are still checked and logged */
  only?: InvariantId[];
  log?: (line: string) => void;
  /** ops left out of the generated scenarios (see scenarioArbitrary); default none */
  without?: string[];
  /** print every case's scenario and log, not only a failure's */
  verbose?: boolean;
}

class SafetyViolation extends Error {
  constructor(readonly scenario: Scenario, readonly result: CaseResult, readonly failing: Violation[]) {
    super(failing.map((v) => `(${v.invariant})${v.clusterId ? ` cluster ${v.clusterId}:` : ''} ${v.message}`).join('\n'));
  }
}

export function formatCase(scenario: Scenario, result: CaseResult, failing: Violation[]): string {
  return [
    describeScenario(scenario),
    'violations:',
    ...failing.map((v) => `  (${v.invariant})${v.clusterId ? ` cluster ${v.clusterId}:` : ''} ${v.message}`),
    'what happened:',
    ...result.model.log.map((l) => `  ${l}`),
    ...(result.model.gatesDisabled.length ? ['gates switched off (allowed today, a privilege after issue 10):', ...result.model.gatesDisabled.map((g) => `  ${g}`)] : []),
  ].join('\n');
}

/**
 * Throws with a readable report when a case violates an invariant. Logs where the actions landed
 * (the generated cases only, not the shrinking's) at the end, and returns it.
 */
export async function checkSafety(stack: SafetyStack, opts: SafetyRunOptions): Promise<{ numRuns: number; coverage: Coverage }> {
  const only = new Set(opts.only ?? ALL_INVARIANTS);
  const log = opts.log ?? ((line: string) => console.log(line));
  const coverage = new Coverage();
  let n = 0;
  let shrinking = false;
  const property = fc.asyncProperty(scenarioArbitrary(new Set(opts.without ?? [])), async (scenario) => {
    const result = await runCase(stack, scenario);
    if (!shrinking) coverage.add(result.landings);
    const failing = result.violations.filter((v) => only.has(v.invariant));
    const others = result.violations.filter((v) => !only.has(v.invariant)).map((v) => v.invariant);
    log(`case ${++n}: ${failing.length ? `FAIL ${[...new Set(failing.map((v) => v.invariant))].join(',')}` : 'ok'}` +
      `${others.length ? ` (also ${[...new Set(others)].join(',')}, not selected)` : ''} in ${(result.ms / 1000).toFixed(1)} s` +
      `${result.finished ? '' : ', still open at the deadline'}; ${scenario.clusters} cluster(s)` +
      `${scenario.stages ? ` in stages ${scenario.stages.map(describeStage).join(' ')}` : ''}, ${scenario.actions.length} action(s)`);
    if (opts.verbose) log(formatCase(scenario, result, result.violations));
    if (failing.length) {
      shrinking = true;
      throw new SafetyViolation(scenario, result, failing);
    }
  });
  const details = await fc.check(property, {
    numRuns: opts.numRuns,
    seed: opts.seed,
    ...(opts.path ? { path: opts.path } : {}),
    plugins: [fc.interruptAfterTimeLimit(opts.timeLimitMs, { failOnInterrupt: true })],
  });
  for (const line of coverage.report()) log(line);
  if (!details.failed) return { numRuns: details.numRuns, coverage };
  const error = details.errorInstance;
  const report = error instanceof SafetyViolation
    ? formatCase(error.scenario, error.result, error.failing)
    : `${details.interrupted ? 'interrupted by the time limit before a failure' : 'failed'}: ${String(error)}`;
  const scenario = (details.counterexample as [Scenario] | null)?.[0];
  throw new Error([
    `safety property failed after ${details.numRuns} case(s) and ${details.numShrinks} shrink(s)${details.interrupted ? ' (shrinking cut short by the time limit)' : ''}`,
    `replay: SAFETY_SEED=${details.seed}${details.counterexamplePath ? ` SAFETY_PATH=${details.counterexamplePath}` : ''} npm run test:safety`,
    report,
    ...(scenario ? ['as a regression (test/safety/regressions.ts):', JSON.stringify(scenario)] : []),
  ].join('\n'));
}
