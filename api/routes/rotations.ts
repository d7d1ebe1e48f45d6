// /v1/rotations: start, list, inspect and steer single-cluster rotations.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { ClusterRotationInput } from '../../common/types.js';
import { callerOf } from '../auth.js';
import type { ApiDeps, RotationView } from '../deps.js';
import { conflict, notFound } from '../errors.js';
import { assertNotOwnRequest } from '../fourEyes.js';
import { rotationWithGatePolicy } from '../gatePolicy.js';
import { RotationListResponse, RotationViewResponse, StartedRunResponse } from '../responses.js';
import { createStatusCache } from '../statusCache.js';
import { ClusterId, ClusterIdParams, FleetRef, PageSize, PageToken, Phase, RotationOptions } from '../schemas.js';
import { CONTROL_ROUTES, controlRequest } from './controls.js';
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

const ListQuery = Type.Object({
  phase: Type.Optional(Phase),
  clusterId: Type.Optional(ClusterId),
  fleet: Type.Optional(FleetRef),
  pageSize: Type.Optional(PageSize),
  nextPageToken: Type.Optional(PageToken),
}, { additionalProperties: false });

/** How stale GET /v1/rotations/:clusterId may be by default (api/statusCache.ts). */
export const DEFAULT_STATUS_MAX_AGE_MS = 5_000;

export const rotationRoutes: FastifyPluginAsyncTypebox<RotationRoutesOptions> = async (app, { deps, webLink }) => {
  const tags = ['rotations'];
  // only the status read is cached; controls read afresh and drop the cluster's entry
  const statuses = createStatusCache((clusterId) => deps.rotations.get(clusterId), {
    maxAgeMs: deps.statusMaxAgeMs ?? DEFAULT_STATUS_MAX_AGE_MS,
  });

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
      summary: 'Start rotating one cluster (switching an approval gate off needs the admin role)',
      body: StartRotationBody,
      response: { 202: StartedRunResponse, ...errorResponses(400, 401, 403, 409, 413, 415) },
    },
  }, async (request, reply) => {
    const caller = callerOf(request);
    const input: ClusterRotationInput = rotationWithGatePolicy(caller, { ...request.body, requestedBy: caller.name });
    const started = await deps.rotations.start(input);
    statuses.invalidate(input.clusterId);
    request.log.info({ clusterId: input.clusterId, workflowId: started.workflowId, by: input.requestedBy }, 'rotation started');
    return reply.code(202).send({ ...started, webUrl: webLink(started.workflowId, started.runId) });
  });

  app.get('/rotations', {
    config: { permission: 'read' },
    schema: {
      tags,
      summary: 'List rotations through Temporal visibility',
      querystring: ListQuery,
      response: { 200: RotationListResponse, ...errorResponses(400, 401, 403) },
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
      description: 'May answer from a read started up to API_STATUS_MAX_AGE_MS (default 5 s) before the request; ' +
        'the Age header says how old the answer is, in whole seconds rounded up.',
      params: ClusterIdParams,
      response: { 200: RotationViewResponse, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request, reply) => {
    const { clusterId } = request.params;
    const { view, ageMs } = await statuses.get(clusterId);
    if (!view) throw notFound(`cluster ${clusterId} has no rotation`);
    // HTTP's Age is whole seconds, truncated (RFC 9111: a 0.3 s old answer is Age 0); the exact figure helps dashboards
    void reply.header('age', String(Math.floor(ageMs / 1000))).header('x-status-age-ms', String(ageMs));
    return viewResponse(view);
  });

  for (const route of CONTROL_ROUTES) {
    app.post(`/rotations/:clusterId/${route.update}`, {
      config: { permission: route.permission },
      schema: {
        tags,
        summary: route.rotation.summary,
        params: ClusterIdParams,
        body: route.rotation.body,
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

      if (route.update === 'approve' || route.update === 'reject') {
        assertNotOwnRequest(route.update, caller.name, view.status?.requestedBy ?? null);
      }

      if (view.execution !== 'RUNNING') {
        // Which ended runs can be continued is resumeRotation's call; it refuses the rest (409).
        if (route.update === 'resume') {
          const started = await deps.rotations.resume(clusterId, caller.name);
          statuses.invalidate(clusterId);
          request.log.info({ clusterId, workflowId: started.workflowId, by: caller.name }, 'rotation resumed in a new run');
          return reply.code(202).send({ ...started, webUrl: webLink(started.workflowId, started.runId) });
        }
        const phase = view.status ? `, phase ${view.status.phase}` : '';
        throw conflict(`the rotation of cluster ${clusterId} is not running (its last run is ${view.execution}${phase})`);
      }

      try {
        await deps.rotations.control(clusterId, controlRequest(route.update, caller.name, request.body));
        statuses.invalidate(clusterId);
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
