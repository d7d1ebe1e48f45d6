/**
 * Shared Temporal test harness: one real server per test file, workers with real or fake
 * activities, and teardown that runs even when a test fails.
 *
 *   import { useTemporal } from './support/temporal.js';
 *   const temporal = useTemporal();                 // top level: before() starts the dev server, after() stops it
 *   // or useTemporal({ timeSkipping: true })       // the Java test server: awaiting result() skips timers
 *
 *   test('...', async (t) => {
 *     const { taskQueue } = await temporal.startWorker(t, { activities: fake });  // stopped when the test ends
 *     const handle = await temporal.client.workflow.start('clusterRotation', { taskQueue, workflowId, args });
 *     ...
 *   });
 *
 * - `temporal.client` / `temporal.server` (address, namespace, connection, nativeConnection) are
 *   usable from before() on (inside tests and nested hooks).
 * - `startWorker(t, opts)` runs a worker with the real workflows of workflows/index on a fresh
 *   task queue (or `opts.taskQueue`, e.g. TASK_QUEUE when the code under test starts workflows on
 *   `lke-rotation`); pass the test context `t` to stop it when that test ends, or `null` to keep it
 *   until the file's after(). Workers still running at after() are stopped before the server.
 * - A worker that crashes makes the next startWorker()/after() throw its error, so it is not lost.
 */
import { randomUUID } from 'node:crypto';
import { after, before } from 'node:test';
import type { TestContext } from 'node:test';
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { startDevServer, startTimeSkippingServer } from '../../dev/devServer.js';
import type { DevServer, DevServerOptions } from '../../dev/devServer.js';
import { createRotationWorker } from '../../worker/worker.js';
import type { RotationWorkerOptions } from '../../worker/worker.js';

export interface StartWorkerOptions {
  /** activity implementations, real or fake, keyed by activity name */
  activities: object;
  /** default: a fresh `test-<uuid>` queue so tests in one file cannot steal each other's tasks */
  taskQueue?: string;
  workerOptions?: RotationWorkerOptions['workerOptions'];
}

export interface RunningWorker {
  worker: Worker;
  taskQueue: string;
  /** shuts the worker down and waits for it; safe to call twice */
  stop(): Promise<void>;
}

export interface TemporalHarness {
  readonly server: DevServer;
  readonly client: Client;
  startWorker(t: TestContext | null, opts: StartWorkerOptions): Promise<RunningWorker>;
}

export interface UseTemporalOptions {
  /** the time-skipping test server instead of the dev server */
  timeSkipping?: boolean;
  /** dev server options (ignored with timeSkipping); Temporal Web stays off unless asked for */
  devServer?: DevServerOptions;
}

export function useTemporal(opts: UseTemporalOptions = {}): TemporalHarness {
  let server: DevServer | undefined;
  const running = new Set<RunningWorker>();
  const crashes: unknown[] = [];

  before(async () => {
    server = opts.timeSkipping ? await startTimeSkippingServer() : await startDevServer(opts.devServer);
  });

  after(async () => {
    try {
      await Promise.allSettled([...running].map((w) => w.stop()));
    } finally {
      await server?.stop();
    }
    throwCrashes();
  });

  function throwCrashes(): void {
    if (crashes.length > 0) throw new AggregateError(crashes.splice(0), 'a test worker crashed');
  }

  function requireServer(): DevServer {
    if (!server) throw new Error('the Temporal server is not started yet: use it from tests or hooks after useTemporal()');
    return server;
  }

  return {
    get server() {
      return requireServer();
    },
    get client() {
      return requireServer().client;
    },
    async startWorker(t, workerOpts) {
      throwCrashes();
      const { nativeConnection, namespace } = requireServer();
      const taskQueue = workerOpts.taskQueue ?? `test-${randomUUID()}`;
      const worker = await createRotationWorker({
        connection: nativeConnection,
        namespace,
        taskQueue,
        activities: workerOpts.activities,
        workerOptions: { shutdownGraceTime: '1 second', ...workerOpts.workerOptions },
      });
      const run = worker.run().catch((err: unknown) => {
        crashes.push(err);
      });
      let stopping: Promise<void> | undefined;
      const handle: RunningWorker = {
        worker,
        taskQueue,
        stop() {
          stopping ??= (async () => {
            if (worker.getState() === 'RUNNING') worker.shutdown();
            await run;
            running.delete(handle);
          })();
          return stopping;
        },
      };
      running.add(handle);
      t?.after(() => handle.stop());
      return handle;
    },
  };
}
