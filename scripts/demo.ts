// `npm run demo`: the whole product on one machine, driven the way a platform team drives it.
// A Temporal dev server with Temporal Web, the LKE simulator (a dozen clusters in three regions), the
// worker with the live activities and the HTTP API run in this process tree; the demo then talks to
// the API: it starts a fleet rotation as one identity, approves the canary cluster's gates as another,
// approves the fleet's canary gate with a Temporal Signal (as Temporal Web's "Send a Signal" or
// `temporal workflow signal` would; the requester's own try is refused first), shows each cluster's
// progress, and ends with a summary table. Exit code 0 only if every cluster was rotated and
// verified. `--keep` leaves everything running for a look around; Ctrl-C always cleans up.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import cliProgress from 'cli-progress';
import Table from 'cli-table3';
import type { Client } from '@temporalio/client';
import { Runtime, DefaultLogger } from '@temporalio/worker';
import { startApiServer, type RunningApi } from '../api/server.js';
import type { ApiToken } from '../api/auth.js';
import { createApiLogger } from '../api/logging.js';
import type { FleetStatusView } from '../client/index.js';
import { FLEET_END_PHASES, type ApproveInput, type FleetStatus, type RotationStatus } from '../common/types.js';
import { approveSignal } from '../workflows/definitions.js';
import { APPROVE_INPUT_EXAMPLE, signalCommand } from '../workflows/signalHelp.js';
import { loadConfig } from '../config/config.js';
import { DEFAULT_UI_PORT, startDevServer, type DevServer } from '../dev/devServer.js';
import { startLocalStack, type LocalStack } from '../dev/localStack.js';

const DEMO_REGIONS = ['us-iad', 'eu-central', 'ap-south'];

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number (0-65535)');
  return n;
}

const program = new Command()
  .name('npm run demo --')
  .description('Rotate a simulated LKE fleet end to end through the lke-rotator API')
  .option('--keep', 'leave the dev server, Temporal Web, simulator, worker and API running afterwards', false)
  .option('--clusters <n>', 'clusters in the simulated fleet', positiveNumber, 12)
  .option('--concurrency <n>', 'child rotations at once after the canary', positiveNumber, 4)
  .option('--time-scale <x>', 'simulated waits (minutes on real LKE) times this', positiveNumber, 0.002)
  .option('--ui-port <port>', 'Temporal Web port', port, DEFAULT_UI_PORT)
  .option('--api-port <port>', 'API port (0: any free port)', port, 0)
  .option('--seed <n>', 'simulator seed', positiveNumber, 7)
  .option('--no-rate-limit', 'turn off the simulator\'s Linode rate limits (on by default, as on the real API)')
  .parse();

const opts = program.opts<{
  keep: boolean; clusters: number; concurrency: number; timeScale: number; uiPort: number; apiPort: number; seed: number; rateLimit: boolean;
}>();

const say = (line = '') => process.stdout.write(`${line}\n`);
const cleanups: (() => Promise<void>)[] = [];
let stopping = false;

async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
  }
  process.exit(code);
}
process.on('SIGINT', () => { say('\nStopping...'); void shutdown(130); });
process.on('SIGTERM', () => { void shutdown(143); });

/** A thin client of the demo's own API, as a platform team's script would be. */
class ApiClient {
  constructor(private readonly baseUrl: string, private readonly token: string) {}

