// The fleet at scale, deployed as in production (issue 13, item 6): one fleet rotation of N clusters
// (default 1000) at concurrency c (default 200), run by TWO product worker processes (worker/main.ts,
// configured by the environment only), against the simulator in a process of its own (sim/cli.ts) with
// Linode's documented rate limits ON and its waits time-scaled. This process only starts them, drives
// Temporal as a client and reads the simulator's request counts (GET /_sim/stats).
//
// It prints the wall time against the floor = max(ceil(N / c) x one cluster's wait, Linode calls /
// budget), where one cluster's wait is measured (a rotation of a cluster outside the fleet, alone, on
// the same processes and time scale, after a warm-up) and the budget is the workers' share of Linode's
// general limit (LKE_ROTATOR_LINODE_BUDGET_SHARE x 1600 / 120 s, default share 0.5); the 429s the
// simulator answered; the rotations that failed or were ever Blocked on a 429; Linode calls per
// rotation (all and per endpoint); and each worker's peak RSS. Goal: no rotation failed or Blocked by
// a 429, wall/floor at most 1.1.
//
// `npm run bench -- scale` reads BENCH_SCALE_CLUSTERS, BENCH_SCALE_CONCURRENCY, BENCH_SCALE_TIME_SCALE,
// BENCH_SCALE_WORKERS, BENCH_SCALE_TIMEOUT_S and LKE_ROTATOR_LINODE_BUDGET_SHARE; run directly
// (`node --import tsx bench/scale.bench.ts --help`) it takes the same as flags.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Client } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { Command, InvalidArgumentError } from 'commander';
import { getFleetStatus, startFleetRotation, startRotation } from '../client/index.js';
import { LINODE_GENERAL_LIMIT, linodeBudgetPerSecond } from '../common/lke.js';
import { peerWatchIntervalMs } from '../worker/linodePeers.js';
import { joinHoldMs } from '../activities/linode/budget.js';
import { ENV, LINODE_TASK_QUEUE } from '../common/names.js';
import { ROTATION_PHASE, FLEET_ROTATION_ID } from '../common/searchAttributes.js';
import { FLEET_END_PHASES, type FleetClusterOptions, type FleetStatus, type RotationReport } from '../common/types.js';
import { startDevServer, type DevServer } from '../dev/devServer.js';
import { STATS_PATH, type LinodeStatsSnapshot } from '../sim/linode/stats.js';
import { spawnNode, waitForOutput, type BenchChild } from './childProcesses.js';
import { callsBetween, countBlocked, endpointsTable, figuresTable, round, totalCalls } from './scaleReport.js';

/** Linode's general limit per token: 1,600 requests per 2 minutes (docs/design.md). */
const GENERAL_LIMIT = LINODE_GENERAL_LIMIT;
/** Linode's limit on GETs that answer a collection (the pools of a cluster, the cluster list): 100 per minute */
const LINODE_COLLECTION_PER_SECOND = 100 / 60;
/** credentials only, as the issue's fleet: no restarts, no node recycle */
const ROTATION: FleetClusterOptions = { restart: { scope: 'none' }, recycle: { mode: 'none' } };
/** as the API starts runs: the Linode-bound steps on the queue whose rate the workers ask for */
const QUEUED = { linodeTaskQueue: LINODE_TASK_QUEUE };
const BUDGET_SHARE_ENV = ENV.linodeBudgetShare;
const PROGRESS_EVERY_MS = 2_000;
/** every unfinished rotation Blocked this long: nobody will unblock them, stop waiting */
const STUCK_AFTER_MS = 60_000;

export interface ScaleOptions {
  clusters: number;
  concurrency: number;
  workers: number;
  /** the simulator's --time-scale: real time per simulated time */
  timeScale: number;
  /** LKE_ROTATOR_LINODE_BUDGET_SHARE, passed to the workers */
  budgetShare: number;
  seed: number;
  timeoutS: number;
}

export const SCALE_DEFAULTS: ScaleOptions = { clusters: 1000, concurrency: 200, workers: 2, timeScale: 0.1, budgetShare: 0.5, seed: 13, timeoutS: 3600 };

