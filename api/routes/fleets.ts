// /v1/fleet-rotations: rotate many clusters in stages (or waves: canary, approval, the rest), and steer them.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { FleetRotationInput } from '../../common/types.js';
import { callerOf } from '../auth.js';
import type { FleetService, FleetView } from '../deps.js';
import { conflict, notFound } from '../errors.js';
import { assertNotOwnRequest } from '../fourEyes.js';
import { fleetWithGatePolicy } from '../gatePolicy.js';
import { FleetListResponse, FleetViewResponse, StartedRunResponse } from '../responses.js';
import { ClusterId, FleetConcurrency, FleetName, FleetRef, FleetStages, PageSize, PageToken, RegionId, RotationOptions, SelectorTag } from '../schemas.js';
import { CONTROL_ROUTES, controlRequest } from './controls.js';
import { assertValidLabelPattern } from '../labelPattern.js';
import { assertValidStages } from '../stages.js';
import { errorResponses } from './errorResponses.js';

export interface FleetRoutesOptions {
  fleets: FleetService;
  webLink(workflowId: string, runId: string): string | null;
}

const DAY_MS = 86_400_000;

export const StartFleetBody = Type.Object({
  name: FleetName,
  selector: Type.Object({
    all: Type.Optional(Type.Boolean({ description: 'true: select every cluster of the account (required when no criterion is given)' })),
    clusterIds: Type.Optional(Type.Array(ClusterId, { minItems: 1, maxItems: 10_000, uniqueItems: true })),
    tags: Type.Optional(Type.Array(SelectorTag, { minItems: 1, maxItems: 50 })),
    regions: Type.Optional(Type.Array(RegionId, { minItems: 1, maxItems: 50 })),
    labelPattern: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'a glob over the whole label (*, ?, [a-c], {a,b}) or /regex/flags (RE2 syntax: no backreferences or lookaround)' })),
  }, { additionalProperties: false, description: 'all given criteria must match; no criteria (with all: true) selects every cluster' }),
  rotation: Type.Optional(RotationOptions),
  waves: Type.Optional(Type.Object({
    canary: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000, default: 1 })),
    canaryApproval: Type.Optional(Type.Boolean({ default: true })),
  }, { additionalProperties: false, description: 'the shorthand for two stages, canary and the rest (not with stages)' })),
  stages: Type.Optional(FleetStages),
  concurrency: Type.Optional(FleetConcurrency),
  errorBudget: Type.Optional(Type.Union([
    Type.Object({ count: Type.Integer({ minimum: 0, maximum: 100_000 }) }, { additionalProperties: false }),
    Type.Object({ percent: Type.Number({ minimum: 0, maximum: 100 }) }, { additionalProperties: false }),
  ])),
  soakMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 7 * DAY_MS, description: "the canary stage's soak (not with stages)" })),
  approvalTimeoutMs: Type.Optional(Type.Integer({ minimum: 1_000, maximum: 30 * DAY_MS })),
}, { additionalProperties: false, description: 'The requester is the caller (its token name).' });

/** A fleet by name, or by workflow id (scheduled runs carry a time suffix). */
const FleetParams = Type.Object({ fleet: FleetRef }, { additionalProperties: false });

const ListQuery = Type.Object({
  pageSize: Type.Optional(PageSize),
  nextPageToken: Type.Optional(PageToken),
}, { additionalProperties: false });

export const fleetRoutes: FastifyPluginAsyncTypebox<FleetRoutesOptions> = async (app, { fleets, webLink }) => {
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
      summary: 'Start rotating a fleet of clusters in stages or waves (canary 0, no canary approval, no stage gate or child gates off need the admin role)',
      body: StartFleetBody,
      response: { 202: StartedRunResponse, ...errorResponses(400, 401, 403, 409, 413, 415) },
    },
  }, async (request, reply) => {
    assertValidLabelPattern(request.body.selector, 'selector.labelPattern');
    assertValidStages(request.body);
    const caller = callerOf(request);
    const input: FleetRotationInput = fleetWithGatePolicy(caller, { ...request.body, requestedBy: caller.name });
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
      response: { 200: FleetListResponse, ...errorResponses(400, 401, 403) },
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
        summary: route.fleet.summary,
        params: FleetParams,
        body: route.fleet.body,
        response: {
          200: FleetViewResponse,
          ...(route.update === 'resume' ? { 202: StartedRunResponse } : {}),
          ...errorResponses(400, 401, 403, 404, 409, 413, 415),
        },
      },
    }, async (request, reply) => {
      const { fleet } = request.params;
      const caller = callerOf(request);
      const view = await requireView(fleet);
      if (route.update === 'approve' || route.update === 'reject') {
        assertNotOwnRequest(route.update, caller.name, view.status?.requestedBy ?? null);
      }
      if (view.execution !== 'RUNNING') {
        // A run that ended without reporting continues in a new run; resumeFleetRotation refuses the rest (409).
        if (route.update === 'resume') {
          const started = await fleets.resume(view.workflowId, caller.name);
          request.log.info({ fleet, workflowId: started.workflowId, by: caller.name }, 'fleet rotation resumed in a new run');
          return reply.code(202).send({ ...started, webUrl: webLink(started.workflowId, started.runId) });
        }
        throw conflict(`fleet rotation '${fleet}' is not running (its last run is ${view.execution}${view.status ? `, phase ${view.status.phase}` : ''})`);
      }
      await fleets.control(view.workflowId, controlRequest(route.update, caller.name, request.body));
      request.log.info({ fleet, update: route.update, by: caller.name }, 'fleet control accepted');
      return viewResponse(await requireView(view.workflowId));
    });
  }
};
