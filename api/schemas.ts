// TypeBox schemas shared by several routes. They validate input, shape the responses and become the
// OpenAPI document at /docs/json, so they mirror common/types.ts field for field.
import { Type } from 'typebox';
import { ROTATION_PHASES } from '../common/names.js';
import { ROTATION_STEPS } from '../common/types.js';

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

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);

export const WebUrl = Type.Union([Type.String(), Type.Null()], {
  description: 'Temporal Web page of the run (null when TEMPORAL_WEB_URL is not configured)',
});

export const StartedRunResponse = Type.Object({
  workflowId: Type.String(),
  runId: Type.String(),
  webUrl: WebUrl,
});

const StringMap = Type.Record(Type.String(), Type.String());
const TokenSecretOwner = Type.Enum(['lke', 'user']);
const TokenSecretRef = Type.Object({
  namespace: Type.String(), name: Type.String(), uid: Type.String(), serviceAccount: Type.String(),
  created: Type.String(), owner: Type.Optional(TokenSecretOwner),
  labels: Type.Optional(StringMap), annotations: Type.Optional(StringMap),
});
const WorkloadRef = Type.Object({
  kind: Type.Enum(['Deployment', 'StatefulSet', 'DaemonSet']), namespace: Type.String(), name: Type.String(),
});
const PoolNodeRef = Type.Object({
  poolId: Type.Integer(), nodeId: Type.String(), instanceId: Nullable(Type.Integer()),
  status: Type.Enum(['ready', 'not_ready']),
});
const Gate = Type.Enum(['beforeDelete', 'beforeRecycle']);

export const RotationStatusSchema = Type.Object({
  clusterId: Type.Integer(),
  label: Nullable(Type.String()),
  region: Nullable(Type.String()),
  requestedBy: Type.String(),
  fleetRotationId: Nullable(Type.String()),
  dryRun: Type.Boolean(),
  phase: Phase,
  step: Nullable(Step),
  paused: Type.Boolean(),
  plan: Nullable(Type.Object({
    deleteSecrets: Type.Array(TokenSecretRef),
    recreateSecrets: Type.Optional(Type.Array(TokenSecretRef)),
    restartWorkloads: Type.Array(WorkloadRef),
    recycleNodes: Type.Array(PoolNodeRef),
    gates: Type.Object({ beforeDelete: Type.Boolean(), beforeRecycle: Type.Boolean() }),
  })),
  progress: Type.Object({
    tokensDeleted: Type.Integer(), tokensTotal: Type.Integer(),
    workloadsRestarted: Type.Integer(), workloadsTotal: Type.Integer(),
    nodesRecycled: Type.Integer(), nodesTotal: Type.Integer(),
  }),
  pendingGate: Nullable(Type.Object({ gate: Gate, since: Type.String(), timeoutAt: Type.String() })),
  lastError: Nullable(Type.Object({
    step: Step, message: Type.String(), type: Type.String(), at: Type.String(),
    tokenSecrets: Type.Optional(Type.Array(Type.Object({ name: Type.String(), owner: TokenSecretOwner }))),
  })),
  approvals: Type.Array(Type.Object({
    gate: Gate, by: Type.String(), comment: Type.Optional(Type.String()), at: Type.String(),
  })),
  completedSteps: Type.Array(Step),
  skippedSteps: Type.Array(Step),
  oldCredentials: Type.Optional(Nullable(Type.Enum(['rejected', 'notProven']))),
  skippedTokenSecrets: Type.Optional(Type.Array(Type.String())),
  timeline: Type.Array(Type.Object({
    at: Type.String(), step: Nullable(Step), phase: Phase, event: Type.String(),
    detail: Type.Optional(Type.String()),
  })),
});

export const ExecutionStatus = Type.Enum([
  'UNSPECIFIED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'TERMINATED', 'CONTINUED_AS_NEW',
  'TIMED_OUT', 'PAUSED', 'UNKNOWN',
], { description: "Temporal's status of the latest run" });

export const PageSize = Type.Integer({ minimum: 1, maximum: 1000, default: 50 });
export const PageToken = Type.String({ minLength: 1, maxLength: 4096, pattern: '^[A-Za-z0-9_-]+$' });

const NamespaceName = Type.String({ minLength: 1, maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' });

/** The per-cluster options of ClusterRotationInput, as a single rotation and a fleet take them. */
export const RotationOptions = Type.Object({
  approvals: Type.Optional(Type.Object({
    beforeDelete: Type.Optional(Type.Boolean({ default: true })),
    beforeRecycle: Type.Optional(Type.Boolean({ default: true })),
  }, { additionalProperties: false })),
  restart: Type.Optional(Type.Object({
    scope: Type.Union([
      Type.Enum(['none', 'kube-system', 'all']),
      Type.Object({ namespaces: Type.Array(NamespaceName, { minItems: 1, maxItems: 100, uniqueItems: true }) },
        { additionalProperties: false }),
    ]),
  }, { additionalProperties: false })),
  recycle: Type.Optional(Type.Object({ mode: Type.Enum(['none', 'rolling']) }, { additionalProperties: false })),
  dryRun: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });

export const NoBody = Type.Union([Type.Object({}, { additionalProperties: false }), Type.Null()], {
  description: 'no body, or an empty object',
});
export const ApproveBody = Type.Object({ comment: Type.Optional(Comment) }, { additionalProperties: false });
export const ReasonBody = Type.Object({ reason: Comment }, { additionalProperties: false });
