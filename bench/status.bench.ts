// The status endpoint under load during a fleet: GET /v1/rotations/:clusterId from 32 callers for
// 10 s (autocannon), while a 200-cluster fleet is under way on the same machine, once reading
// every request through Temporal (API_STATUS_MAX_AGE_MS=0, the old way), with a 1 s bound and with
// the default 5 s bound (api/statusCache.ts). Each API first reads every cluster once (a
// long-running API's cache is warm), then the load runs. The API runs in its own process, as
// deployed; the worker and the simulator share this one. Goal (issue: a fast status API): >= 1000 req/s, p99 <= 50 ms.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { getFleetStatus, startFleetRotation } from '../client/index.js';
import { FLEET_END_PHASES, type FleetClusterOptions } from '../common/types.js';
import { startDevServer } from '../dev/devServer.js';
import { startLocalStack, type LocalStack } from '../dev/localStack.js';

const CLUSTERS = Number(process.env.BENCH_STATUS_CLUSTERS ?? 200);
const CALLERS = 32;
const SECONDS = 10;
const ROTATION: FleetClusterOptions = { restart: { scope: 'none' }, recycle: { mode: 'none' } };

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `npm run api` in its own process, as a deployment runs it. */
async function startApiProcess(stack: LocalStack, env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'api/main.ts'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      PATH: process.env.PATH, HOME: process.env.HOME,
      TEMPORAL_ADDRESS: stack.server.address, TEMPORAL_NAMESPACE: stack.server.namespace,
      LINODE_API_URL: stack.sim.linodeApiUrl, LINODE_TOKEN: stack.sim.linodeToken,
      API_PORT: String(port), API_RATE_LIMIT_PER_MINUTE: '0', ...env,
    },
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/readyz`)).ok) return { url, child };
    } catch { /* not listening yet */ }
    if (i > 100 || child.exitCode !== null) throw new Error('the API process did not start');
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** One read of every cluster first, as a long-running API has: the load then measures steady state. */
async function warm(url: string, token: string, clusterIds: number[]): Promise<void> {
  const queue = [...clusterIds];
  await Promise.all(Array.from({ length: 16 }, async () => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      await (await fetch(`${url}/v1/rotations/${id}`, { headers: { authorization: `Bearer ${token}` } })).arrayBuffer();
    }
  }));
}

async function load(url: string, token: string, clusterIds: number[]): Promise<Record<string, number>> {
  await warm(url, token, clusterIds);
  const result = await autocannon({
    url,
    connections: CALLERS,
    duration: SECONDS,
    headers: { authorization: `Bearer ${token}` },
    requests: clusterIds.map((id) => ({ method: 'GET' as const, path: `/v1/rotations/${id}` })),
  });
  return {
    rps: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx + result.errors + result.timeouts,
  };
}

export async function runStatusBench(): Promise<Record<string, number>> {
  const server = await startDevServer();
  const dir = await mkdtemp(join(tmpdir(), 'lke-rotator-status-bench-'));
  // 0.2: LKE's 2-5 min kubeconfig wait takes 24-60 s, so the fleet outlasts every load window
  const stack = await startLocalStack({
    server,
    // the status path is measured, not Linode's limits: 200 clusters polling once a second each exceed them
    simulator: { clusters: CLUSTERS, seed: 9, timeScale: 0.2, rateLimit: false },
    activities: { pollIntervalMs: 1_000, tokenCacheWindowMs: 5_000, retryAfterScale: 0.1 },
    workerOptions: { maxConcurrentActivityTaskExecutions: CLUSTERS * 2, maxConcurrentWorkflowTaskExecutions: 100 },
  });
  const apis: ChildProcess[] = [];
  try {
    const token = randomBytes(24).toString('base64url');
    const tokensFile = join(dir, 'tokens.json');
    await writeFile(tokensFile, JSON.stringify([{ name: 'dashboard', token, roles: ['viewer'] }]), { mode: 0o600 });
    const ids = stack.sim.state.list().map(({ cluster }) => cluster.id);
    const { workflowId } = await startFleetRotation(stack.client, {
      name: 'status-bench', requestedBy: 'bench', selector: { clusterIds: ids }, rotation: ROTATION,
      waves: { canary: 0 }, gatesDisabledBy: 'bench', concurrency: CLUSTERS, errorBudget: { percent: 100 },
    });
    // every child under way before the load starts
    for (;;) {
      const status = await getFleetStatus(stack.client, workflowId);
      if (status && status.counts.Pending === 0) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const figures: Record<string, number> = { clusters: CLUSTERS, callers: CALLERS };
    for (const [name, maxAgeMs] of [['everyRequestReads', '0'], ['cached1s', '1000'], ['cached5sDefault', '5000']] as const) {
      const api = await startApiProcess(stack, { API_TOKENS_FILE: tokensFile, API_STATUS_MAX_AGE_MS: maxAgeMs });
      apis.push(api.child);
      for (const [figure, value] of Object.entries(await load(api.url, token, ids))) figures[`${name}.${figure}`] = value;
      api.child.kill('SIGTERM');
    }
    const after = await getFleetStatus(stack.client, workflowId);
    figures.fleetStillRunningAtEnd = after && !FLEET_END_PHASES.includes(after.phase) ? 1 : 0;
    return figures;
  } finally {
    for (const child of apis) if (child.exitCode === null) child.kill('SIGKILL');
    await stack.stop();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  for (const [name, value] of Object.entries(await runStatusBench())) process.stdout.write(`${name.padEnd(34)} ${value}\n`);
}
