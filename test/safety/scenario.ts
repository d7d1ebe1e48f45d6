// What one safety case is, as plain data: the rotation (or small fleet) the requester starts, and
// the sequence of operator actions, world changes and worker crashes that follow, each at a moment
// given as "after N ms" or "once the rotation is in phase P". Plain data so fast-check can shrink it,
// print it, and so a found counterexample can be pasted into regressions.ts as it is.
import fc from 'fast-check';
import type { RotationPhase } from '../../common/names.js';
import type { StageSelect } from '../../common/types.js';

/** who starts every case's rotation or fleet; the four-eyes rule is about this identity */
export const REQUESTER = 'alice';
/** the identities an operator action may claim: the requester among them, on purpose */
// ' Alice' is the requester too (identities compare trimmed and case-insensitive): an impostor spelling
export const IDENTITIES = [REQUESTER, 'bob', 'carol', ' Alice'] as const;
export type Identity = (typeof IDENTITIES)[number];
/** the careful operator who drives a case to its end; never requests anything */
export const FINISHER = 'dave-oncall';

export type Fault =
  /** regenerate happens, then the answer is a 503 (or the connection drops): the caller cannot tell */
  | { fault: 'regenerateLostAnswer'; outcome: 503 | 'drop' }
  | { fault: 'deleteLostAnswer'; outcome: 503 | 'drop' }
  /** the next N kubeconfig reads answer 503 "not yet available" */
  | { fault: 'kubeconfigUnavailable'; count: number }
  /** LKE takes longer than usual to serve the regenerated kubeconfig */
  | { fault: 'kubeconfigStall'; ms: number };

/** how a control reaches the workflow: an Update (the API's way; the default) or a Signal of the same name */
export type Via = 'update' | 'signal';

export type Op =
  | { op: 'approve'; by: Identity; via?: Via }
  | { op: 'reject'; by: Identity; via?: Via }
  | { op: 'pause'; by: Identity; via?: Via }
  | { op: 'resume'; by: Identity; via?: Via }
  | { op: 'retry'; by: Identity; via?: Via }
  | { op: 'skip'; by: Identity; via?: Via }
  | { op: 'abort'; by: Identity; via?: Via }
  /** a Temporal cancel request (Temporal Web's "Request cancellation") */
  | { op: 'cancel' }
  /** Temporal Web's "Terminate" */
  | { op: 'terminate' }
  /** client/rotations.ts resumeRotation, as the API's resume of an interrupted run */
  | { op: 'resumeRun'; by: Identity }
  /** a new rotation of the same cluster, started only if none is running */
  | { op: 'freshStart'; by: Identity }
  /**
   * Temporal Web's "Terminate", then at once a NEW rotation of the same cluster (not a resume): the
   * new run's snapshot meets whatever the terminated one left (docs/design.md, "The credential window")
   */
  | { op: 'terminateThenFreshStart'; by: Identity }
  /** a human following Linode's guide regenerates by hand (POST regenerate) */
  | { op: 'outsideRegenerate' }
  /** a user's own service account with a legacy token Secret in kube-system */
  | { op: 'userTokenSecret' }
  | ({ op: 'fault' } & Fault)
  | { op: 'killWorker' }
  /** the same controls on the fleet workflow (fleet cases only) */
  | { op: 'fleet'; control: 'approve' | 'reject' | 'pause' | 'resume' | 'abort'; by: Identity };

export type When = { afterMs: number } | { phase: RotationPhase };

export interface Action {
  when: When;
  /** which of the case's clusters (index), for cluster-level ops */
  cluster: number;
  op: Op;
}

/**
 * How LKE and the apiserver behave in this case, in real milliseconds. A time-scaled rotation would
 * pass through the credential window in about a second, too fast for an action aimed at one of its
 * phases to land there; these hold each step of the window open long enough (docs/simulator.md).
 */
