// Liveness and readiness, unauthenticated so orchestrators can probe them.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ApiError } from '../errors.js';
import { errorResponses } from './errorResponses.js';

export interface HealthRoutesOptions {
  temporalHealth(): Promise<boolean>;
}

const Ok = Type.Object({ status: Type.Literal('ok') });

export const healthRoutes: FastifyPluginAsyncTypebox<HealthRoutesOptions> = async (app, { temporalHealth }) => {
  app.get('/healthz', {
    schema: { tags: ['health'], summary: 'The process is up', response: { 200: Ok } },
  }, async () => ({ status: 'ok' as const }));

  app.get('/readyz', {
    schema: {
      tags: ['health'],
      summary: 'Temporal is reachable',
      response: { 200: Ok, ...errorResponses(503) },
    },
  }, async (request) => {
    let reachable = false;
    try {
      reachable = await temporalHealth();
    } catch (err) {
      request.log.warn({ err }, 'temporal health check failed');
    }
    if (!reachable) throw new ApiError('unavailable', 'Temporal is not reachable');
    return { status: 'ok' as const };
  });
};
