// The whole simulator from a client's side: the kubeconfig its Linode API serves (read over HTTP, as
// the rotator and a user's curl do), regenerate, and @kubernetes/client-node clients for any token.
import { AuthenticationV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { Simulator } from '../../sim/index.js';
import { buildKubeconfig } from '../../sim/linode/kubeconfig.js';

export type ServedKubeconfig = { status: 200; yaml: string; token: string } | { status: number; yaml?: undefined; token?: undefined };

async function linode(sim: Simulator, method: 'GET' | 'POST', path: string, body?: unknown): Promise<Response> {
  return fetch(`${sim.linodeApiUrl}/v4${path}`, {
    method,
    headers: { Authorization: `Bearer ${sim.linodeToken}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** GET /lke/clusters/<id>/kubeconfig: the YAML and its token, or the status when it is not served */
export async function fetchKubeconfig(sim: Simulator, clusterId: number): Promise<ServedKubeconfig> {
  const reply = await linode(sim, 'GET', `/lke/clusters/${clusterId}/kubeconfig`);
  if (reply.status !== 200) {
    await reply.body?.cancel();
    return { status: reply.status };
  }
  const yaml = Buffer.from(((await reply.json()) as { kubeconfig: string }).kubeconfig, 'base64').toString();
  return { status: 200, yaml, token: kubeConfigOf(yaml).getCurrentUser()?.token ?? '' };
}

export async function regenerate(sim: Simulator, clusterId: number, flags = { kubeconfig: true, servicetoken: true }): Promise<void> {
  const reply = await linode(sim, 'POST', `/lke/clusters/${clusterId}/regenerate`, flags);
  if (reply.status !== 200) throw new Error(`regenerate answered ${reply.status}: ${await reply.text()}`);
}

export function kubeConfigOf(yaml: string): KubeConfig {
  const config = new KubeConfig();
  config.loadFromString(yaml);
  return config;
}

/** clients that call the cluster's Kubernetes API with `token`, as a kubeconfig carrying it would */
export function clientsWithToken(sim: Simulator, clusterId: number, token: string): { core: CoreV1Api; authn: AuthenticationV1Api } {
  const config = kubeConfigOf(buildKubeconfig(clusterId, { baseUrl: sim.kubeBaseUrl, caPem: sim.caPem }, token));
  return { core: config.makeApiClient(CoreV1Api), authn: config.makeApiClient(AuthenticationV1Api) };
}

/** the HTTP status a client call ended with: 200, or the ApiException's code */
export async function statusOf(call: Promise<unknown>): Promise<number> {
  try {
    await call;
    return 200;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'number') return code;
    throw error;
  }
}

export function tokenOf(secret: { data?: Record<string, string> }): string {
  return Buffer.from(secret.data?.token ?? '', 'base64').toString();
}