function positive(name: string, raw: string, integer: boolean): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new InvalidArgumentError(`${name} must be a positive ${integer ? 'whole number' : 'number'}, got "${raw}"`);
  }
  return value;
}

function share(name: string, raw: string): number {
  const value = positive(name, raw, false);
  if (value > 1) throw new InvalidArgumentError(`${name} must be at most 1, got "${raw}"`);
  return value;
}

export function scaleOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): ScaleOptions {
  const read = (name: string, fallback: number, integer = true): number => {
    const raw = env[name]?.trim();
    return raw ? positive(name, raw, integer) : fallback;
  };
  const d = SCALE_DEFAULTS;
  const rawShare = env[BUDGET_SHARE_ENV]?.trim();
  const budgetShare = rawShare ? share(BUDGET_SHARE_ENV, rawShare) : d.budgetShare;
  return {
    clusters: read('BENCH_SCALE_CLUSTERS', d.clusters), concurrency: read('BENCH_SCALE_CONCURRENCY', d.concurrency),
    workers: read('BENCH_SCALE_WORKERS', d.workers), timeScale: read('BENCH_SCALE_TIME_SCALE', d.timeScale, false),
    budgetShare, seed: read('BENCH_SCALE_SEED', d.seed), timeoutS: read('BENCH_SCALE_TIMEOUT_S', d.timeoutS),
  };
}

interface Simulator { child: BenchChild; apiUrl: string; token: string }

/** `npm run sim` in its own process: Linode's limits on (its default), waits scaled, our token, ports it picks and prints. */
async function startSimulatorProcess(options: ScaleOptions, token: string): Promise<Simulator> {
  const child = spawnNode('simulator', 'sim/cli.ts', [
    '--clusters', String(options.clusters + 1), '--seed', String(options.seed),
    '--time-scale', String(options.timeScale), '--token', token,
  ], { PATH: process.env.PATH, HOME: process.env.HOME });
  const apiUrl = await waitForOutput(child, (out) => /LINODE_API_URL=(\S+)/.exec(out)?.[1], 60_000);
  const banner = await waitForOutput(child, (out) => (out.includes('Ctrl-C') ? out : undefined), 10_000);
  if (!banner.includes('Linode rate limits on')) throw new Error(`the simulator does not enforce Linode's limits:\n${banner}`);
  return { child, apiUrl, token };
}

/** `npm run worker` as deployed: everything through the environment, the token through a file. */
async function startWorkerProcess(index: number, server: DevServer, sim: Simulator, dir: string, options: ScaleOptions): Promise<BenchChild> {
  const scaled = (ms: number): string => String(Math.max(1, Math.round(ms * options.timeScale)));
  const child = spawnNode(`worker ${index + 1}`, 'worker/main.ts', [], {
    PATH: process.env.PATH, HOME: process.env.HOME,
    TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: server.namespace,
    LINODE_API_URL: sim.apiUrl, LINODE_TOKEN_FILE: join(dir, 'linode-token'),
    // a directory of its own, as each pod has: its kubeconfig cache is its own too
    KUBECONFIG_DIR: join(dir, `kubeconfigs-${index + 1}`),
    [BUDGET_SHARE_ENV]: String(options.budgetShare),
    // LKE's waits (poll interval 5 s, kubeconfig 2 min, node replacement 1 min) at the simulator's time scale
    LKE_ROTATOR_POLL_INTERVAL_MS: scaled(5_000),
    LKE_ROTATOR_KUBECONFIG_DELAY_MS: scaled(120_000),
    LKE_ROTATOR_NODE_RECYCLE_DELAY_MS: scaled(60_000),
  });
  await waitForOutput(child, (out) => (out.includes('"msg":"worker polling"') ? true : undefined), 120_000);
  return child;
}

