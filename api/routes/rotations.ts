// /v1/rotations: start, list, inspect and steer single-cluster rotations.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { UpdateName } from '../../common/names.js';
import type { ClusterRotationInput } from '../../common/types.js';
import { callerOf, type Permission } from '../auth.js';
import type { ApiDeps, ControlPayload, RotationView } from '../deps.js';
import { conflict, notFound } from '../errors.js';
import { assertNotOwnRequest } from '../fourEyes.js';
import {
  ApproveBody, ClusterId, ClusterIdParams, ExecutionStatus, FleetRef, NoBody, PageSize, PageToken, Phase, ReasonBody,
  RotationOptions, RotationStatusSchema, StartedRunResponse, WebUrl,
} from '../schemas.js';
import { errorResponses } from './errorResponses.js';

export interface RotationRoutesOptions {
  deps: ApiDeps;
  webLink(workflowId: string, runId: string): string | null;
}

const StartRotationBody = Type.Object({
  clusterId: ClusterId,
  ...RotationOptions.properties,
}, {
  additionalProperties: false,
  description: 'The requester is the caller (its token name); it cannot be set in the body.',
});

const RotationViewResponse = Type.Object({
  workflowId: Type.String(),
  runId: Type.String(),
  execution: ExecutionStatus,
  webUrl: WebUrl,
  status: Type.Union([RotationStatusSchema, Type.Null()], {
    description: "the workflow's status Query; null when no worker could answer it",
  }),
});

const ListQuery = Type.Object({
  phase: Type.Optional(Phase),
  clusterId: Type.Optional(ClusterId),
  fleet: Type.Optional(FleetRef),
  pageSize: Type.Optional(PageSize),
  nextPageToken: Type.Optional(PageToken),
}, { additionalProperties: false });

const ListResponse = Type.Object({
  rotations: Type.Array(Type.Object({
    workflowId: Type.String(),
    runId: Type.String(),
    clusterId: Type.Union([Type.Integer(), Type.Null()]),
    region: Type.Union([Type.String(), Type.Null()]),
    phase: Type.Union([Phase, Type.Null()]),
    requestedBy: Type.Union([Type.String(), Type.Null()]),
    fleetRotationId: Type.Union([Type.String(), Type.Null()]),
    execution: ExecutionStatus,
    startTime: Type.String(),
    closeTime: Type.Union([Type.String(), Type.Null()]),
    webUrl: WebUrl,
  })),
  nextPageToken: Type.Union([Type.String(), Type.Null()]),
});


interface ControlRoute {
  update: UpdateName;
  permission: Permission;
  summary: string;
  body: typeof NoBody | typeof ApproveBody | typeof ReasonBody;
}

const CONTROL_ROUTES: readonly ControlRoute[] = [
  { update: 'approve', permission: 'approver', summary: 'Approve the pending gate (four-eyes: not by its requester)', body: ApproveBody },
  { update: 'reject', permission: 'approver', summary: 'Reject the pending gate; the rotation ends with nothing changed', body: ReasonBody },
  { update: 'pause', permission: 'operator', summary: 'Pause before the next step', body: NoBody },
  { update: 'resume', permission: 'operator', summary: 'Resume a paused rotation, or continue a run that ended unfinished in a new run', body: NoBody },
  { update: 'retry', permission: 'operator', summary: 'Retry the step a Blocked rotation stopped at', body: NoBody },
  { update: 'skip', permission: 'operator', summary: 'Skip the step a Blocked rotation stopped at, where that is safe', body: NoBody },
  { update: 'abort', permission: 'operator', summary: 'Abort; compensates to a safe state when credentials were already touched', body: ReasonBody },
];

function controlPayload(update: UpdateName, by: string, body: unknown): ControlPayload {
  const fields = (body ?? {}) as { comment?: string; reason?: string };
  switch (update) {
    case 'approve':
      return { update, by, ...(fields.comment ? { comment: fields.comment } : {}) };
    case 'reject':
    case 'abort':
      return { update, by, reason: fields.reason ?? '' };
    default:
      return { update, by };
  }
}

