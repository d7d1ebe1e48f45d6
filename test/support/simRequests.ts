// Requests to the simulator's Kubernetes API with a bare bearer token, bypassing every client: what
// the cluster answers a token, whoever holds it.
import { request } from 'node:https';
import type { Simulator } from '../../sim/index.js';

/** GET /api/v1/nodes with a bearer token straight over HTTPS, trusting the simulator's CA: the status code. */
export function statusWithToken(sim: Pick<Simulator, 'kubeBaseUrl' | 'caPem'>, clusterId: number, token: string): Promise<number> {
  const url = new URL(`${sim.kubeBaseUrl}/${clusterId}/api/v1/nodes`);
  return new Promise((resolve, reject) => {
    const req = request(url, { ca: sim.caPem, headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}