async function simStats(sim: Simulator): Promise<LinodeStatsSnapshot> {
  const reply = await fetch(`${sim.apiUrl}${STATS_PATH}`, { headers: { authorization: `Bearer ${sim.token}` } });
  if (!reply.ok) throw new Error(`GET ${STATS_PATH} answered ${reply.status}`);
  return await reply.json() as LinodeStatsSnapshot;
}

/** The simulator's cluster ids through its Linode API (a few collection GETs, before any measuring). */
async function clusterIds(sim: Simulator): Promise<number[]> {
  const ids: number[] = [];
  for (let page = 1, pages = 1; page <= pages; page++) {
    const reply = await fetch(`${sim.apiUrl}/v4/lke/clusters?page=${page}&page_size=500`, { headers: { authorization: `Bearer ${sim.token}` } });
    if (!reply.ok) throw new Error(`listing clusters answered ${reply.status}`);
    const body = await reply.json() as { data: { id: number }[]; pages: number };
    pages = body.pages;
    ids.push(...body.data.map((c) => c.id));
  }
  return ids.sort((a, b) => a - b);
}

/** One rotation alone, gates off: its wall time in ms. */
async function loneRotation(client: Client, clusterId: number): Promise<number> {
  const t0 = performance.now();
  const { handle } = await startRotation(client, {
    clusterId, requestedBy: 'bench', approvals: { beforeDelete: false, disabledBy: 'bench' }, ...ROTATION, ...QUEUED,
  });
  const report = await handle.result() as RotationReport;
  if (report.phase !== 'Completed') throw new Error(`the lone rotation of cluster ${clusterId} ended ${report.phase}: ${report.notDone.join('; ')}`);
  return performance.now() - t0;
}