  async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const payload = await res.json() as T & { error?: { code: string; message: string } };
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${payload.error?.code}: ${payload.error?.message}`);
    return payload;
  }
}

function apiToken(name: string, roles: ApiToken['roles']): { name: string; token: string; roles: ApiToken['roles'] } {
  return { name, token: randomBytes(24).toString('base64url'), roles };
}

async function main(): Promise<{ code: number; stack?: LocalStack; asRequester?: ApiClient }> {
  // The worker's own chatter would bury the demo's story; warnings and errors still show.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const workDir = await mkdtemp(join(tmpdir(), 'lke-rotator-demo-'));
  cleanups.push(() => rm(workDir, { recursive: true, force: true }));

  say(`Starting the Temporal dev server with Temporal Web on port ${opts.uiPort}...`);
  let server: DevServer;
  try {
    server = await startDevServer({ ui: true, uiPort: opts.uiPort });
  } catch (err) {
    say(`Could not start the Temporal dev server: ${(err as Error).message}`);
    say(`(Is something else on port ${opts.uiPort}? Try --ui-port.)`);
    return { code: 1 };
  }
  cleanups.push(() => server.stop());
  say(`  Temporal ${server.address}, namespace ${server.namespace}, Web ${server.webUrl} (ready in ${server.startupMs} ms)`);

  say(`Starting the LKE simulator: ${opts.clusters} clusters in ${DEMO_REGIONS.join(', ')}, waits scaled by ${opts.timeScale}, `
    + `Linode rate limits ${opts.rateLimit ? 'on' : 'off'}...`);
  const stack: LocalStack = await startLocalStack({
    server,
    // Linode's documented rate limits stay on, as the real API's: the default dozen clusters send about
    // 550 requests in 20 s, a third of the 1,600 per 2 minutes, and at most 4 of the 10 lists a second.
    // Much larger fleets or smaller time scales get 429s, which the worker backs off from (by Retry-After
    // times --time-scale, as it scales every wait) until the window resets; --no-rate-limit avoids that.
    // Three nodes each: every node is drained under the seeded PodDisruptionBudgets before its recycle,
    // and a one-node cluster cannot move budget-guarded pods anywhere (its drain is refused, NoRoomToDrain).
    simulator: {
      clusters: opts.clusters, seed: opts.seed, timeScale: opts.timeScale, regions: DEMO_REGIONS, nodesPerCluster: 3,
      rateLimit: opts.rateLimit ? undefined : false,
    },
    kubeconfigDir: join(workDir, 'kubeconfigs'),
    activities: { pollIntervalMs: 100, tokenCacheWindowMs: 2_000, retryAfterScale: opts.timeScale },
  });
  cleanups.push(() => stack.stop());
  say(`  Linode API ${stack.sim.linodeApiUrl}, Kubernetes APIs under ${stack.sim.kubeBaseUrl}/<clusterId>`);
  say(`  Worker polling task queue ${stack.taskQueue}; new kubeconfigs go to ${stack.kubeconfigDir}`);

  const requester = apiToken('platform-oncall', ['viewer', 'operator']);
  const approver = apiToken('security-lead', ['viewer', 'approver']);
  const tokensFile = join(workDir, 'api-tokens.json');
  await writeFile(tokensFile, JSON.stringify([requester, approver], null, 2), { mode: 0o600 });
  const config = loadConfig({
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_NAMESPACE: server.namespace,
    TEMPORAL_WEB_URL: server.webUrl,
    LINODE_API_URL: stack.sim.linodeApiUrl,
    LINODE_TOKEN: stack.sim.linodeToken,
    KUBECONFIG_DIR: stack.kubeconfigDir,
    API_TOKENS_FILE: tokensFile,
  });
  const api: RunningApi = await startApiServer({
    config, composition: stack.composition, client: server.client, port: opts.apiPort, logger: createApiLogger({ level: 'warn' }),
  });
  cleanups.push(() => api.close());
  say(`Starting the API: ${api.url} (OpenAPI at ${api.url}/docs; tokens for platform-oncall and security-lead in ${tokensFile})`);
  say();

  const asRequester = new ApiClient(api.url, requester.token);
  const asApprover = new ApiClient(api.url, approver.token);
  const name = `demo-${new Date().toISOString().slice(0, 19).replace(/[-:T]/g, '')}`;
  say(`platform-oncall starts fleet rotation "${name}" through POST /v1/fleet-rotations:`);
  say(`  every cluster; restart all workloads; rolling node recycle; a canary of one, then ${opts.concurrency} at a time`);
  const started = await asRequester.call<{ workflowId: string; runId: string; webUrl?: string }>('POST', '/v1/fleet-rotations', {
    name,
    // every cluster of the account: an empty selector must say so
    selector: { all: true },
    // the canary cluster keeps its own gates (a second person approves it); once security-lead has
    // approved the canary gate too, the fleet's gate stands in for the other clusters' gates
    rotation: { restart: { scope: 'all' }, recycle: { mode: 'rolling' } },
    waves: { canary: 1, canaryApproval: true },
    concurrency: opts.concurrency,
    errorBudget: { count: 1 },
  });
  say(`  workflow ${started.workflowId}${started.webUrl ? `: ${started.webUrl}` : ''}`);
  say();

  const final = await follow(asRequester, asApprover, server.client, name);
  say();
  return { code: await report(asRequester, final, stack), stack, asRequester };
}

const PHASE_ORDER = ['Pending', 'Snapshotting', 'AwaitingApproval', 'DeletingTokens', 'Regenerating', 'AwaitingKubeconfig',
  'Verifying', 'DeliveringKubeconfig', 'RestartingWorkloads', 'AwaitingRecycleApproval', 'RecyclingNodes', 'Completed'];

/** Polls the fleet's status through the API until it ends, approving the canary gate as the second identity. */
async function follow(asRequester: ApiClient, asApprover: ApiClient, temporal: Client, name: string): Promise<FleetStatus> {
  const tty = process.stdout.isTTY === true;
  const bars = new cliProgress.MultiBar({
    format: ' {label} |{bar}| {phase}',
    barsize: 22,
    hideCursor: true,
    clearOnComplete: false,
    noTTYOutput: false,
  }, cliProgress.Presets.shades_classic);
  const clusterBars = new Map<number, cliProgress.SingleBar>();
  const lastPhase = new Map<number, string>();
  let approved = false;
  const approvedClusterGates = new Set<string>();
  const log = (line: string) => (tty ? bars.log(`${line}\n`) : say(line));

  for (;;) {
    const view = await asRequester.call<{ status: FleetStatusView | null }>('GET', `/v1/fleet-rotations/${encodeURIComponent(name)}`);
    const status = view.status;
    if (!status) {
      // the fleet's first workflow task has not run yet
      await new Promise((r) => setTimeout(r, 250));
      continue;
    }
    for (const cluster of status.clusters) {
      const phase = cluster.phase === 'Running' ? (cluster.rotationPhase ?? 'Running') : cluster.phase;
      const label = `${String(cluster.id).padEnd(7)} ${cluster.label.padEnd(24).slice(0, 24)} ${cluster.region.padEnd(10)}${cluster.wave === 0 ? ' canary' : '       '}`;
      const progress = Math.max(0, PHASE_ORDER.indexOf(phase));
      if (tty) {
        let bar = clusterBars.get(cluster.id);
        if (!bar) {
          bar = bars.create(PHASE_ORDER.length - 1, 0, { label, phase });
          clusterBars.set(cluster.id, bar);
        }
        bar.update(progress, { label, phase });
      } else if (lastPhase.get(cluster.id) !== phase) {
        say(`  ${label} ${phase}`);
      }
      lastPhase.set(cluster.id, phase);
    }
    for (const cluster of status.clusters) {
      const gate = cluster.rotationPhase;
      if (cluster.wave !== 0 || (gate !== 'AwaitingApproval' && gate !== 'AwaitingRecycleApproval')) continue;
      const key = `${cluster.id}:${gate}`;
      if (approvedClusterGates.has(key)) continue;
      approvedClusterGates.add(key);
      const what = gate === 'AwaitingApproval' ? 'its plan (token deletes)' : 'its node recycle';
      log(`The canary cluster ${cluster.id} waits for approval of ${what}; security-lead approves it (four-eyes):`);
      log(`  POST /v1/rotations/${cluster.id}/approve`);
      await asApprover.call('POST', `/v1/rotations/${cluster.id}/approve`, { comment: 'plan reviewed' });
    }
    if (status.pendingGate?.gate === 'canary' && !approved) {
      const canary = status.clusters.find((c) => c.wave === 0);
      log(`Canary ${canary ? `cluster ${canary.id} (${canary.label})` : ''} rotated and verified; the fleet waits at its gate.`);
      await approveCanaryBySignal(temporal, status.fleetRotationId, log);
      approved = true;
    }
    if (FLEET_END_PHASES.includes(status.phase)) {
      bars.stop();
      return status;
    }
    if (status.phase === 'Halted') log(`The fleet halted: ${status.haltReason ?? 'error budget exceeded'}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * The fleet's canary gate, answered with the `approve` Signal, the way Temporal Web's "Send a Signal"
 * and `temporal workflow signal` do it. A Signal has no answer: the requester's own try is refused,
 * and the refusal shows in the fleet's status (and Temporal Web's current details).
 */
