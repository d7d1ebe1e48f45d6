// /v1/fleet-rotations: rotate many clusters in waves (canary, approval, the rest), and steer them.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { FleetControl } from '../../client/fleets.js';
import type { UpdateName } from '../../common/names.js';
import { FLEET_CLUSTER_PHASES, FLEET_PHASES, type FleetRotationInput } from '../../common/types.js';
import { callerOf, type Permission } from '../auth.js';
import type { FleetService, FleetView } from '../deps.js';
import { conflict, notFound } from '../errors.js';
import { assertNotOwnRequest } from '../fourEyes.js';
import { assertValidLabelPattern } from '../labelPattern.js';
import {
  ApproveBody, ClusterId, ExecutionStatus, FleetName, FleetRef, NoBody, PageSize, PageToken, Phase, ReasonBody,
  RotationOptions, StartedRunResponse, WebUrl,
} from '../schemas.js';
import { errorResponses } from './errorResponses.js';

export interface FleetRoutesOptions {
  fleets: FleetService;
  fourEyes: boolean;
  webLink(workflowId: string, runId: string): string | null;
}

const DAY_MS = 86_400_000;

export const StartFleetBody = Type.Object({
  name: FleetName,
  selector: Type.Object({
    clusterIds: Type.Optional(Type.Array(ClusterId, { minItems: 1, maxItems: 10_000, uniqueItems: true })),
    tags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 50 }), { minItems: 1, maxItems: 50 })),
    regions: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 50, pattern: '^[a-z0-9-]+$' }), { minItems: 1, maxItems: 50 })),
    labelPattern: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'a glob over the whole label (*, ?, [a-c], {a,b}) or /regex/flags (RE2 syntax: no backreferences or lookaround)' })),
  }, { additionalProperties: false, description: 'all given criteria must match; no criteria selects every cluster' }),
  rotation: Type.Optional(RotationOptions),
  waves: Type.Optional(Type.Object({
    canary: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000, default: 1 })),
    canaryApproval: Type.Optional(Type.Boolean({ default: true })),
  }, { additionalProperties: false })),
  concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 5 })),
  errorBudget: Type.Optional(Type.Union([
    Type.Object({ count: Type.Integer({ minimum: 0, maximum: 100_000 }) }, { additionalProperties: false }),
    Type.Object({ percent: Type.Number({ minimum: 0, maximum: 100 }) }, { additionalProperties: false }),
  ])),
  soakMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 7 * DAY_MS })),
  approvalTimeoutMs: Type.Optional(Type.Integer({ minimum: 1_000, maximum: 30 * DAY_MS })),
}, { additionalProperties: false, description: 'The requester is the caller (its token name).' });

/** A fleet by name, or by workflow id (scheduled runs carry a time suffix). */
const FleetParams = Type.Object({ fleet: FleetRef }, { additionalProperties: false });

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);
const ClusterPhase = Type.Enum([...FLEET_CLUSTER_PHASES]);

const FleetStatusSchema = Type.Object({
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
  pendingGate: Nullable(Type.Object({ gate: Type.Literal('canary'), since: Type.String(), timeoutAt: Type.String() })),
  soakUntil: Nullable(Type.String()),
  counts: Type.Record(Type.String(), Type.Integer()),
  clusters: Type.Array(Type.Object({
    id: Type.Integer(), label: Type.String(), region: Type.String(), k8sVersion: Type.String(),
    wave: Type.Integer(), phase: ClusterPhase, rotationPhase: Nullable(Phase),
    workflowId: Nullable(Type.String()), runId: Nullable(Type.String()), attached: Type.Boolean(),
    startedAt: Nullable(Type.String()), finishedAt: Nullable(Type.String()), error: Nullable(Type.String()),
  })),
  approvals: Type.Array(Type.Object({ by: Type.String(), comment: Type.Optional(Type.String()), at: Type.String() })),
  runs: Type.Integer(),
  timeline: Type.Array(Type.Object({ at: Type.String(), event: Type.String(), detail: Type.Optional(Type.String()) })),
});

const FleetViewResponse = Type.Object({
  workflowId: Type.String(),
  runId: Type.String(),
  execution: ExecutionStatus,
  webUrl: WebUrl,
  status: Nullable(FleetStatusSchema),
});

const ListQuery = Type.Object({
  pageSize: Type.Optional(PageSize),
  nextPageToken: Type.Optional(PageToken),
}, { additionalProperties: false });

const ListResponse = Type.Object({
  fleets: Type.Array(Type.Object({
    workflowId: Type.String(),
    runId: Type.String(),
    name: Type.String(),
    requestedBy: Nullable(Type.String()),
    execution: ExecutionStatus,
    startTime: Type.String(),
    closeTime: Nullable(Type.String()),
    webUrl: WebUrl,
  })),
  nextPageToken: Nullable(Type.String()),
});

const SkipBody = Type.Union([
  Type.Object({ clusterIds: Type.Optional(Type.Array(ClusterId, { minItems: 1, maxItems: 10_000, uniqueItems: true })) },
    { additionalProperties: false }),
  Type.Null(),
], { description: 'only these failed clusters, or (no body) all failed ones' });

