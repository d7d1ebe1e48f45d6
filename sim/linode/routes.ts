// The LKE endpoints of Linode API v4 the rotator uses, with the real API's response and error shapes
// (docs/design.md, 'Facts about the real APIs'). Paths here are without the /v4 or /v4beta prefix.
import type { LinodePage, LkeCluster, LkePool } from '../../common/types.js';
import type { SimCluster, SimState } from '../state.js';
import { KUBECONFIG_NOT_READY, LinodeApiError } from './errors.js';
import { compileClusterFilter, sortClusters } from './filter.js';
import { buildKubeconfig, type KubeEndpoint } from './kubeconfig.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RouteContext {
  state: SimState;
  kube: KubeEndpoint;
  params: string[];
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  /** the parsed JSON body; undefined when the request had none */
  body: unknown;
}

export type Handler = (ctx: RouteContext) => unknown;

export interface Route {
  /** the path with its parameters named, e.g. `/lke/clusters/:id/kubeconfig`: with the method, the endpoint Linode rate-limits */
  template: string;
  pattern: RegExp;
  methods: Partial<Record<Method, Handler>>;
  /** its GET answers a paged `data` collection, which Linode rate-limits more tightly */
  collection: boolean;
}

const route = (template: string, methods: Route['methods'], options: { collection?: boolean } = {}): Route => ({
  template,
  pattern: new RegExp(`^${template.replace(/:[A-Za-z]+/g, '([^/]+)')}/?$`),
  methods,
  collection: options.collection ?? false,
});

export const ROUTES: Route[] = [
  route('/lke/clusters', { GET: listClusters }, { collection: true }),
  route('/lke/clusters/:id', { GET: (ctx) => findCluster(ctx).cluster }),
  route('/lke/clusters/:id/pools', { GET: listPools }, { collection: true }),
  route('/lke/clusters/:id/pools/:poolId', { GET: (ctx) => poolView(findPool(ctx)) }),
  route('/lke/clusters/:id/pools/:poolId/recycle', { POST: recyclePool }),
  route('/lke/clusters/:id/nodes/:nodeId', { GET: getNode }),
  route('/lke/clusters/:id/nodes/:nodeId/recycle', { POST: recycleNode }),
  route('/lke/clusters/:id/recycle', { POST: recycleCluster }),
  route('/lke/clusters/:id/regenerate', { POST: regenerate }),
  route('/lke/clusters/:id/servicetoken', { DELETE: deleteServiceToken }),
  route('/lke/clusters/:id/kubeconfig', { GET: getKubeconfig, DELETE: deleteKubeconfig }),
];

