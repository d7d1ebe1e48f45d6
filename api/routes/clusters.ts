// GET /v1/clusters: the LKE clusters the Linode token can see, as candidates for rotation.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ClusterService } from '../deps.js';
import { ClusterPageResponse } from '../responses.js';
import { errorResponses } from './errorResponses.js';

export interface ClusterRoutesOptions {
  clusters: ClusterService;
}

const ClusterQuery = Type.Object({
  tag: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
  region: Type.Optional(Type.String({ minLength: 1, maxLength: 50, pattern: '^[a-z0-9-]+$' })),
  label: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, default: 1 })),
  // Linode's own page_size bounds.
  pageSize: Type.Optional(Type.Integer({ minimum: 25, maximum: 500, default: 100 })),
}, { additionalProperties: false });

export const clusterRoutes: FastifyPluginAsyncTypebox<ClusterRoutesOptions> = async (app, { clusters }) => {
  app.get('/clusters', {
    config: { permission: 'read' },
    schema: {
      tags: ['clusters'],
      summary: 'List LKE clusters from the Linode API (filters: tag, region, label)',
      querystring: ClusterQuery,
      response: { 200: ClusterPageResponse, ...errorResponses(400, 401, 403, 503) },
    },
  }, async (request) => {
    const { tag, region, label, page, pageSize } = request.query;
    return clusters.list({ tag, region, label }, { page: page ?? 1, pageSize: pageSize ?? 100 });
  });
};
