// A Linode request named the way Linode's reference and rate limits name endpoints: the method and
// the route template (`GET /lke/clusters/:id/kubeconfig`), so counts by endpoint add up across
// clusters and nodes.

export interface LinodeEndpoint {
  /** e.g. `POST /lke/clusters/:id/regenerate` */
  name: string;
  /** a GET answering a paged `data` collection: Linode limits these apart (100 per minute, 10 per second) */
  collection: boolean;
}

/** Collection GETs among the endpoints this service calls. */
const COLLECTIONS = new Set(['GET /lke/clusters', 'GET /lke/clusters/:id/pools']);

export function describeEndpoint(method: string | undefined, url: string | undefined): LinodeEndpoint {
  let path: string;
  try {
    path = new URL(url ?? '', 'http://unknown').pathname;
  } catch {
    path = '';
  }
  const segments = path.replace(/^\/v4(beta)?(?=\/|$)/, '').split('/').filter(Boolean);
  const template = segments.map((segment, i) => {
    if (/^\d+$/.test(segment)) return ':id';
    // node ids (`<pool>-<hash>`) follow `nodes`
    return segments[i - 1] === 'nodes' ? ':nodeId' : segment;
  });
  const name = `${(method ?? 'get').toUpperCase()} /${template.join('/')}`;
  return { name, collection: COLLECTIONS.has(name) };
}