export interface LkeBehaviour {
  /** from a regenerate until LKE serves the new kubeconfig (AwaitingKubeconfig) */
  kubeconfigReadyMs: number;
  /** after a regenerate LKE keeps serving the old kubeconfig this long (0: answers 503 at once) */
  staleKubeconfigMs: number;
  /** each token Secret delete takes this long (DeletingTokens) */
  deleteLatencyMs: number;
  /** LKE takes this long to answer POST regenerate (Regenerating) */
  regenerateLatencyMs: number;
  /** after a regenerate, each read of the cluster's Nodes takes this long (Verifying, which lists them twice per pass) */
  nodesLatencyMs: number;
  /** the rotator's first regenerate happens, but its answer is lost (503 or a dropped connection) */
  regenerateAnswerLost: 503 | 'drop' | null;
}

/** a fleet stage as the case writes it: the select rules that need no tags or regions on the clusters */
export interface ScenarioStage {
  select: Extract<StageSelect, { count: number } | { percent: number } | { rest: true }>;
  approval?: boolean;
  /** kept short (cases must stay fast): a soak of a few hundred ms still runs the health check */
  soakMs?: number;
}

export interface Scenario {
  /** 1: a single cluster rotation; 2-3: a fleet over that many clusters */
  clusters: number;
  /** the requester's own choices at start */
  gates: { beforeDelete: boolean; beforeRecycle: boolean };
  /**
   * whether gates switched off are recorded as switched off by an admin (approvals.disabledBy /
   * gatesDisabledBy); without it the workflows must keep them on. Absent in older regressions: false.
   */
  adminDisabledGates?: boolean;
  restart: 'none' | 'kube-system' | 'affected';
  recycle: 'none' | 'rolling';
  /** fleet only: canary wave size and whether its gate is on (ignored when `stages` is given) */
  fleet?: { canary: 0 | 1; canaryApproval: boolean };
  /**
   * fleet only: the fleet's own stages instead of the canary and the rest (common/stages.ts). Absent
   * in older regressions and in canary-shaped cases: the fleet gets `waves` from `fleet`.
   */
  stages?: ScenarioStage[];
  /**
   * a colleague who approves every gate (the rotations' and the fleet's) as soon as it is pending,
   * while the actions run, so actions aimed at later phases get there; may be the requester
   */
  approver?: Identity;
  /** user-owned token Secrets present in kube-system before the rotation starts */
  userTokenSecrets: number;
  /** absent: the simulator's defaults (a window of about a second), as in regressions found before it existed */
  lke?: LkeBehaviour;
  /** the Linode-bound steps on lke-rotation-linode, as runs the API starts; absent in older regressions: false */
  linodeQueue?: boolean;
  actions: Action[];
}

/** the phases of the credential window: from the first token delete until the new kubeconfig is delivered */
export const WINDOW_PHASES: readonly RotationPhase[] = [
  'DeletingTokens', 'Regenerating', 'AwaitingKubeconfig', 'Verifying', 'DeliveringKubeconfig',
];
/** other phases worth aiming an action at: the gates, the work after delivery, Blocked, the roll-forward */
export const OTHER_AIM_PHASES: readonly RotationPhase[] = [
  'AwaitingApproval', 'RestartingWorkloads', 'AwaitingRecycleApproval', 'RecyclingNodes', 'Blocked', 'Compensating',
];

const identity = fc.constantFrom(...IDENTITIES);

const faultArb: fc.Arbitrary<Fault> = fc.oneof(
  fc.record({ fault: fc.constant('regenerateLostAnswer' as const), outcome: fc.constantFrom(503 as const, 'drop' as const) }),
  fc.record({ fault: fc.constant('deleteLostAnswer' as const), outcome: fc.constantFrom(503 as const, 'drop' as const) }),
  fc.record({ fault: fc.constant('kubeconfigUnavailable' as const), count: fc.integer({ min: 1, max: 30 }) }),
  fc.record({ fault: fc.constant('kubeconfigStall' as const), ms: fc.integer({ min: 500, max: 8_000 }) }),
);

// Signals (temporal workflow signal, Temporal Web's "Send a Signal") must keep the promise as Updates do
const via: fc.Arbitrary<Via> = fc.constantFrom('update' as const, 'signal' as const);

const operatorOp: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('approve' as const), by: identity, via }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('reject' as const), by: identity, via }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('pause' as const), by: identity, via }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('resume' as const), by: identity, via }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('retry' as const), by: identity, via }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('skip' as const), by: identity, via }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('abort' as const), by: identity, via }) },
  { weight: 1, arbitrary: fc.constant({ op: 'cancel' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'terminate' as const }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('resumeRun' as const), by: identity }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('freshStart' as const), by: identity }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('terminateThenFreshStart' as const), by: identity }) },
);

