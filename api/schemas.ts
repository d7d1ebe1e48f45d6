// TypeBox schemas of what callers send, shared by several routes: they validate input and become the
// OpenAPI document at /docs/json. What the API answers is api/responses.ts.
import { Type } from 'typebox';
import { ROTATION_PHASES } from '../common/names.js';
import { ROTATION_STEPS, type StageSelect as StageSelectRule } from '../common/types.js';

/** LKE cluster ids are positive 32-bit integers; anything else is refused before reaching Temporal. */
export const ClusterId = Type.Integer({ minimum: 1, maximum: 2_147_483_647, description: 'LKE cluster id' });

export const ClusterIdParams = Type.Object({ clusterId: ClusterId }, { additionalProperties: false });

export const Phase = Type.Enum([...ROTATION_PHASES]);
export const Step = Type.Enum([...ROTATION_STEPS]);

/** Fleet rotation names become workflow ids and visibility query values: keep them plain. */
export const FleetName = Type.String({ minLength: 1, maxLength: 63, pattern: '^[a-z0-9]([a-z0-9-]*[a-z0-9])?$' });

/** A fleet rotation by name or by workflow id (scheduled runs' ids carry a time suffix, e.g. ...T03:00:00Z). */
export const FleetRef = Type.String({ minLength: 1, maxLength: 200, pattern: '^[a-z0-9][A-Za-z0-9:._-]*$' });

export const Comment = Type.String({ minLength: 1, maxLength: 1000 });

export const PageSize = Type.Integer({ minimum: 1, maximum: 1000, default: 50 });
export const PageToken = Type.String({ minLength: 1, maxLength: 4096, pattern: '^[A-Za-z0-9_-]+$' });

/** A fleet's selector entries and its concurrency (the fleet routes and the CLI check the same bounds). */
export const SelectorTag = Type.String({ minLength: 1, maxLength: 50 });
export const RegionId = Type.String({ minLength: 1, maxLength: 50, pattern: '^[a-z0-9-]+$' });
export const FleetConcurrency = Type.Integer({ minimum: 1, maximum: 1000, default: 5 });

const NamespaceName = Type.String({ minLength: 1, maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' });

/** The per-cluster options of ClusterRotationInput, as a single rotation and a fleet take them. */
export const RotationOptions = Type.Object({
  approvals: Type.Optional(Type.Object({
    beforeDelete: Type.Optional(Type.Boolean({ default: true })),
    beforeRecycle: Type.Optional(Type.Boolean({ default: true })),
  }, { additionalProperties: false })),
  restart: Type.Optional(Type.Object({
    scope: Type.Union([
      Type.Enum(['none', 'affected', 'kube-system', 'all'], {
        description: "'affected' (the default when restart is absent): the workloads whose pod templates use a deleted token Secret",
      }),
      Type.Object({ namespaces: Type.Array(NamespaceName, { minItems: 1, maxItems: 100, uniqueItems: true }) },
        { additionalProperties: false }),
    ]),
    maxConcurrent: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, description: 'workloads restarting at once; default 1' })),
    pauseBetweenMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600_000, description: 'a pause after each workload; default 0' })),
  }, { additionalProperties: false })),
  recycle: Type.Optional(Type.Object({
    mode: Type.Enum(['none', 'rolling']),
    drainTimeoutMs: Type.Optional(Type.Integer({
      minimum: 10_000, maximum: 24 * 3_600_000, description: "how long a node's drain may take before the rotation is Blocked on it; default 10 min",
    })),
    evictUnmanagedPods: Type.Optional(Type.Boolean({ description: 'evict pods no controller recreates (kubectl drain --force); default false' })),
  }, { additionalProperties: false })),
  dryRun: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });

const DAY_MS = 86_400_000;

/**
 * A stage's select rule: exactly one of these fields. One object rather than a union of five, so a
 * bad value is named precisely (a union's errors would bury it); api/stages.ts checks that exactly
 * one is given (and that only the last stage takes the rest), so its static type is the union.
 */
const StageSelect = Type.Unsafe<StageSelectRule>(Type.Object({
  count: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
  percent: Type.Optional(Type.Number({ minimum: 1, maximum: 100, description: 'of the whole selection, rounded up' })),
  region: Type.Optional(RegionId),
  tag: Type.Optional(SelectorTag),
  rest: Type.Optional(Type.Literal(true)),
}, { additionalProperties: false, description: 'exactly one of count, percent, region, tag, rest: the clusters the stage takes from those no earlier stage took' }));

/** A fleet's stages, in order (docs/design.md, "Stages"). */
export const FleetStages = Type.Array(Type.Object({
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 63, pattern: '^[a-z0-9]([a-z0-9-]*[a-z0-9])?$', description: 'default stage-<n>' })),
  select: StageSelect,
  approval: Type.Optional(Type.Boolean({ default: false, description: "a second person's approval before the next stage" })),
  soakMs: Type.Optional(Type.Integer({
    minimum: 0, maximum: 7 * DAY_MS, description: "a health check of the stage's clusters this long before the next stage (and its gate)",
  })),
}, { additionalProperties: false }), { minItems: 1, maxItems: 20, description: 'not with waves or soakMs' });

export const NoBody = Type.Union([Type.Object({}, { additionalProperties: false }), Type.Null()], {
  description: 'no body, or an empty object',
});
export const ApproveBody = Type.Object({ comment: Type.Optional(Comment) }, { additionalProperties: false });
/** A fleet's approve may name the stage it approves: refused when another stage's gate is waiting. */
export const FleetApproveBody = Type.Object({
  comment: Type.Optional(Comment),
  stage: Type.Optional(Type.String({ minLength: 1, maxLength: 63, description: 'the stage whose gate this approves (default: the one waiting)' })),
}, { additionalProperties: false });
export const ReasonBody = Type.Object({ reason: Comment }, { additionalProperties: false });

/** retry and skip of a fleet: only these failed clusters, or (no body) all failed ones. */
export const SkipBody = Type.Union([
  Type.Object({ clusterIds: Type.Optional(Type.Array(ClusterId, { minItems: 1, maxItems: 10_000, uniqueItems: true })) },
    { additionalProperties: false }),
  Type.Null(),
], { description: 'only these failed clusters, or (no body) all failed ones' });
