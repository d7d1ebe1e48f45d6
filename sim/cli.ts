// `npm run sim -- --clusters 12 --seed 7 --port 4010 --time-scale 0.01`: the simulator standalone,
// serving until Ctrl-C. It prints the token because it is a local simulator's made-up credential, and
// the user needs it to point the service (LINODE_TOKEN) or curl at it.
import { Command, InvalidArgumentError } from 'commander';
import { startSimulator } from './index.js';

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return parsed;
}

function positiveNumber(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new InvalidArgumentError('expected a positive number');
  return parsed;
}

const program = new Command('sim')
  .description('Simulate Linode LKE: the Linode API v4 and every cluster\'s Kubernetes API')
  .option('--clusters <n>', 'clusters in the seeded fleet', positiveInteger, 10)
  .option('--seed <n>', 'fleet seed (same seed, same fleet)', positiveInteger, 1)
  .option('--port <port>', 'Linode API port (default: any free port)', positiveInteger)
  .option('--kube-port <port>', 'Kubernetes API port (default: any free port)', positiveInteger)
  .option('--token <token>', 'Linode API token to accept (default: random)')
  .option('--time-scale <x>', 'real time per simulated time: 0.01 makes a 2-minute wait take 1.2 s', positiveNumber, 1)
  .option('--no-rate-limit', 'do not enforce Linode\'s documented rate limits (1,600 requests per 2 min, 800 per min per endpoint, 100 per min and 10 per s for lists; on by default)')
  .option('--token-cache-ms <ms>', 'simulated ms the Kubernetes API caches a token check (default: 10000, as the apiserver; 0: off)', positiveInteger)
  .option('--user-token-secrets <n>', 'user-owned legacy token Secrets per cluster in kube-system', positiveInteger, 0)
  .option('--stale-kubeconfig-ms <ms>', 'simulated ms GET /kubeconfig keeps serving the old kubeconfig after a regenerate', positiveInteger, 0)
  .parse();

const opts = program.opts<{
  clusters: number; seed: number; port?: number; kubePort?: number; token?: string; timeScale: number;
  rateLimit: boolean; tokenCacheMs?: number; userTokenSecrets: number; staleKubeconfigMs: number;
}>();

const sim = await startSimulator({
  clusters: opts.clusters,
  seed: opts.seed,
  port: opts.port,
  kubePort: opts.kubePort,
  token: opts.token,
  timeScale: opts.timeScale,
  rateLimit: opts.rateLimit ? undefined : false,
  tokenCacheMs: opts.tokenCacheMs,
  userTokenSecrets: opts.userTokenSecrets,
  delays: { staleKubeconfigMs: opts.staleKubeconfigMs },
});

const first = sim.state.list()[0]?.cluster;
process.stdout.write([
  `LKE simulator: ${sim.state.size} clusters (seed ${opts.seed}, time scale ${opts.timeScale}, Linode rate limits ${opts.rateLimit ? 'on' : 'off'})`,
  `LINODE_API_URL=${sim.linodeApiUrl}`,
  `LINODE_TOKEN=${sim.linodeToken}`,
  `read-only token: ${sim.readOnlyToken}`,
  `Kubernetes API: ${sim.kubeBaseUrl}/<clusterId>`,
  ...(first ? [`try: curl -H "Authorization: Bearer ${sim.linodeToken}" ${sim.linodeApiUrl}/v4/lke/clusters/${first.id}`] : []),
  'Ctrl-C to stop.',
  '',
].join('\n'));

let stopping = false;
const shutdown = (): void => {
  if (stopping) return;
  stopping = true;
  sim.stop().then(() => process.exit(0), (error: unknown) => {
    process.stderr.write(`stop failed: ${String(error)}\n`);
    process.exit(1);
  });
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