const worldOp: fc.Arbitrary<Op> = fc.oneof(
  fc.constant({ op: 'outsideRegenerate' as const }),
  fc.constant({ op: 'userTokenSecret' as const }),
  faultArb.map((f): Op => ({ op: 'fault', ...f })),
);

const fleetOp: fc.Arbitrary<Op> = fc.record({
  op: fc.constant('fleet' as const),
  control: fc.constantFrom('approve' as const, 'reject' as const, 'pause' as const, 'resume' as const, 'abort' as const),
  by: identity,
});

// 2-3 stages: counts and percents of the 2-3 clusters (so some stages come out empty, and some
// clusters fall to an added `rest`), sometimes a `rest` last; each gate and soak optional, so a
// gate may sit after an empty stage or the last one, where it must guard nothing.
const stageSelect: fc.Arbitrary<ScenarioStage['select']> = fc.oneof(
  fc.record({ count: fc.integer({ min: 1, max: 2 }) }),
  fc.record({ percent: fc.constantFrom(1, 34, 50, 100) }),
);
const stageArb = (select: fc.Arbitrary<ScenarioStage['select']>): fc.Arbitrary<ScenarioStage> => fc.record({
  select,
  approval: fc.oneof({ weight: 2, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  soakMs: fc.oneof(fc.constant(0), fc.integer({ min: 50, max: 300 })),
});
const stagesArb: fc.Arbitrary<ScenarioStage[]> = fc.tuple(
  fc.array(stageArb(stageSelect), { minLength: 1, maxLength: 2 }),
  fc.option(stageArb(fc.constant({ rest: true as const })), { nil: undefined }),
).map(([first, rest]) => (rest ? [...first, rest] : first.length > 1 ? first : [...first, { select: { rest: true as const } }]));

// Most actions aim at the credential window, where the promise is hardest to keep (issue 10, item 1).
const when: fc.Arbitrary<When> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ afterMs: fc.integer({ min: 0, max: 1_500 }) }) },
  { weight: 5, arbitrary: fc.record({ phase: fc.constantFrom(...WINDOW_PHASES) }) },
  { weight: 2, arbitrary: fc.record({ phase: fc.constantFrom(...OTHER_AIM_PHASES) }) },
);

/**
 * Each step of the window held open for a while. The bounds stay under the time-scaled activity
 * timeouts (tuning.ts: 1 s for deletes and regenerate, a 1 s heartbeat for a verify pass), so a
 * slow step is slow, not a timeout; timeouts come from the faults and the SIGKILLs.
 */
const lkeBehaviour: fc.Arbitrary<LkeBehaviour> = fc.record({
  kubeconfigReadyMs: fc.integer({ min: 1_000, max: 3_000 }),
  staleKubeconfigMs: fc.oneof(fc.constant(0), fc.integer({ min: 300, max: 2_000 })),
  deleteLatencyMs: fc.integer({ min: 50, max: 120 }),
  regenerateLatencyMs: fc.integer({ min: 200, max: 500 }),
  nodesLatencyMs: fc.integer({ min: 100, max: 250 }),
  regenerateAnswerLost: fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom(503 as const, 'drop' as const) }),
});

function actionArb(clusters: number, without: ReadonlySet<string>): fc.Arbitrary<Action> {
  const op = fc.oneof(
    { weight: 6, arbitrary: operatorOp },
    { weight: 3, arbitrary: worldOp },
    { weight: 1, arbitrary: fc.constant({ op: 'killWorker' as const }) },
    ...(clusters > 1 ? [{ weight: 2, arbitrary: fleetOp }] : []),
  );
  return fc.record({ when, cluster: fc.integer({ min: 0, max: clusters - 1 }), op: without.size ? op.filter((o) => !without.has(o.op)) : op });
}

/**
 * Scenarios; `without` leaves out ops by name (and 'userTokenSecrets' the ones present at start,
 * 'lke' the slow credential window), to look past a counterexample already known. The default
 * generates everything.
 */
