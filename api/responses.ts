// The API's response schemas. Fastify's serializer writes only the fields a response schema names,
// so each schema here is checked at compile time against the type it serializes (client/views.ts,
// common/types.ts): a field added to the type and not here fails `tsc` instead of silently
// vanishing from the API's answers. They also become the OpenAPI document at /docs/json.
import { Type, type Static, type TSchema } from 'typebox';
import type {
  FleetScheduleSummary, FleetStatusView, FleetSummary, FleetView, RotationSummary, RotationView, StartedRun,
} from '../client/index.js';
import {
  FLEET_CLUSTER_PHASES, FLEET_PHASES, STAGE_STATES, type LinodePage, type LkeCluster, type RotationStatus,
} from '../common/types.js';
import { UPDATE_NAMES } from '../common/names.js';
import { Phase, Step } from './schemas.js';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const WebUrl = Type.Union([Type.String(), Type.Null()], {
  description: 'Temporal Web page of the run (null when TEMPORAL_WEB_URL is not configured)',
});

export const ExecutionStatus = Type.Enum([
  'UNSPECIFIED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'TERMINATED', 'CONTINUED_AS_NEW',
  'TIMED_OUT', 'PAUSED', 'UNKNOWN',
], { description: "Temporal's status of the latest run" });

const RunIds = { workflowId: Type.String(), runId: Type.String() };

export const StartedRunResponse = Type.Object({ ...RunIds, webUrl: WebUrl });

/** What a visibility listing says of any run (client/views.ts RunSummary), with its link. */
const RunSummaryFields = {
  ...RunIds,
  requestedBy: Nullable(Type.String()),
  execution: ExecutionStatus,
  startTime: Type.String(),
  closeTime: Nullable(Type.String()),
  webUrl: WebUrl,
};

// ---- a cluster rotation's status

const StringMap = Type.Record(Type.String(), Type.String());
const TokenSecretOwner = Type.Enum(['lke', 'user']);
const TokenSecretRef = Type.Object({
  namespace: Type.String(), name: Type.String(), uid: Type.String(), serviceAccount: Type.String(),
  created: Type.String(), owner: Type.Optional(TokenSecretOwner),
  labels: Type.Optional(StringMap), annotations: Type.Optional(StringMap),
});
const WorkloadRef = Type.Object({
  kind: Type.Enum(['Deployment', 'StatefulSet', 'DaemonSet']), namespace: Type.String(), name: Type.String(),
  uses: Type.Optional(Type.Array(Type.String(), { description: "restart scope 'affected': how the pod template uses a deleted token Secret" })),
});
const NodeDrainPreview = Type.Object({
  nodeId: Type.String(), nodeName: Nullable(Type.String()), evict: Type.Array(Type.String()), unmanaged: Type.Array(Type.String()),
  blockingBudgets: Type.Array(Type.String(), { description: 'PodDisruptionBudgets over these pods that allow no disruption now' }),
});
const PoolNodeRef = Type.Object({
  poolId: Type.Integer(), nodeId: Type.String(), instanceId: Nullable(Type.Integer()),
  status: Type.Enum(['ready', 'not_ready']),
});
const Gate = Type.Enum(['beforeDelete', 'beforeRecycle']);
const RefusedSignals = Type.Optional(Type.Array(Type.Object({
  at: Type.String(), signal: Type.Enum([...UPDATE_NAMES]), by: Nullable(Type.String()), reason: Type.String(),
}), { description: 'controls sent as Temporal Signals that were refused, with the reason (a Signal has no answer); the latest last' }));