/** A line per poll on a terminal (redrawn), a line every 10 s otherwise (logs). */
function progressPrinter(): (line: string, last?: boolean) => void {
  let printedAt = 0;
  return (line, last = false) => {
    if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${line}${last ? '\n' : ''}`);
    else if (last || Date.now() - printedAt >= 10_000) { process.stderr.write(`${line}\n`); printedAt = Date.now(); }
  };
}

interface FleetRun { wallMs: number; status: FleetStatus; ended: boolean; why: string }

/** consecutive failed reads of the fleet's progress before the bench gives up */
const MAX_FAILED_READS = 10;

/** The fleet's status, how many of its rotations are Blocked now (visibility), and the simulator's 429s so far. */
async function readProgress(client: Client, sim: Simulator, workflowId: string): Promise<{ status: FleetStatus; blocked: number; rateLimited: number }> {
  const status = await getFleetStatus(client, workflowId);
  if (!status) throw new Error(`fleet ${workflowId} not found`);
  const blocked = Number((await client.workflow.count(
    `${FLEET_ROTATION_ID.name} = "${workflowId}" AND ${ROTATION_PHASE.name} = "Blocked" AND ExecutionStatus = "Running"`)).count);
  return { status, blocked, rateLimited: (await simStats(sim)).total.rateLimited };
}

async function runFleet(client: Client, sim: Simulator, ids: number[], options: ScaleOptions): Promise<FleetRun> {
  const t0 = performance.now();
  const { workflowId } = await startFleetRotation(client, {
    name: 'scale-bench', requestedBy: 'bench', selector: { clusterIds: ids }, rotation: ROTATION, ...QUEUED,
    // a benchmark has no second person: gates off, recorded as switched off by an admin
    waves: { canary: 0 }, gatesDisabledBy: 'bench', concurrency: options.concurrency, errorBudget: { percent: 100 },
  });
  const baseline = await simStats(sim);
  const print = progressPrinter();
  let stuckSince: number | null = null;
  let failedReads = 0;
  for (;;) {
    await new Promise((r) => setTimeout(r, PROGRESS_EVERY_MS));
    let read: Awaited<ReturnType<typeof readProgress>>;
    try {
      read = await readProgress(client, sim, workflowId);
      failedReads = 0;
    } catch (err) {
      // a Query can time out while two busy workers share two cores with everything else: read again
      if (++failedReads >= MAX_FAILED_READS) throw err;
      print(`reading the fleet failed (${(err as Error).message}); reading again`, true);
      continue;
    }
    const { status, blocked } = read;
    const rateLimited = read.rateLimited - baseline.total.rateLimited;
    const elapsedMs = performance.now() - t0;
    const { Pending: pending, Running: running } = status.counts;
    const done = ids.length - pending - running;
    const ended = FLEET_END_PHASES.includes(status.phase);
    print(`fleet ${status.phase}: ${done}/${ids.length} done, ${running} running (${blocked} Blocked), `
      + `${status.counts.Failed} failed, ${rateLimited} 429s, ${round(elapsedMs / 1000)} s`, ended);
    if (ended) return { wallMs: elapsedMs, status, ended: true, why: status.phase };
    stuckSince = pending === 0 && running > 0 && blocked >= running ? (stuckSince ?? Date.now()) : null;
    if (stuckSince !== null && Date.now() - stuckSince > STUCK_AFTER_MS) {
      print(`stopped waiting: the ${running} unfinished rotations are all Blocked`, true);
      return { wallMs: elapsedMs, status, ended: false, why: `${running} rotations Blocked` };
    }
    if (elapsedMs > options.timeoutS * 1000) {
      print(`stopped waiting after ${options.timeoutS} s`, true);
      return { wallMs: elapsedMs, status, ended: false, why: `timed out after ${options.timeoutS} s` };
    }
  }
}

export async function runScaleBench(options: ScaleOptions = scaleOptionsFromEnv()): Promise<Record<string, number>> {
  const { clusters: n, concurrency: c } = options;
  const dir = await mkdtemp(join(tmpdir(), 'lke-rotator-scale-bench-'));
  const token = randomBytes(32).toString('hex'); // a Linode token's shape: 64 hex characters
  await writeFile(join(dir, 'linode-token'), token, { mode: 0o600 });
  let server: DevServer | undefined;
  let sim: Simulator | undefined;
  const workers: BenchChild[] = [];
  try {
    process.stderr.write(`scale bench: ${n} clusters at concurrency ${c}, ${options.workers} worker processes, `
      + `time scale ${options.timeScale}, budget share ${options.budgetShare}\n`);
    [server, sim] = await Promise.all([startDevServer(), startSimulatorProcess(options, token)]);
    for (let i = 0; i < options.workers; i++) workers.push(await startWorkerProcess(i, server, sim, dir, options));
    // a worker that finds another already polling joins it, and spends nothing for a window and two
    // looks (activities/linode/budget.ts): measured before that, one cluster's wait would be the hold's
    const joinedAt = Date.now();
    const all = await clusterIds(sim);
    const fleetIds = all.slice(0, n);
    const lone = all[n];

    // one cluster's wait: a warm-up, then the measured rotation, each alone
    await loneRotation(server.client, lone);
    const holdMs = joinHoldMs(GENERAL_LIMIT, peerWatchIntervalMs(GENERAL_LIMIT.windowMs));
    if (options.workers > 1 && Date.now() < joinedAt + holdMs) {
      process.stderr.write(`waiting ${Math.round((joinedAt + holdMs - Date.now()) / 1000)} s for the workers' join hold to pass\n`);
      await new Promise((r) => setTimeout(r, joinedAt + holdMs - Date.now()));
    }
    const beforeLone = await simStats(sim);
    const oneClusterMs = await loneRotation(server.client, lone);
    const loneCalls = callsBetween(beforeLone, await simStats(sim));
    process.stderr.write(`one cluster alone: ${round(oneClusterMs)} ms, ${totalCalls(loneCalls).calls} Linode calls\n`);

    const before = await simStats(sim);
    const run = await runFleet(server.client, sim, fleetIds, options);
    const after = await simStats(sim);
    const fleetCalls = callsBetween(before, after);
    const memory = workers.map((w) => w.memory());
    const simMemory = sim.child.memory();
    const blocked = await countBlocked(server.client, run.status);

    const total = totalCalls(fleetCalls);
    const budgetPerS = linodeBudgetPerSecond(options.budgetShare);
    const waitFloorMs = Math.ceil(n / c) * oneClusterMs;
    const budgetFloorMs = (total.calls / budgetPerS) * 1000;
    // not in the issue's floor, but a bound of its own: the lists' limit, at the same share
    const lists = totalCalls(fleetCalls, 'collection');
    const listFloorMs = (lists.calls / (options.budgetShare * LINODE_COLLECTION_PER_SECOND)) * 1000;
    const floorMs = Math.max(waitFloorMs, budgetFloorMs);
    // Linode counts in fixed windows, not at a smooth rate: a run that touches k windows may spend k
    // shares of them, so its least wall is (k - 1) windows, k = ceil(calls / one window's share)
    const perWindow = options.budgetShare * GENERAL_LIMIT.limit;
    const windowFloorMs = Math.max(waitFloorMs, (Math.ceil(total.calls / perWindow) - 1) * GENERAL_LIMIT.windowMs);
    const peakWindow = after.peakWindows?.general.peakUsed ?? NaN;
    const counts = run.status.counts;
    const failed = counts.Failed + counts.Cancelled + counts.Rejected;
    const mb = (bytes: number | undefined): number => round((bytes ?? NaN) / 1048576);
    const figures: Record<string, number> = {
      clusters: n, concurrency: c, workerProcesses: options.workers, timeScale: options.timeScale, fleetEnded: run.ended ? 1 : 0,
      budgetCallsPerS: round(budgetPerS, 2), oneClusterMs: round(oneClusterMs), wallS: round(run.wallMs / 1000, 1),
      waitFloorS: round(waitFloorMs / 1000, 1), budgetFloorS: round(budgetFloorMs / 1000, 1), listFloorS: round(listFloorMs / 1000, 1), floorS: round(floorMs / 1000, 1),
      wallOverFloor: round(run.wallMs / floorMs, 2), windowFloorS: round(windowFloorMs / 1000, 1),
      wallOverWindowFloor: round(run.wallMs / windowFloorMs, 2), peakGeneralWindow: peakWindow, shareOfGeneralWindow: perWindow, linodeCalls: total.calls, linodeCallsPerS: round(total.calls / (run.wallMs / 1000), 2),
      linode429s: total.rateLimited, callsPerRotation: round(total.calls / n, 2), completed: counts.Completed,
      failed, blockedBy429: blocked.blockedBy429, everBlocked: blocked.everBlocked, stillBlocked: blocked.stillBlocked,
      ...Object.fromEntries(memory.map((m, i) => [`worker${i + 1}PeakRssMb`, mb(m?.peakRss)])),
      simulatorPeakRssMb: mb(simMemory?.peakRss),
    };
    process.stdout.write(`\nFleet of ${n} at concurrency ${c}: ${run.ended ? `ended ${run.why}` : `NOT ended (${run.why})`}\n`);
    process.stdout.write(`${figuresTable([
      ['wall', `${figures.wallS} s`, run.ended ? 'fleet start to its end (selection included)'
        : `NOT the fleet's: it did not end, the bench stopped waiting after this long (${run.why})`],
      ['one cluster\'s wait', `${figures.oneClusterMs} ms`, `measured: a rotation of cluster ${lone} alone, same processes and time scale, after a warm-up; it made ${totalCalls(loneCalls).calls} Linode calls`],
      ['floor by waits', `${figures.waitFloorS} s`, `ceil(${n} / ${c}) x one cluster's wait`],
      ['Linode budget', `${figures.budgetCallsPerS} calls/s`, `${options.budgetShare} (${BUDGET_SHARE_ENV}) x 1600 / 120 s`],
      ['floor by budget', `${figures.budgetFloorS} s`, `${total.calls} Linode calls / budget`],
      ['lists\' own bound', `${figures.listFloorS} s`, `${lists.calls} collection GETs (lists) / (${options.budgetShare} x 100 / 60 s): `
        + 'Linode limits lists to 100 a minute apart from the general limit; not part of the floor'],
      ['wall / floor', figures.wallOverFloor, `floor = max of the two: ${figures.floorS} s (goal <= 1.1)`
        + (!run.ended ? '; not a result: the fleet did not end'
          : figures.wallOverFloor < 1 ? '; below 1: Linode counts in fixed windows, see the next two lines' : '')],
      ['floor by windows', `${figures.windowFloorS} s`, `Linode counts in fixed ${GENERAL_LIMIT.windowMs / 1000} s windows: ${total.calls} calls at ${perWindow} a window `
        + `touch at least ${Math.ceil(total.calls / perWindow)} windows, so the wall is at least ${Math.ceil(total.calls / perWindow) - 1} of them (or the waits' floor); `
        + `wall / that: ${figures.wallOverWindowFloor}`],
      ['busiest general window', `${peakWindow} requests`, `the most one ${GENERAL_LIMIT.windowMs / 1000} s window of the token passed, at the simulator, `
        + `against the workers' share of ${perWindow} (of ${GENERAL_LIMIT.limit}); over the simulator's life, the lone rotation's window included`],
      ['Linode calls', total.calls, `at the simulator (GET ${STATS_PATH}) from fleet start to end; `
        + `${figures.linodeCallsPerS} calls/s on average against a budget of ${figures.budgetCallsPerS}`],
      ['Linode calls per rotation', figures.callsPerRotation, `calls / ${n}; per endpoint below`],
      ['429s seen', total.rateLimited, 'answered by the simulator\'s Linode limits (goal 0)'],
      ['rotations completed', counts.Completed, `of ${n}`],
      ['rotations failed', failed, `Failed ${counts.Failed}, Cancelled ${counts.Cancelled}, Rejected ${counts.Rejected} (goal 0)`],
      ['rotations Blocked by a 429', blocked.blockedBy429, `ever Blocked on LinodeRateLimited / Linode API 429 (goal 0)${blocked.example429 ? `; e.g. ${blocked.example429}` : ''}`],
      ['rotations ever Blocked', blocked.everBlocked, `any error; ${blocked.stillBlocked} still Blocked at the end`
        + (blocked.unread > 0 ? `; ${blocked.unread} rotations' timelines could not be read` : '')],
      ...memory.map((m, i): [string, string, string] => [`worker ${i + 1} RSS`, `${mb(m?.peakRss)} MB peak`, `VmHWM of pid ${workers[i].pid}; ${mb(m?.rss)} MB at the end`]),
      ['simulator RSS', `${mb(simMemory?.peakRss)} MB peak`, 'its own process, not in the workers\''],
    ])}\n`);
    process.stdout.write(`${endpointsTable(fleetCalls, n, loneCalls)}\n`);
    return figures;
  } finally {
    // the workers first, gracefully; then what they talk to
    await Promise.all(workers.map((w) => w.stop('SIGTERM', 15_000)));
    await sim?.child.stop('SIGINT', 10_000);
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const d = scaleOptionsFromEnv();
  const program = new Command('scale.bench')
    .description('Fleet rotation at scale: two worker processes, the simulator out of process with Linode\'s limits on')
    .option('--clusters <n>', 'clusters in the fleet', (v) => positive('--clusters', v, true), d.clusters)
    .option('--concurrency <n>', 'rotations at once', (v) => positive('--concurrency', v, true), d.concurrency)
    .option('--workers <n>', 'worker processes', (v) => positive('--workers', v, true), d.workers)
    .option('--time-scale <x>', 'the simulator\'s time scale', (v) => positive('--time-scale', v, false), d.timeScale)
    .option('--budget-share <x>', `${BUDGET_SHARE_ENV} for the workers (0..1]`, (v) => share('--budget-share', v), d.budgetShare)
    .option('--seed <n>', 'the simulator\'s fleet seed', (v) => positive('--seed', v, true), d.seed)
    .option('--timeout-s <n>', 'stop waiting for the fleet after this long', (v) => positive('--timeout-s', v, true), d.timeoutS)
    .parse();
  await runScaleBench(program.opts<ScaleOptions>());
}