async function approveCanaryBySignal(temporal: Client, workflowId: string, log: (line: string) => void): Promise<void> {
  const handle = temporal.workflow.getHandle(workflowId);
  const send = async (input: ApproveInput) => {
    log(`  ${signalCommand(workflowId, 'approve', JSON.stringify(input))}`);
    await handle.signal(approveSignal, input);
  };
  log('platform-oncall tries to approve it with the approve Signal:');
  await send({ by: 'platform-oncall' });
  const refused = (await handle.query<FleetStatus>('status')).refusedSignals?.at(-1);
  log(`  refused (shown in the status and in Temporal Web): ${refused?.reason ?? 'no refusal recorded?'}`);
  log('security-lead approves it with the same Signal, a second identity:');
  await send({ by: 'security-lead', comment: 'canary looks healthy' });
}

async function report(asRequester: ApiClient, fleet: FleetStatus, stack: LocalStack): Promise<number> {
  const table = new Table({
    head: ['cluster', 'label', 'region', 'result', 'verified', 'restarted', 'recycled', 'seconds'],
    // colours only on a terminal: a log file or CI gets plain lines
    ...(process.stdout.isTTY ? {} : { style: { head: [], border: [] } }),
  });
  let good = 0;
  for (const cluster of fleet.clusters) {
    const view = await asRequester.call<{ status: RotationStatus | null }>('GET', `/v1/rotations/${cluster.id}`);
    const status = view.status;
    const verified = status?.completedSteps.includes('verify') ?? false;
    const ok = cluster.phase === 'Completed' && status?.phase === 'Completed' && verified;
    if (ok) good++;
    const started = cluster.startedAt ? Date.parse(cluster.startedAt) : NaN;
    const finished = cluster.finishedAt ? Date.parse(cluster.finishedAt) : NaN;
    table.push([
      cluster.id,
      cluster.label,
      cluster.region,
      status?.phase ?? cluster.phase,
      verified ? 'yes' : 'no',
      status ? `${status.progress.workloadsRestarted}/${status.progress.workloadsTotal}` : '-',
      status ? `${status.progress.nodesRecycled}/${status.progress.nodesTotal}` : '-',
      Number.isFinite(finished - started) ? Math.round((finished - started) / 100) / 10 : '-',
    ]);
  }
  say(`Fleet rotation ${fleet.name}: ${fleet.phase} (${fleet.runs} run${fleet.runs === 1 ? '' : 's'}; approvals: ${fleet.approvals.map((a) => a.by).join(', ') || 'none'})`);
  say(table.toString());
  const all = fleet.clusters.length;
  say(`${good} of ${all} clusters rotated and verified; the audit log counted ${stack.sim.audit.count({ method: 'POST', path: /\/regenerate$/ })} regenerate calls.`);
  return good === all && all > 0 ? 0 : 1;
}

