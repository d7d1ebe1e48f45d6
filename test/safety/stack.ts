// The safety test's world, shared by every case of a run: one Temporal dev server, one time-scaled
// LKE simulator, a kubeconfig directory, and the live worker in a child process that a case may
// SIGKILL (a new one is started in its place). Each case gets fresh clusters, added to the running
// simulator, so cases never see each other's state. Every token the simulator issues on those
// clusters is collected as it is created, so (I4) can look for all of them.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDevServer, type DevServer } from '../../dev/devServer.js';
import { SERVICE_ACCOUNT_TOKEN_TYPE } from '../../common/names.js';
import { startSimulator, type Simulator } from '../../sim/index.js';
import { generateFleet } from '../../sim/fleet.js';
import { KubeCluster } from '../../sim/kube/index.js';
import type { KubeObject } from '../../sim/kube/store.js';
import type { WorkerChildConfig } from './workerChild.js';

/** Simulated LKE minutes take milliseconds: a regenerated kubeconfig is ready in ~1 s, a window wide enough to aim at. */
export const SIM_TIME_SCALE = 0.008;
/** real ms the simulated apiserver keeps accepting a deleted token (a real one caches ~10 s) */
export const SIM_TOKEN_CACHE_MS = 200;

export interface SafetyStack {
  server: DevServer;
  sim: Simulator;
  kubeconfigDir: string;
  /** every token any case cluster (and the Linode API) has issued */
  issuedTokens: Set<string>;
  /** everything the worker processes wrote to stdout and stderr */
  workerOutput: string[];
  /** fresh clusters, added to the simulator now, ids never used before */
  addClusters(count: number): number[];
  /** the worker process is up and polling */
  ensureWorker(): Promise<void>;
  /** SIGKILL: no shutdown, activities in flight are lost mid-call */
  killWorker(): void;
  stop(): Promise<void>;
}

interface WorkerProcess { child: ChildProcess; up: Promise<void> }

const WORKER_ENTRY = fileURLToPath(new URL('./workerChild.ts', import.meta.url));

export async function startSafetyStack(): Promise<SafetyStack> {
  const server = await startDevServer();
  const sim = await startSimulator({ clusters: 0, seed: 7, timeScale: SIM_TIME_SCALE, tokenCacheMs: SIM_TOKEN_CACHE_MS, rateLimit: false });
  const kubeconfigDir = await mkdtemp(join(tmpdir(), 'lke-safety-kubeconfigs-'));
  const issuedTokens = new Set<string>([sim.linodeToken, sim.readOnlyToken]);
  const workerOutput: string[] = [];
  let nextClusterId = 300_000;
  /** the worker polling now, and a warm spare that polls once told to (workerChild.ts) */
  let worker: WorkerProcess | null = null;
  let spare: WorkerProcess | null = null;

  const collect = (object: KubeObject): void => {
    const token = (object.data as { token?: string } | undefined)?.token;
    if (object.type === SERVICE_ACCOUNT_TOKEN_TYPE && token) issuedTokens.add(Buffer.from(token, 'base64').toString('utf8'));
  };

  function addClusters(count: number): number[] {
    const firstClusterId = nextClusterId;
    nextClusterId += count;
    generateFleet(sim.state, { clusters: count, seed: firstClusterId, firstClusterId, appNamespaces: 1 }, (kubeSeed) => {
      const kube = KubeCluster.seed(kubeSeed, sim.clock);
      for (const secret of kube.store.list('secrets')) collect(secret);
      kube.store.listeners.add((resource, _type, object) => { if (resource === 'secrets') collect(object); });
      return kube;
    });
    const ids = Array.from({ length: count }, (_, i) => firstClusterId + i);
    for (const id of ids) void sim.state.kube(id); // seed now, so the listener sees every token from the start
    return ids;
  }

  function spawnWorker(): WorkerProcess {
    const config: WorkerChildConfig = {
      address: server.address,
      namespace: server.namespace,
      linodeApiUrl: sim.linodeApiUrl, linodeToken: sim.linodeToken, kubeconfigDir,
      activities: { pollIntervalMs: 50, tokenCacheWindowMs: 2_000, recycleResendAfterMs: 3_000, retryAfterScale: 0.01 },
    };
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER_ENTRY], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, SAFETY_WORKER: JSON.stringify(config) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin?.on('error', () => undefined); // a SIGKILLed child's pipe breaks; nothing to do
    const up = new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        workerOutput.push(text);
        if (text.includes('safety-worker polling')) resolve();
      });
      child.stderr?.on('data', (chunk: Buffer) => { workerOutput.push(chunk.toString('utf8')); });
      child.on('exit', (code, signal) => {
        reject(new Error(`the safety worker exited before polling (${code ?? signal})`));
        if (worker?.child === child) worker = null;
        if (spare?.child === child) spare = null;
      });
    });
    up.catch(() => undefined);
    return { child, up };
  }

  return {
    server,
    sim,
    kubeconfigDir,
    issuedTokens,
    workerOutput,
    addClusters,
    async ensureWorker() {
      if (!worker) {
        worker = spare ?? spawnWorker();
        spare = null;
        worker.child.stdin?.write('run\n');
      }
      const current = worker;
      spare ??= spawnWorker();
      await current.up;
    },
    killWorker() {
      worker?.child.kill('SIGKILL');
      worker = null;
    },
    async stop() {
      const child = worker?.child;
      worker = null;
      spare?.child.kill('SIGKILL');
      spare = null;
      if (child && child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      await sim.stop();
      await server.stop();
      await rm(kubeconfigDir, { recursive: true, force: true });
    },
  };
}