export const RotationStatusSchema = Type.Object({
  batch: Type.Optional(Type.Object({
    activity: Type.Enum(['restartWorkloads', 'recycleNodes']),
    attempt: Type.Integer(),
    lastHeartbeatAt: Nullable(Type.String()),
    done: Type.Array(Type.String()),
    inFlight: Type.Array(Type.String()),
  }, { description: "live per-item progress of the running batch, from its heartbeat details (the workflow records each item's result when the batch answers)" })),
  clusterId: Type.Integer(),
  label: Nullable(Type.String()),
  region: Nullable(Type.String()),
  requestedBy: Type.String(),
  resumedBy: Type.Optional(Nullable(Type.String({ description: 'who resumed this run from an earlier one' }))),
  fleetRotationId: Nullable(Type.String()),
  dryRun: Type.Boolean(),
  phase: Phase,
  step: Nullable(Step),
  paused: Type.Boolean(),
  pausePending: Type.Optional(Type.Boolean()),
  autoRetryAt: Type.Optional(Nullable(Type.String())),
  plan: Nullable(Type.Object({
    deleteSecrets: Type.Array(TokenSecretRef),
    recreateSecrets: Type.Optional(Type.Array(TokenSecretRef)),
    restartWorkloads: Type.Array(WorkloadRef),
    recycleNodes: Type.Array(PoolNodeRef),
    drain: Type.Optional(Type.Array(NodeDrainPreview, { description: 'per node, what its drain will evict and what holds it (before the recycle gate)' })),
    gates: Type.Object({ beforeDelete: Type.Boolean(), beforeRecycle: Type.Boolean() }),
    rollForward: Type.Optional(Type.String()),
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
    item: Type.Optional(Type.String({ description: 'the workload or node a batched step is Blocked on: skip leaves out that one' })),
  })),
  approvals: Type.Array(Type.Object({
    gate: Gate, by: Type.String(), comment: Type.Optional(Type.String()), at: Type.String(),
  })),
  completedSteps: Type.Array(Step),
  skippedSteps: Type.Array(Step),
  oldCredentials: Type.Optional(Nullable(Type.Enum(['rejected', 'notProven']))),
  skippedTokenSecrets: Type.Optional(Type.Array(Type.String())),
  refusedSignals: RefusedSignals,
  linodeCalls: Type.Optional(Type.Object({
    total: Type.Integer(),
    byEndpoint: Type.Record(Type.String(), Type.Integer()),
  }, { description: "the Linode API requests this run's steps made, by endpoint (`GET /lke/clusters/:id/kubeconfig`); absent until one is counted" })),
  timeline: Type.Array(Type.Object({
    at: Type.String(), step: Nullable(Step), phase: Phase, event: Type.String(),
    detail: Type.Optional(Type.String()),
  })),
});

export const RotationViewResponse = Type.Object({
  ...RunIds,
  execution: ExecutionStatus,
  webUrl: WebUrl,
  status: Type.Union([RotationStatusSchema, Type.Null()], {
    description: "the workflow's status Query; null when no worker could answer it",
  }),
});

export const RotationListResponse = Type.Object({
  rotations: Type.Array(Type.Object({
    ...RunSummaryFields,
    clusterId: Nullable(Type.Integer()),
    region: Nullable(Type.String()),
    phase: Nullable(Phase),
    fleetRotationId: Nullable(Type.String()),
  })),
  nextPageToken: Nullable(Type.String()),
});

// ---- a fleet rotation's status

const StageApproval = Nullable(Type.Object({ by: Type.String(), comment: Type.Optional(Type.String()), at: Type.String() }));

const FleetStage = Type.Object({
  name: Type.String(),
  select: Type.String({ description: 'the select rule in words' }),
  clusters: Type.Integer(),
  state: Type.Enum([...STAGE_STATES]),
  approval: Type.Boolean(),
  gateKind: Type.Enum(['canary', 'stage']),
  approvedBy: StageApproval,
  soakMs: Type.Integer(),
  soak: Nullable(Type.Object({
    checks: Type.Integer(),
    lastCheckAt: Nullable(Type.String()),
    until: Nullable(Type.String()),
    findings: Type.Array(Type.Object({ clusterId: Nullable(Type.Integer()), reason: Type.String(), at: Type.String() })),
  })),
});