interface FleetControlRoute {
  update: UpdateName;
  permission: Permission;
  summary: string;
  body: typeof NoBody | typeof ApproveBody | typeof ReasonBody | typeof SkipBody;
}

const CONTROL_ROUTES: readonly FleetControlRoute[] = [
  { update: 'approve', permission: 'approver', summary: 'Approve the canary gate (four-eyes: not by its requester)', body: ApproveBody },
  { update: 'reject', permission: 'approver', summary: 'Reject the canary gate: no further wave starts', body: ReasonBody },
  { update: 'pause', permission: 'operator', summary: 'Start no new clusters until resumed', body: NoBody },
  { update: 'resume', permission: 'operator', summary: 'Resume a paused fleet, or a halted one (accepting its failures so far)', body: NoBody },
  { update: 'retry', permission: 'operator', summary: 'Rotate failed clusters again', body: SkipBody },
  { update: 'skip', permission: 'operator', summary: 'Mark failed clusters Skipped and go on', body: SkipBody },
  { update: 'abort', permission: 'operator', summary: 'Start no new clusters; running ones are cancelled and compensate', body: ReasonBody },
];

function fleetControl(update: UpdateName, by: string, body: unknown): FleetControl {
  const fields = (body ?? {}) as { comment?: string; reason?: string; clusterIds?: number[] };
  switch (update) {
    case 'approve': return { update, input: { by, ...(fields.comment ? { comment: fields.comment } : {}) } };
    case 'reject':
    case 'abort': return { update, input: { by, reason: fields.reason ?? '' } };
    case 'skip':
    case 'retry': return { update, input: { by, ...(fields.clusterIds ? { clusterIds: fields.clusterIds } : {}) } };
    default: return { update, input: { by } };
  }
}

export const fleetRoutes: FastifyPluginAsyncTypebox<FleetRoutesOptions> = async (app, { fleets, fourEyes, webLink }) => {
  const tags = ['fleet-rotations'];

  const viewResponse = (view: FleetView) => ({ ...view, webUrl: webLink(view.workflowId, view.runId) });
  const requireView = async (fleet: string): Promise<FleetView> => {
    const view = await fleets.get(fleet);
    if (!view) throw notFound(`no fleet rotation '${fleet}'`);
    return view;
  };

  app.post('/fleet-rotations', {
    config: { permission: 'operator' },
    schema: {
      tags,
      summary: 'Start rotating a fleet of clusters in waves',
      body: StartFleetBody,
      response: { 202: StartedRunResponse, ...errorResponses(400, 401, 403, 409, 413, 415) },
    },
  }, async (request, reply) => {
    assertValidLabelPattern(request.body.selector, 'selector.labelPattern');
    const input: FleetRotationInput = { ...request.body, requestedBy: callerOf(request).name };
    const started = await fleets.start(input);
    request.log.info({ fleet: input.name, workflowId: started.workflowId, by: input.requestedBy }, 'fleet rotation started');
    return reply.code(202).send({ ...started, webUrl: webLink(started.workflowId, started.runId) });
  });

  app.get('/fleet-rotations', {
    config: { permission: 'read' },
    schema: {
      tags,
      summary: 'List fleet rotations through Temporal visibility',
      querystring: ListQuery,
      response: { 200: ListResponse, ...errorResponses(400, 401, 403) },
    },
  }, async (request) => {
    const page = await fleets.list({ pageSize: request.query.pageSize ?? 50, nextPageToken: request.query.nextPageToken });
    return { fleets: page.fleets.map((f) => ({ ...f, webUrl: webLink(f.workflowId, f.runId) })), nextPageToken: page.nextPageToken };
  });

  app.get('/fleet-rotations/:fleet', {
    config: { permission: 'read' },
    schema: {
      tags,
      summary: "A fleet rotation's status: counts per phase and each cluster's phase",
      params: FleetParams,
      response: { 200: FleetViewResponse, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => viewResponse(await requireView(request.params.fleet)));

  for (const route of CONTROL_ROUTES) {
    app.post(`/fleet-rotations/:fleet/${route.update}`, {
      config: { permission: route.permission },
      schema: {
        tags,
        summary: route.summary,
        params: FleetParams,
        body: route.body,
        response: { 200: FleetViewResponse, ...errorResponses(400, 401, 403, 404, 409, 413, 415) },
      },
    }, async (request) => {
      const { fleet } = request.params;
      const caller = callerOf(request);
      const view = await requireView(fleet);
      if (route.update === 'approve' && fourEyes) assertNotOwnRequest(caller.name, view.status?.requestedBy ?? null);
      if (view.execution !== 'RUNNING') {
        throw conflict(`fleet rotation '${fleet}' is not running (its last run is ${view.execution}${view.status ? `, phase ${view.status.phase}` : ''})`);
      }
      await fleets.control(view.workflowId, fleetControl(route.update, caller.name, request.body));
      request.log.info({ fleet, update: route.update, by: caller.name }, 'fleet control accepted');
      return viewResponse(await requireView(view.workflowId));
    });
  }
};
