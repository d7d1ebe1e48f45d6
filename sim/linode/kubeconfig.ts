// The kubeconfig GET /kubeconfig serves, shaped like LKE's (context lke<id>-ctx, user lke<id>-admin,
// cluster lke<id>). LKE's server is https://<uuid>.<region>-<n>-gw.linodelke.net:443; the simulator
// cannot answer for that hostname, so it points at its own HTTPS listener under the cluster's prefix.
import { stringify } from 'yaml';

export interface KubeEndpoint {
  /** https://127.0.0.1:<port>/k8s/clusters */
  baseUrl: string;
  caPem: string;
}

export function buildKubeconfig(
  clusterId: number, endpoint: KubeEndpoint, token: string,
  extras: { cluster?: Record<string, unknown>; user?: Record<string, unknown> } = {},
): string {
  const cluster = `lke${clusterId}`;
  const user = `${cluster}-admin`;
  const context = `${cluster}-ctx`;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: [{
      name: cluster,
      cluster: {
        'certificate-authority-data': Buffer.from(endpoint.caPem).toString('base64'),
        server: `${endpoint.baseUrl}/${clusterId}`,
        ...extras.cluster,
      },
    }],
    users: [{ name: user, user: { token, ...extras.user } }],
    contexts: [{ name: context, context: { cluster, namespace: 'default', user } }],
    'current-context': context,
  });
}
