// /v1/schedules: Temporal Schedules that start a fleet rotation periodically.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { callerOf } from '../auth.js';
import type { ScheduleService } from '../deps.js';
import { fleetWithGatePolicy } from '../gatePolicy.js';
import { assertHourlyAtMost } from '../scheduleTiming.js';
import { ScheduleListResponse } from '../responses.js';
import { assertValidLabelPattern } from '../labelPattern.js';
import { assertValidStages } from '../stages.js';
import { errorResponses } from './errorResponses.js';
import { StartFleetBody } from './fleets.js';

export interface ScheduleRoutesOptions {
  schedules: ScheduleService;
}

const ScheduleId = Type.String({ minLength: 1, maxLength: 63, pattern: '^[a-z0-9]([a-z0-9-]*[a-z0-9])?$' });
const ScheduleParams = Type.Object({ scheduleId: ScheduleId }, { additionalProperties: false });
const Note = Type.String({ minLength: 1, maxLength: 500 });

const CreateScheduleBody = Type.Object({
  scheduleId: ScheduleId,
  fleet: StartFleetBody,
  timing: Type.Union([
    Type.Object({
      every: Type.String({ pattern: '^[1-9][0-9]{0,5} ?(s|m|h|d|seconds?|minutes?|hours?|days?)$', description: 'e.g. "30 days", "12h"; at least 1h' }),
    }, { additionalProperties: false }),
    Type.Object({
      cron: Type.String({ pattern: '^\\S+( \\S+){4}$', maxLength: 100, description: 'five fields, e.g. "0 3 1 * *"; at most hourly (one number in the minute field)' }),
    }, { additionalProperties: false }),
  ]),
  paused: Type.Optional(Type.Boolean()),
  note: Type.Optional(Note),
}, { additionalProperties: false, description: 'Each run is requested by the caller (its token name).' });

const NoteBody = Type.Union([Type.Object({ note: Type.Optional(Note) }, { additionalProperties: false }), Type.Null()]);

const Done = Type.Null({ description: 'done' });

export const scheduleRoutes: FastifyPluginAsyncTypebox<ScheduleRoutesOptions> = async (app, { schedules }) => {
  const tags = ['schedules'];

  app.post('/schedules', {
    config: { permission: 'operator' },
    schema: {
      tags,
      summary: 'Run a fleet rotation periodically (at most hourly; a fleet that passes no gate needs the admin role)',
      body: CreateScheduleBody,
      response: { 201: Type.Object({ scheduleId: Type.String() }), ...errorResponses(400, 401, 403, 409, 413, 415) },
    },
  }, async (request, reply) => {
    const { scheduleId, fleet, timing, paused, note } = request.body;
    assertValidLabelPattern(fleet.selector, 'fleet.selector.labelPattern');
    assertValidStages(fleet, 'fleet.');
    const caller = callerOf(request);
    const by = caller.name;
    assertHourlyAtMost(timing);
    const input = fleetWithGatePolicy(caller, { ...fleet, requestedBy: by }, 'fleet.');
    const created = await schedules.create({
      scheduleId, fleet: input, timing, ...(paused !== undefined ? { paused } : {}), ...(note ? { note } : {}),
    });
    request.log.info({ scheduleId, fleet: fleet.name, by }, 'schedule created');
    return reply.code(201).send(created);
  });

  app.get('/schedules', {
    config: { permission: 'read' },
    schema: { tags, summary: 'Schedules of fleet rotations', response: { 200: ScheduleListResponse, ...errorResponses(401, 403) } },
  }, async () => ({ schedules: await schedules.list() }));

  const actions = [
    { action: 'pause', summary: 'Pause the schedule (runs in progress go on)', run: (id: string, note?: string) => schedules.pause(id, note) },
    { action: 'unpause', summary: 'Unpause the schedule', run: (id: string, note?: string) => schedules.unpause(id, note) },
    { action: 'trigger', summary: 'Start a run now', run: (id: string) => schedules.trigger(id) },
  ] as const;
  for (const { action, summary, run } of actions) {
    app.post(`/schedules/:scheduleId/${action}`, {
      config: { permission: 'operator' },
      schema: {
        tags, summary, params: ScheduleParams, body: NoteBody,
        response: { 204: Done, ...errorResponses(400, 401, 403, 404, 413, 415) },
      },
    }, async (request, reply) => {
      await run(request.params.scheduleId, request.body?.note);
      request.log.info({ scheduleId: request.params.scheduleId, action, by: callerOf(request).name }, 'schedule changed');
      return reply.code(204).send(null);
    });
  }

  app.delete('/schedules/:scheduleId', {
    config: { permission: 'operator' },
    schema: {
      tags, summary: 'Delete the schedule (runs it started go on)', params: ScheduleParams,
      response: { 204: Done, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request, reply) => {
    await schedules.delete(request.params.scheduleId);
    request.log.info({ scheduleId: request.params.scheduleId, by: callerOf(request).name }, 'schedule deleted');
    return reply.code(204).send(null);
  });
};