export const rotationRoutes: FastifyPluginAsyncTypebox<RotationRoutesOptions> = async (app, { deps, webLink }) => {
  const fourEyes = deps.fourEyes ?? true;
  const tags = ['rotations'];

  const viewResponse = (view: RotationView) => ({
    workflowId: view.workflowId,
    runId: view.runId,
    execution: view.execution,
    webUrl: webLink(view.workflowId, view.runId),
    status: view.status,
  });

  const requireView = async (clusterId: number): Promise<RotationView> => {
    const view = await deps.rotations.get(clusterId);
    if (!view) throw notFound(`cluster ${clusterId} has no rotation`);
    return view;
  };

  app.post('/rotations', {
    config: { permission: 'operator' },
    schema: {
      tags,
      summary: 'Start rotating one cluster',
      body: StartRotationBody,
      response: { 202: StartedRunResponse, ...errorResponses(400, 401, 403, 409, 413, 415) },
    },
  }, async (request, reply) => {
    const input: ClusterRotationInput = { ...request.body, requestedBy: callerOf(request).name };
    const started = await deps.rotations.start(input);
    request.log.info({ clusterId: input.clusterId, workflowId: started.workflowId, by: input.requestedBy }, 'rotation started');
    return reply.code(202).send({ ...started, webUrl: webLink(started.workflowId, started.runId) });
  });

  app.get('/rotations', {
    config: { permission: 'read' },
    schema: {
      tags,
      summary: 'List rotations through Temporal visibility',
      querystring: ListQuery,
      response: { 200: ListResponse, ...errorResponses(400, 401, 403) },
    },
  }, async (request) => {
    const { phase, clusterId, fleet, pageSize, nextPageToken } = request.query;
    const page = await deps.rotations.list({
      phase, clusterId, fleetRotationId: fleet, pageSize: pageSize ?? 50, nextPageToken,
    });
    return {
      rotations: page.rotations.map((r) => ({ ...r, webUrl: webLink(r.workflowId, r.runId) })),
      nextPageToken: page.nextPageToken,
    };
  });

  app.get('/rotations/:clusterId', {
    config: { permission: 'read' },
    schema: {
      tags,
      summary: "A cluster's rotation: its latest run and status",
      params: ClusterIdParams,
      response: { 200: RotationViewResponse, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => viewResponse(await requireView(request.params.clusterId)));

  for (const route of CONTROL_ROUTES) {
    app.post(`/rotations/:clusterId/${route.update}`, {
      config: { permission: route.permission },
      schema: {
        tags,
        summary: route.summary,
        params: ClusterIdParams,
        body: route.body,
        response: {
          200: RotationViewResponse,
          ...(route.update === 'resume' ? { 202: StartedRunResponse } : {}),
          ...errorResponses(400, 401, 403, 404, 409, 413, 415),
        },
      },
    }, async (request, reply) => {
      const { clusterId } = request.params;
      const caller = callerOf(request);
      const view = await requireView(clusterId);

      if (route.update === 'approve' && fourEyes) assertNotOwnRequest(caller.name, view.status?.requestedBy ?? null);

      if (view.execution !== 'RUNNING') {
        // Which ended runs can be continued is resumeRotation's call; it refuses the rest (409).
        if (route.update === 'resume') {
          const started = await deps.rotations.resume(clusterId, caller.name);
          request.log.info({ clusterId, workflowId: started.workflowId, by: caller.name }, 'rotation resumed in a new run');
          return reply.code(202).send({ ...started, webUrl: webLink(started.workflowId, started.runId) });
        }
        const phase = view.status ? `, phase ${view.status.phase}` : '';
        throw conflict(`the rotation of cluster ${clusterId} is not running (its last run is ${view.execution}${phase})`);
      }

      try {
        await deps.rotations.control(clusterId, controlPayload(route.update, caller.name, request.body));
      } catch (err) {
        // The run ended between the read above and the Update.
        if (err instanceof WorkflowNotFoundError) throw conflict(`the rotation of cluster ${clusterId} has ended`);
        throw err;
      }
      request.log.info({ clusterId, update: route.update, by: caller.name }, 'rotation control accepted');
      return reply.code(200).send(viewResponse(await requireView(clusterId)));
    });
  }
};
