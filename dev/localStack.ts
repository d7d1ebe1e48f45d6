// A whole lke-rotator on one machine: the Temporal dev server, the LKE simulator and a worker with
// the LIVE activities (real @linode/api-v4 and @kubernetes/client-node clients over HTTP(S) to the
// simulator). The demo, the end-to-end tests and the benchmarks all stand on this, so what they
// exercise is the production wiring (compose(), activities/compose.ts), not a test double of it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { compose, type ActivityTuning, type Composition } from '../activities/compose.js';
import { linodeTaskQueueOf, TASK_QUEUE } from '../common/names.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../sim/index.js';
import { createRotationWorker, type RotationWorkerOptions } from '../worker/worker.js';
import { createLinodeWorker } from '../worker/linodeWorker.js';
import { runTogether } from '../worker/runTogether.js';
import type { WorkerMetrics } from '../worker/metrics.js';
import { startDevServer, type DevServer, type DevServerOptions } from './devServer.js';
import { Secret, type NotificationsConfig } from '../config/config.js';
import { payloadDataConverter } from '../config/payloadCodec.js';

export interface LocalStackOptions {
  /** a running server to reuse, or options for a new dev server */
  server?: DevServer | DevServerOptions;
  simulator?: SimulatorOptions;
  /** where kubeconfigs are delivered; default a fresh temporary directory, removed by stop() */
  kubeconfigDir?: string;
  /** poll intervals and windows of the live activities (time-scaled simulators want short ones) */
  activities?: ActivityTuning;
  taskQueue?: string;
  workerOptions?: RotationWorkerOptions['workerOptions'];
  /**
   * LKE_ROTATOR_CODEC_KEYS_FILE for this stack: the worker and `client` encrypt payloads with these
   * keys, as a deployment with the codec on does; default off
   */
  codecKeysFile?: string;
  /** the worker's product metrics (worker/metrics.ts): its recorder counts the adapters' calls, its sinks the phases */
  metrics?: WorkerMetrics;
  /** the notification webhook the worker's notify activity posts to (and the API URL for links); default off */
  notifications?: NotificationsConfig;
  /** TEMPORAL_WEB_URL for the links in notifications */
  temporalWebUrl?: string;
}

export interface LocalStack {
  server: DevServer;
  /** the server's client, or with codecKeysFile one that encrypts and decrypts as the worker does */
  client: Client;
  sim: Simulator;
  /** the adapters the worker runs on; an API in the same process takes its Linode port from here */
  composition: Composition;
  kubeconfigDir: string;
  taskQueue: string;
  /** the running worker, or null between stopWorker() and startWorker() */
  worker: Worker | null;
  /** starts a worker (again): e.g. after stopWorker() to show a rotation surviving it */
  startWorker(): Promise<Worker>;
  stopWorker(): Promise<void>;
  /** stops the worker, the simulator and (if this stack started it) the server; safe to call twice */
  stop(): Promise<void>;
}

function isDevServer(server: LocalStackOptions['server']): server is DevServer {
  return server !== undefined && 'client' in server && 'stop' in server;
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const ownServer = !isDevServer(options.server);
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
  };
  try {
    const server = isDevServer(options.server) ? options.server : await startDevServer(options.server);
    if (ownServer) cleanups.push(() => server.stop());
    const sim = await startSimulator(options.simulator);
    cleanups.push(() => sim.stop());
    const kubeconfigDir = options.kubeconfigDir ?? await mkdtemp(join(tmpdir(), 'lke-rotator-kubeconfigs-'));
    if (!options.kubeconfigDir) cleanups.push(() => rm(kubeconfigDir, { recursive: true, force: true }));

    const composition = compose({
      linode: { apiUrl: sim.linodeApiUrl, token: new Secret(sim.linodeToken) },
      kubeconfigDir,
      activities: options.activities,
      ...(options.notifications ? { notifications: options.notifications } : {}),
      temporal: { webUrl: options.temporalWebUrl, namespace: server.namespace },
    }, { recordCall: options.metrics?.recordCall });
    const activities = composition.workerActivities();
    const taskQueue = options.taskQueue ?? TASK_QUEUE;
    const dataConverter = payloadDataConverter(options.codecKeysFile);
    const workerOptions = {
      ...options.workerOptions,
      ...(dataConverter ? { dataConverter } : {}),
      ...(options.metrics ? { sinks: options.metrics.sinks } : {}),
    };

    let running: { worker: Worker; linodeWorker: Worker; done: Promise<void> } | null = null;
    const stack: LocalStack = {
      server,
      client: dataConverter ? new Client({ connection: server.connection, namespace: server.namespace, dataConverter }) : server.client,
      sim,
      composition,
      kubeconfigDir,
      taskQueue,
      worker: null,
      async startWorker() {
        if (running) return running.worker;
        const worker = await createRotationWorker({
          connection: server.nativeConnection,
          namespace: server.namespace,
          taskQueue,
          activities,
          workerOptions,
        });
        // as a deployed worker: the Linode-bound activities also on their queue, for runs that name it
        const linodeWorker = await createLinodeWorker({
          connection: server.nativeConnection, namespace: server.namespace, taskQueue: linodeTaskQueueOf(taskQueue), activities,
          ...(dataConverter ? { workerOptions: { dataConverter } } : {}),
        });
        // A crashed worker must not go unnoticed: the error surfaces on stopWorker()/stop().
        const done = runTogether([worker, linodeWorker]);
        done.catch(() => undefined);
        running = { worker, linodeWorker, done };
        stack.worker = worker;
        return worker;
      },
      async stopWorker() {
        if (!running) return;
        const { worker, linodeWorker, done } = running;
        running = null;
        stack.worker = null;
        for (const w of [worker, linodeWorker]) if (w.getState() === 'RUNNING') w.shutdown();
        await done;
      },
      async stop() {
        try {
          await stack.stopWorker();
        } finally {
          await cleanup();
        }
      },
    };
    await stack.startWorker();
    return stack;
  } catch (err) {
    await cleanup();
    throw err;
  }
}
