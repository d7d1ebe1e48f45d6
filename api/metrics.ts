// The API's request metrics for Prometheus (prom-client): every request counted and timed by method,
// route (the route's pattern, never the raw URL, so ids do not explode the label set) and status.
// GET /metrics serves them without authentication, as Prometheus scrapes; it says only how busy
// the API is. Left out of the OpenAPI document.
import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, Registry } from 'prom-client';

export function installRequestMetrics(app: FastifyInstance): Registry {
  const registry = new Registry();
  const labelNames = ['method', 'route', 'status_code'] as const;
  const requests = new Counter({ name: 'lke_rotator_api_requests_total', help: 'HTTP requests answered', labelNames, registers: [registry] });
  const seconds = new Histogram({
    name: 'lke_rotator_api_request_duration_seconds', help: 'Time to answer an HTTP request', labelNames,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10], registers: [registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    const labels = { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) };
    requests.inc(labels);
    seconds.observe(labels, reply.elapsedTime / 1000);
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
    reply.header('content-type', registry.contentType).send(await registry.metrics()));
  return registry;
}