export function matchRoute(path: string): { route: Route; params: string[] } | undefined {
  for (const candidate of ROUTES) {
    const match = candidate.pattern.exec(path);
    if (!match) continue;
    try {
      return { route: candidate, params: match.slice(1).map(decodeURIComponent) };
    } catch {
      return undefined; // a malformed percent-escape names nothing: 404
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------

function listClusters(ctx: RouteContext): LinodePage<LkeCluster> {
  const filter = compileClusterFilter(header(ctx, 'x-filter'));
  const { page, pageSize } = paging(ctx.query);
  let clusters = ctx.state.list().map((sim) => sim.cluster).filter(filter.matches);
  if (filter.order) clusters = sortClusters(clusters, filter.order);
  return pageOf(clusters, page, pageSize);
}

function listPools(ctx: RouteContext): LinodePage<ReturnType<typeof poolView>> {
  const sim = findCluster(ctx);
  const { page, pageSize } = paging(ctx.query);
  return pageOf(sim.pools.map(poolView), page, pageSize);
}

function getNode(ctx: RouteContext): LkePool['nodes'][number] {
  const sim = findCluster(ctx);
  for (const pool of sim.pools) {
    const node = pool.nodes.find((n) => n.id === ctx.params[1]);
    if (node) return node;
  }
  throw new LinodeApiError(404, 'Not found');
}

function recycleNode(ctx: RouteContext): Record<string, never> {
  getNode(ctx);
  ctx.state.recycleNodes(clusterId(ctx), [ctx.params[1]]);
  return {};
}

function recyclePool(ctx: RouteContext): Record<string, never> {
  const pool = findPool(ctx);
  ctx.state.recycleNodes(clusterId(ctx), pool.nodes.map((n) => n.id));
  return {};
}

function recycleCluster(ctx: RouteContext): Record<string, never> {
  const sim = findCluster(ctx);
  ctx.state.recycleNodes(sim.cluster.id, sim.pools.flatMap((p) => p.nodes.map((n) => n.id)));
  return {};
}

function regenerate(ctx: RouteContext): Record<string, never> {
  const sim = findCluster(ctx);
  const body = ctx.body ?? {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new LinodeApiError(400, 'Request body must be a JSON object');
  }
  const flags = { kubeconfig: false, servicetoken: false };
  for (const [field, value] of Object.entries(body)) {
    if (field !== 'kubeconfig' && field !== 'servicetoken') throw new LinodeApiError(400, 'Unexpected field', field);
    if (typeof value !== 'boolean') throw new LinodeApiError(400, 'Must be a boolean', field);
    flags[field] = value;
  }
  if (!flags.kubeconfig && !flags.servicetoken) {
    throw new LinodeApiError(400, 'At least one of kubeconfig or servicetoken must be true');
  }
  ctx.state.regenerate(sim.cluster.id, flags);
  return {};
}

function deleteServiceToken(ctx: RouteContext): Record<string, never> {
  ctx.state.regenerate(findCluster(ctx).cluster.id, { kubeconfig: false, servicetoken: true });
  return {};
}

function deleteKubeconfig(ctx: RouteContext): Record<string, never> {
  ctx.state.regenerate(findCluster(ctx).cluster.id, { kubeconfig: true, servicetoken: false });
  return {};
}

// Rotations poll this endpoint; the YAML only changes with the admin token, so it is built once per token.
const servedKubeconfigs = new WeakMap<SimCluster, { token: string; kube: KubeEndpoint; extras: SimCluster['kubeconfigExtras']; encoded: string }>();

function getKubeconfig(ctx: RouteContext): { kubeconfig: string } {
  const sim = findCluster(ctx);
  // LKE answers 503 here for minutes after a regenerate although the cluster's status is "ready"
  // (or, with staleKubeconfigMs, first keeps serving the kubeconfig from before the regenerate).
  const stale = sim.staleKubeconfigToken;
  if (stale === null && !sim.kubeconfigReady) throw new LinodeApiError(503, KUBECONFIG_NOT_READY);
  const token = stale ?? sim.kube.adminToken();
  let served = servedKubeconfigs.get(sim);
  const extras = sim.kubeconfigExtras;
  if (served?.token !== token || served.kube !== ctx.kube || served.extras !== extras) {
    const yaml = buildKubeconfig(sim.cluster.id, ctx.kube, token, extras);
    served = { token, kube: ctx.kube, extras, encoded: Buffer.from(yaml).toString('base64') };
    servedKubeconfigs.set(sim, served);
  }
  return { kubeconfig: served.encoded };
}

// ---------------------------------------------------------------------------------------------

// Linode ids are positive 32-bit integers; anything else names nothing, so it is a 404 like the
// real API's answer for a path that matches no object.
function parseId(raw: string): number {
  if (!/^[1-9][0-9]{0,9}$/.test(raw)) throw new LinodeApiError(404, 'Not found');
  const id = Number(raw);
  if (id > 2_147_483_647) throw new LinodeApiError(404, 'Not found');
  return id;
}

function clusterId(ctx: RouteContext): number {
  return parseId(ctx.params[0]);
}

function findCluster(ctx: RouteContext): SimCluster {
  const sim = ctx.state.cluster(clusterId(ctx));
  if (!sim) throw new LinodeApiError(404, 'Not found');
  return sim;
}

function findPool(ctx: RouteContext): LkePool {
  const sim = findCluster(ctx);
  const poolId = parseId(ctx.params[1]);
  const pool = sim.pools.find((p) => p.id === poolId);
  if (!pool) throw new LinodeApiError(404, 'Not found');
  return pool;
}

function poolView(pool: LkePool): LkePool & { label: string; labels: Record<string, string>; taints: unknown[]; disk_encryption: string } {
  return { ...pool, label: '', labels: {}, taints: [], disk_encryption: 'enabled' };
}

function header(ctx: RouteContext, name: string): string | undefined {
  const value = ctx.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

const PAGE_SIZE = { min: 25, max: 500, default: 100 };

function paging(query: URLSearchParams): { page: number; pageSize: number } {
  const page = integerParam(query, 'page', 1);
  if (page < 1) throw new LinodeApiError(400, 'Must be greater than or equal to 1', 'page');
  const pageSize = integerParam(query, 'page_size', PAGE_SIZE.default);
  if (pageSize < PAGE_SIZE.min || pageSize > PAGE_SIZE.max) {
    throw new LinodeApiError(400, `Must be between ${PAGE_SIZE.min} and ${PAGE_SIZE.max}`, 'page_size');
  }
  return { page, pageSize };
}

function integerParam(query: URLSearchParams, name: string, fallback: number): number {
  const raw = query.get(name);
  if (raw === null) return fallback;
  if (!/^-?[0-9]{1,9}$/.test(raw)) throw new LinodeApiError(400, 'Must be an integer', name);
  return Number(raw);
}

function pageOf<T>(items: T[], page: number, pageSize: number): LinodePage<T> {
  return {
    data: items.slice((page - 1) * pageSize, page * pageSize),
    page,
    pages: Math.max(1, Math.ceil(items.length / pageSize)),
    results: items.length,
  };
}
