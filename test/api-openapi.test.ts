// The OpenAPI document the HTTP API serves at /docs.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { withFakeApp } from './support/apiFakes.js';

describe('API OpenAPI document', () => {
  it('serves OpenAPI 3 with every route, its schemas, bearer security and the error format', async () => {
    await withFakeApp({}, async ({ app }) => {
      const res = await app.inject({ method: 'GET', url: '/docs/json' });
      assert.equal(res.statusCode, 200);
      const doc = res.json();
      assert.match(doc.openapi, /^3\./);
      const paths = doc.paths as Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties: object; additionalProperties: boolean } }> }; responses: Record<string, unknown>; security?: unknown; parameters?: unknown[] }>>;
      for (const path of ['/healthz', '/readyz', '/v1/rotations', '/v1/rotations/{clusterId}', '/v1/clusters',
        '/v1/fleet-rotations', '/v1/fleet-rotations/{fleet}', '/v1/fleet-rotations/{fleet}/approve', '/v1/schedules',
        '/v1/schedules/{scheduleId}', '/v1/schedules/{scheduleId}/trigger',
        ...['approve', 'reject', 'pause', 'resume', 'retry', 'skip', 'abort'].map((a) => `/v1/rotations/{clusterId}/${a}`)]) {
        assert.ok(paths[path], `${path} documented`);
      }
      const startOp = paths['/v1/rotations'].post;
      const startBody = startOp.requestBody!.content['application/json'].schema;
      assert.deepEqual(Object.keys(startBody.properties).sort(), ['approvals', 'clusterId', 'dryRun', 'recycle', 'restart']);
      assert.equal(startBody.additionalProperties, false);
      assert.ok(startOp.responses['202'] && startOp.responses['409'] && startOp.responses['400']);
      assert.deepEqual(startOp.security, [{ bearer: [] }]);
      assert.equal(paths['/healthz'].get.security, undefined);
      assert.deepEqual(doc.components.securitySchemes.bearer, { type: 'http', scheme: 'bearer' });
      const statusParams = paths['/v1/rotations/{clusterId}'].get.parameters as { name: string; in: string; schema: { type: string } }[];
      assert.deepEqual(statusParams.map((p) => [p.name, p.in, p.schema.type]), [['clusterId', 'path', 'integer']]);
      const ui = await app.inject({ method: 'GET', url: '/docs/' });
      assert.equal(ui.statusCode, 200);
      assert.match(ui.body, /swagger-ui/i);
    });
  });
});
