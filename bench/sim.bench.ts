// Benchmark of the simulator: can one process hold a 1000-cluster fleet, how fast does it start, how
// much memory does it take, and how many requests per second do its two APIs serve.
// `npm run bench:sim` (runs with --expose-gc so heap figures are after a collection).
import { Agent, request } from 'node:https';
import { Agent as HttpAgent, createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { startSimulator } from '../sim/index.js';

const CLUSTERS = 1000;
const KUBE_RESOURCES = ['namespaces', 'nodes', 'secrets', 'serviceaccounts', 'pods', 'deployments', 'statefulsets', 'daemonsets'] as const;
const LOAD_SECONDS = 3;
const CONCURRENCY = 16;
const MB = 1024 * 1024;

interface LoadResult { requestsPerSecond: number; p50Ms: number; p99Ms: number; errors: number }

/** `CONCURRENCY` keep-alive loops calling `once` for `LOAD_SECONDS`. */
async function load(once: () => Promise<number>): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + LOAD_SECONDS * 1000;
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      const status = await once().catch(() => 0);
      latencies.push(performance.now() - t0);
      if (status !== 200) errors++;
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number): number => round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0);
  return { requestsPerSecond: Math.round(latencies.length / elapsed), p50Ms: at(0.5), p99Ms: at(0.99), errors };
}

function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/**
 * A trivial node:http server under the same load: on a busy machine absolute figures swing widely,
 * and the ratio to this baseline says how much of the cost is the simulator's own.
 */
async function baselineHttp(): Promise<LoadResult> {
  const server = createServer((req, res) => { req.resume(); res.writeHead(200, { 'Content-Type': 'application/json' }); res.end('{}'); });
  await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve); });
  const agent = new HttpAgent({ keepAlive: true, maxSockets: CONCURRENCY });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  try {
    return await load(() => new Promise((resolve, reject) => {
      const req = httpRequest(url, { agent }, (res) => { res.resume(); res.on('end', () => { resolve(res.statusCode ?? 0); }); });
      req.on('error', reject);
      req.end();
    }));
  } finally {
    agent.destroy();
    server.closeAllConnections();
    server.close();
  }
}

function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

export async function runSimBench(): Promise<Record<string, number>> {
  collectGarbage();
  const before = process.memoryUsage();
  const t0 = performance.now();
  // the simulator's own request rate is measured: Linode's limits (10 lists a second) would cap it
  const sim = await startSimulator({ clusters: CLUSTERS, seed: 42, rateLimit: false });
  const startupMs = performance.now() - t0;
  try {
    collectGarbage();
    const started = process.memoryUsage();
    // Kubernetes sides are seeded on first use; seed them all to measure a fully populated fleet.
    const t1 = performance.now();
    let nodes = 0;
    let kubeObjects = 0;
    for (const c of sim.state.list()) {
      nodes += c.pools.reduce((n, p) => n + p.nodes.length, 0);
      kubeObjects += KUBE_RESOURCES.reduce((n, resource) => n + c.kube.store.count(resource), 0);
    }
    const seedAllMs = performance.now() - t1;
    collectGarbage();
    const loaded = process.memoryUsage();

    const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: CONCURRENCY });
    const linodeGet = (path: string): Promise<{ status: number; body: string }> => new Promise((resolve, reject) => {
      const req = httpRequest(`${sim.linodeApiUrl}${path}`, { agent: httpAgent, headers: { Authorization: `Bearer ${sim.linodeToken}` } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => { body += chunk; });
        res.on('end', () => { resolve({ status: res.statusCode ?? 0, body }); });
      });
      req.on('error', reject);
      req.end();
    });

    // One cluster's admin token, the way a client gets it: from the kubeconfig the Linode API serves.
    const clusterId = sim.state.list()[Math.floor(CLUSTERS / 2)].cluster.id;
    const kubeconfigReply = await linodeGet(`/v4/lke/clusters/${clusterId}/kubeconfig`);
    const kubeconfig = parseYaml(Buffer.from((JSON.parse(kubeconfigReply.body) as { kubeconfig: string }).kubeconfig, 'base64').toString()) as {
      clusters: { cluster: { server: string } }[]; users: { user: { token: string } }[];
    };
    const server = kubeconfig.clusters[0].cluster.server;
    const kubeToken = kubeconfig.users[0].user.token;
    const httpsAgent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY, ca: sim.caPem });
    const secretsUrl = `${server}/api/v1/namespaces/kube-system/secrets?fieldSelector=type%3Dkubernetes.io%2Fservice-account-token`;
    const listSecrets = (): Promise<number> => new Promise((resolve, reject) => {
      const req = request(secretsUrl, { agent: httpsAgent, headers: { Authorization: `Bearer ${kubeToken}` } }, (res) => {
        res.resume();
        res.on('end', () => { resolve(res.statusCode ?? 0); });
      });
      req.on('error', reject);
      req.end();
    });

    const baseline = await baselineHttp();
    const secrets = await load(listSecrets);
    const clusterList = await load(async () => (await linodeGet('/v4beta/lke/clusters?page_size=100')).status);
    const clusterGet = await load(async () => (await linodeGet(`/v4beta/lke/clusters/${clusterId}`)).status);
    const kubeconfigGet = await load(async () => (await linodeGet(`/v4beta/lke/clusters/${clusterId}/kubeconfig`)).status);
    httpAgent.destroy();
    httpsAgent.destroy();

    return {
      clusters: sim.state.size,
      nodes,
      kubeObjects,
      startupMs: Math.round(startupMs),
      startupRssMb: round(started.rss / MB, 1),
      seedAllKubeMs: Math.round(seedAllMs),
      rssMb: round(loaded.rss / MB, 1),
      heapUsedMb: round(loaded.heapUsed / MB, 1),
      heapGrowthMb: round((loaded.heapUsed - before.heapUsed) / MB, 1),
      baselineHttpRps: baseline.requestsPerSecond,
      kubeListSecretsRps: secrets.requestsPerSecond,
      kubeListSecretsP50Ms: secrets.p50Ms,
      kubeListSecretsP99Ms: secrets.p99Ms,
      kubeListSecretsErrors: secrets.errors,
      linodeListClustersRps: clusterList.requestsPerSecond,
      linodeListClustersP99Ms: clusterList.p99Ms,
      linodeGetClusterRps: clusterGet.requestsPerSecond,
      linodeGetClusterP99Ms: clusterGet.p99Ms,
      linodeGetKubeconfigRps: kubeconfigGet.requestsPerSecond,
      linodeErrors: clusterList.errors + clusterGet.errors + kubeconfigGet.errors,
    };
  } finally {
    await sim.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const figures = await runSimBench();
  for (const [name, value] of Object.entries(figures)) process.stdout.write(`${name.padEnd(26)} ${value}\n`);
}
