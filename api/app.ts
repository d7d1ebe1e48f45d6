// buildApp(deps): the HTTP API as a Fastify instance, without listening, so tests drive it with
// app.inject and api/main.ts serves it.
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import rateLimit, { type RateLimitPluginOptions } from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { authHook, createAuthenticator, type Caller } from './auth.js';
import type { ApiDeps } from './deps.js';
import { ApiError, errorBody, toApiError } from './errors.js';
import { createApiLogger } from './logging.js';
import { installRequestMetrics } from './metrics.js';
import { clusterRoutes } from './routes/clusters.js';
import { codecRoutes } from './routes/codec.js';
import { healthRoutes } from './routes/health.js';
import { fleetRoutes } from './routes/fleets.js';
import { rotationRoutes } from './routes/rotations.js';
import { scheduleRoutes } from './routes/schedules.js';
import { strictValidatorCompiler } from './validation.js';
import { temporalWebLink } from '../common/links.js';

export const DEFAULT_BODY_LIMIT = 64 * 1024;

function sendError(err: unknown, request: FastifyRequest, reply: FastifyReply) {
  const apiError = toApiError(err);
  if (apiError.code === 'internal_error') request.log.error({ err }, 'request failed');
  return reply.code(apiError.statusCode).send(errorBody(apiError));
}

/**
 * Per caller (the token's name), counted after authentication so one caller cannot use up another's
 * share; refusals are 429 in the API's one error format, with Retry-After.
 */
function rateLimitOptions(perMinute: number): RateLimitPluginOptions {
  return {
    max: perMinute,
    timeWindow: 60_000,
    hook: 'preHandler',
    keyGenerator: (request) => request.caller ? `caller:${request.caller.name}` : `ip:${request.ip}`,
    errorResponseBuilder: (_request, context) =>
      new ApiError('rate_limited', `more than ${context.max} requests in a minute; retry after ${context.after}`),
  };
}

/**
 * Reads that dashboards and probes repeat many times a second (status, health) are not logged per
 * request: at 1,000 req/s the log lines alone cost more than the answers. Every change (POST) and
 * every other read still is, and failures are logged by the error handler.
 */
const POLLED = /^\/(?:healthz|readyz|metrics|v1\/rotations\/\d+|v1\/fleet-rotations\/[^/?]+)(?:\?|$)/;
export const quietPolledReads = new LogController({
  disableRequestLogging: (request) => request.method === 'GET' && POLLED.test(request.url),
});

export async function buildApp(deps: ApiDeps): Promise<FastifyInstance> {
  const authenticate = createAuthenticator(deps.tokens);
  const webLink = temporalWebLink(deps.webUrl, deps.namespace ?? 'default');

  const app = Fastify({
    // https: the Fastify instance keeps the same interface; only the server underneath differs
    ...(deps.https ? { https: deps.https } : {}),
    loggerInstance: deps.logger ?? createApiLogger({ level: 'silent' }),
    logController: quietPolledReads,
    bodyLimit: deps.bodyLimit ?? DEFAULT_BODY_LIMIT,
    routerOptions: { maxParamLength: 100 },
    return503OnClosing: true,
    // Errors the router raises before any route (a bad URL, an overlong parameter) get the same format.
    frameworkErrors: (err, request, reply) => { void sendError(err, request, reply); },
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(strictValidatorCompiler);
  // JSON only: anything else is 415 rather than a confusing validation error.
  app.removeContentTypeParser('text/plain');
  app.decorateRequest('caller', null as Caller | null);

  app.setErrorHandler(sendError);
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(errorBody(new ApiError('not_found', `no route for ${request.method} ${request.url.split('?')[0]}`))));

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'lke-rotator API',
        description: 'Rotate Kubernetes credentials on Linode LKE clusters with Temporal workflows.',
        version: '0.1.0',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      },
      tags: [
        { name: 'rotations', description: 'Single-cluster rotations' },
        { name: 'fleet-rotations', description: 'Fleet rotations in waves' },
        { name: 'schedules', description: 'Fleet rotations on a schedule' },
        { name: 'clusters', description: 'LKE clusters from the Linode API' },
        { name: 'health', description: 'Liveness and readiness' },
        { name: 'codec', description: 'Codec server for Temporal Web and the Temporal CLI (encrypted payloads)' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  installRequestMetrics(app);
  await app.register(healthRoutes, { temporalHealth: deps.temporalHealth });
  await app.register(async (v1) => {
    v1.addHook('onRequest', authHook(authenticate));
    // @fastify/rate-limit is not encapsulated: registered here, it counts every /v1 route
    if (deps.rateLimitPerMinute) await v1.register(rateLimit, rateLimitOptions(deps.rateLimitPerMinute));
    v1.addHook('onRoute', (route) => {
      route.schema = { ...route.schema, security: [{ bearer: [] }] };
    });
    await v1.register(rotationRoutes, { deps, webLink });
    await v1.register(clusterRoutes, { clusters: deps.clusters });
    if (deps.fleets) await v1.register(fleetRoutes, { fleets: deps.fleets, webLink });
    if (deps.schedules) await v1.register(scheduleRoutes, { schedules: deps.schedules });
  }, { prefix: '/v1' });
  if (deps.codecs?.length) {
    await app.register(codecRoutes, { codecs: deps.codecs, authenticate, webUrl: deps.webUrl, prefix: '/codec' });
  }

  return app;
}