export const FleetStatusSchema = Type.Object({
  fleetRotationId: Type.String(),
  name: Type.String(),
  requestedBy: Type.String(),
  phase: Type.Enum([...FLEET_PHASES]),
  paused: Type.Boolean(),
  halted: Type.Boolean(),
  haltReason: Nullable(Type.String()),
  aborted: Nullable(Type.Object({ by: Type.String(), reason: Type.String() })),
  error: Nullable(Type.String()),
  concurrency: Type.Integer(),
  errorBudget: Type.Object({ allowed: Type.Integer(), failed: Type.Integer(), accepted: Type.Integer() }),
  waveCount: Type.Integer(),
  currentWave: Type.Integer(),
  pendingGate: Nullable(Type.Object({
    gate: Type.Enum(['canary', 'stage']), stage: Type.Optional(Type.String()), since: Type.String(), timeoutAt: Type.String(),
  })),
  soakUntil: Nullable(Type.String()),
  counts: Type.Record(Type.Enum([...FLEET_CLUSTER_PHASES]), Type.Integer()),
  clusters: Type.Array(Type.Object({
    id: Type.Integer(), label: Type.String(), region: Type.String(), k8sVersion: Type.String(),
    tags: Type.Optional(Type.Array(Type.String())), wave: Type.Integer(), phase: Type.Enum([...FLEET_CLUSTER_PHASES]), rotationPhase: Nullable(Phase),
    workflowId: Nullable(Type.String()), runId: Nullable(Type.String()), attached: Type.Boolean(),
    startedAt: Nullable(Type.String()), finishedAt: Nullable(Type.String()), error: Nullable(Type.String()),
  })),
  approvals: Type.Array(Type.Object({ by: Type.String(), comment: Type.Optional(Type.String()), at: Type.String() })),
  runs: Type.Integer(),
  timeline: Type.Array(Type.Object({ at: Type.String(), event: Type.String(), detail: Type.Optional(Type.String()) })),
  refusedSignals: RefusedSignals,
  stages: Type.Optional(Type.Array(FleetStage)),
});

export const FleetViewResponse = Type.Object({
  ...RunIds,
  execution: ExecutionStatus,
  webUrl: WebUrl,
  status: Nullable(FleetStatusSchema),
});

export const FleetListResponse = Type.Object({
  fleets: Type.Array(Type.Object({ ...RunSummaryFields, name: Type.String() })),
  nextPageToken: Nullable(Type.String()),
});

// ---- schedules and clusters

export const ScheduleListResponse = Type.Object({
  schedules: Type.Array(Type.Object({
    scheduleId: Type.String(),
    fleetName: Nullable(Type.String()),
    paused: Type.Boolean(),
    note: Nullable(Type.String()),
    nextRunAt: Nullable(Type.String()),
    recentRuns: Type.Array(Type.String()),
  })),
});

const Cluster = Type.Object({
  id: Type.Integer(),
  label: Type.String(),
  region: Type.String(),
  k8s_version: Type.String(),
  status: Type.Enum(['ready', 'not_ready']),
  tier: Type.Enum(['standard', 'enterprise']),
  tags: Type.Array(Type.String()),
  control_plane: Type.Object({ high_availability: Type.Boolean() }),
  created: Type.String(),
  updated: Type.String(),
});

export const ClusterPageResponse = Type.Object({
  data: Type.Array(Cluster),
  page: Type.Integer(),
  pages: Type.Integer(),
  results: Type.Integer(),
});

// ---- the compile-time checks

/**
 * True only when A and B are the same type, optional fields included: mutual assignability would
 * let an optional field added to one side slip through.
 */
type SameType<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
type Matches<Schema extends TSchema, T> = SameType<Static<Schema>, T>;
/** Fails to compile ("Type 'false' does not satisfy the constraint 'true'") when a schema and its type differ. */
type Check<_Proof extends true> = true;
/** What a route sends: the view plus its Temporal Web link. */
type Linked<T> = { [K in keyof T | 'webUrl']: K extends keyof T ? T[K] : string | null };

export type ResponseSchemasMatchTheirTypes = [
  Check<Matches<typeof StartedRunResponse, Linked<StartedRun>>>,
  Check<Matches<typeof RotationStatusSchema, RotationStatus>>,
  Check<Matches<typeof RotationViewResponse, Linked<RotationView>>>,
  Check<Matches<(typeof RotationListResponse)['properties']['rotations']['items'], Linked<RotationSummary>>>,
  Check<Matches<typeof FleetStatusSchema, FleetStatusView>>,
  Check<Matches<typeof FleetViewResponse, Linked<FleetView>>>,
  Check<Matches<(typeof FleetListResponse)['properties']['fleets']['items'], Linked<FleetSummary>>>,
  Check<Matches<(typeof ScheduleListResponse)['properties']['schedules']['items'], FleetScheduleSummary>>,
  Check<Matches<typeof ClusterPageResponse, LinodePage<LkeCluster>>>,
];