export function scenarioArbitrary(without: ReadonlySet<string> = new Set()): fc.Arbitrary<Scenario> {
  return fc
    .oneof({ weight: 3, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.integer({ min: 2, max: 3 }) })
    .chain((clusters) => fc.record({
      clusters: fc.constant(clusters),
      gates: fc.record({
        beforeDelete: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
        beforeRecycle: fc.boolean(),
      }),
      adminDisabledGates: fc.boolean(),
      restart: fc.constantFrom('none' as const, 'kube-system' as const, 'affected' as const),
      recycle: fc.constantFrom('none' as const, 'rolling' as const),
      fleet: clusters > 1
        ? fc.record({ canary: fc.constantFrom(0 as const, 1 as const), canaryApproval: fc.boolean() })
        : fc.constant(undefined),
      // mostly a colleague, so actions aimed past the gate get there once four-eyes is enforced
      approver: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('bob' as const, 'carol' as const) }, { weight: 1, arbitrary: fc.constant(REQUESTER) }),
      userTokenSecrets: without.has('userTokenSecrets')
        ? fc.constant(0)
        : fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 2 }) }),
      lke: without.has('lke') ? fc.constant(undefined) : lkeBehaviour,
      linodeQueue: fc.boolean(),
      actions: fc.array(actionArb(clusters, without), { maxLength: 10 }),
      // half the fleets list their own stages (the canary shape above is then ignored); drawn last and
      // a required key, so every other field of a seed's cases comes out as before stages existed
      stages: clusters > 1
        ? fc.oneof({ weight: 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: stagesArb })
        : fc.constant(undefined),
    }, { requiredKeys: ['clusters', 'gates', 'restart', 'recycle', 'stages', 'userTokenSecrets', 'lke', 'actions'] }));
}

/** One line per action, for the report of a failing case. */
export function describeScenario(s: Scenario): string {
  const head = s.clusters === 1
    ? 'one cluster rotation'
    : s.stages
      ? `a fleet of ${s.clusters} in stages ${s.stages.map(describeStage).join(', ')}`
      // absent `fleet`: tuning.ts's defaults, a canary of 1 with its gate on
      : `a fleet of ${s.clusters} (canary ${s.fleet?.canary ?? 1}, canary gate ${s.fleet?.canaryApproval ?? true ? 'on' : 'off'})`;
  const lines = [
    `${head} requested by ${REQUESTER}; gates beforeDelete ${s.gates.beforeDelete ? 'on' : 'OFF'}, beforeRecycle ${s.gates.beforeRecycle ? 'on' : 'off'}; ` +
      `restart ${s.restart}; recycle ${s.recycle}; ${s.userTokenSecrets} user-owned token Secret(s); ` +
      `${s.approver ? `${s.approver} approves every pending gate` : 'no standing approver'}` +
      `${s.linodeQueue ? '; Linode-bound steps on lke-rotation-linode' : ''}`,
    ...(s.lke ? [`LKE: kubeconfig ready ${s.lke.kubeconfigReadyMs} ms after a regenerate, the old one served ${s.lke.staleKubeconfigMs} ms; ` +
      `deletes ${s.lke.deleteLatencyMs} ms, regenerate ${s.lke.regenerateLatencyMs} ms, node reads ${s.lke.nodesLatencyMs} ms; ` +
      `first regenerate answer ${s.lke.regenerateAnswerLost === null ? 'arrives' : `lost (${s.lke.regenerateAnswerLost})`}`] : []),
  ];
  s.actions.forEach((a, i) => {
    const at = 'afterMs' in a.when ? `after ${a.when.afterMs} ms` : `at ${a.when.phase}`;
    const { op, ...args } = a.op;
    const rest = Object.entries(args).map(([k, v]) => `${k}=${String(v)}`).join(' ');
    lines.push(`  ${i + 1}. ${at}, cluster #${a.cluster}: ${op}${rest ? ` ${rest}` : ''}`);
  });
  return lines.join('\n');
}

/** e.g. `[count 1, gate, soak 120 ms]` */
export function describeStage(stage: ScenarioStage): string {
  const select = 'count' in stage.select ? `count ${stage.select.count}` : 'percent' in stage.select ? `${stage.select.percent}%` : 'rest';
  return `[${select}${stage.approval ? ', gate' : ''}${stage.soakMs ? `, soak ${stage.soakMs} ms` : ''}]`;
}