/** --keep: one more rotation waits at its gate, for a human to approve in Temporal Web. */
async function keepRunning(stack: LocalStack, asRequester: ApiClient | undefined): Promise<void> {
  const web = `${stack.server.webUrl}/namespaces/${stack.server.namespace}`;
  say();
  say('--keep: everything stays up until Ctrl-C.');
  say(`  Temporal Web: ${web}/workflows`);
  say(`  e.g. filter by  RotationPhase = "Completed"  or  LkeClusterId = ${stack.sim.state.list()[0]?.cluster.id}`);
  const clusterId = stack.sim.state.list()[0]?.cluster.id;
  if (!asRequester || clusterId === undefined) return new Promise<never>(() => undefined);
  const started = await asRequester.call<{ workflowId: string }>('POST', '/v1/rotations', { clusterId });
  say();
  say(`platform-oncall started one more rotation, ${started.workflowId}; it waits at its approval gate. Approve it in Temporal Web:`);
  say(`  1. open ${web}/workflows/${started.workflowId}`);
  say('  2. the current details show the plan, who requested it and the signal to send');
  say(`  3. "Send a Signal" (the workflow's actions menu): name  approve , input  ${APPROVE_INPUT_EXAMPLE.replace('<your name>', 'security-lead')}`);
  say('     (as platform-oncall it is refused, and the refusal appears in the current details)');
  say(`  or from a shell: ${signalCommand(started.workflowId, 'approve', APPROVE_INPUT_EXAMPLE.replace('<your name>', 'security-lead'))} \\`);
  say(`    --address ${stack.server.address} --namespace ${stack.server.namespace}`);
  await new Promise<never>(() => undefined);
}

try {
  const { code, stack, asRequester } = await main();
  if (opts.keep && stack) await keepRunning(stack, asRequester);
  await shutdown(code);
} catch (err) {
  // after Ctrl-C the servers go away under the polling loop: that is not a failure to report
  if (!stopping) {
    say(`demo failed: ${(err as Error).message}`);
    await shutdown(1);
  }
}
