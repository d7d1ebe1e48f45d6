// The production worker: connects to Temporal from the configuration, registers the search
// attributes (a real cluster does not have them until someone adds them), and runs the rotation
// and fleet workflows with the live activities against the Linode API and the clusters. The
// activities come from the process's one composition (activities/compose.ts).
import { Client } from '@temporalio/client';
import type { Connection } from '@temporalio/client';
import type { InjectedSinks, NativeConnection, Worker } from '@temporalio/worker';
import type { RotationMetricsSinks } from '../workflows/metricsSink.js';
import type { Logger } from 'pino';
import { compose, type Composition } from '../activities/compose.js';
import { connectClient, connectWorkerConnection, ensureSearchAttributes } from '../config/temporalConnection.js';
import type { Config } from '../config/config.js';
import { payloadDataConverter } from '../config/payloadCodec.js';
import { createLinodeWorker } from './linodeWorker.js';
import { createRotationWorker } from './worker.js';
import { runTogether } from './runTogether.js';
import { watchLinodePeers } from './linodePeers.js';
import { LINODE_GENERAL_LIMIT } from '../common/lke.js';
import { DEFAULT_BUDGET_SHARE, processPart } from '../activities/linode/budget.js';

export interface LiveWorker {
  /** the workflows and every activity, on lke-rotation */
  worker: Worker;
  /** the Linode-bound activities on lke-rotation-linode, at the budget's rate (worker/linodeWorker.ts) */
  linodeWorker: Worker;
  /** runs both until the process is told to stop (or one fails: then the other is shut down too) */
  run(): Promise<void>;
  /** the client-side connection and a client on the configured namespace, for an API in the same process */
  connection: Connection;
  client: Client;
  /** search attributes this start-up added to the namespace */
  addedSearchAttributes: string[];
  /** closes both connections; call after worker.run() has returned */
  close(): Promise<void>;
}

export interface LiveWorkerOptions {
  sinks?: InjectedSinks<RotationMetricsSinks>;
  /** says how many processes share the Linode budget when that changes, and when it cannot be read */
  log?: Pick<Logger, 'info' | 'warn'>;
}

/** `composition`: the process's adapters, when an API in the same process shares them; default compose(config). */
export async function createLiveWorker(
  config: Config, composition: Composition = compose(config), options: LiveWorkerOptions = {},
): Promise<LiveWorker> {
  // before connecting: without a Linode token this throws the ConfigError that names the variables
  const activities = composition.workerActivities();
  // the same converter on both sides: the worker encrypts what it writes and decrypts what it reads
  const dataConverter = payloadDataConverter(config.codecKeysFile);
  const { connection } = await connectClient(config.temporal, { dataConverter });
  let nativeConnection: NativeConnection | undefined;
  try {
    const addedSearchAttributes = await ensureSearchAttributes(connection, config.temporal.namespace);
    nativeConnection = await connectWorkerConnection(config.temporal);
    const worker = await createRotationWorker({
      connection: nativeConnection,
      namespace: config.temporal.namespace,
      activities,
      workerOptions: { dataConverter, ...(options.sinks ? { sinks: options.sinks } : {}) },
    });
    const linodeWorker = await createLinodeWorker({
      connection: nativeConnection, namespace: config.temporal.namespace, activities, share: config.linode.budgetShare,
      general: config.linode.generalLimit, workerOptions: { dataConverter },
    });
    const native = nativeConnection;
    const run = async (): Promise<void> => {
      // each process keeps to its part of the budget: the share over the processes polling the Linode queue
      const general = config.linode.generalLimit ?? LINODE_GENERAL_LIMIT;
      let known = 0;
      const peers = watchLinodePeers({
        connection, namespace: config.temporal.namespace, taskQueue: linodeWorker.options.taskQueue,
        identity: linodeWorker.options.identity, windowMs: general.windowMs,
        onPeers: (view) => {
          composition.setLinodePeers(view);
          if (view.peers === known) return;
          known = view.peers;
          const part = processPart(config.linode.budgetShare ?? DEFAULT_BUDGET_SHARE, general, view.peers);
          options.log?.info({ processes: view.peers, requestsPerWindow: part, windowMs: general.windowMs }, 'Linode budget: worker processes sharing it, and this one\'s part');
        },
        onError: (err) => options.log?.warn({ err: { message: (err as Error).message } }, 'could not count the worker processes on the Linode queue; keeping the last count'),
      });
      try {
        await runTogether([worker, linodeWorker]);
      } finally {
        peers.stop();
      }
    };
    return {
      worker,
      linodeWorker,
      run,
      connection,
      client: new Client({ connection, namespace: config.temporal.namespace, dataConverter }),
      addedSearchAttributes,
      async close() {
        await native.close();
        await connection.close();
      },
    };
  } catch (err) {
    await nativeConnection?.close();
    await connection.close();
    throw err;
  }
}

/**
 * Ends an entry point that failed: logs the message only (configuration errors name variables,
 * never their secret values) and exits, since a native worker or connection that failed half-way
 * can keep the event loop alive.
 */
export function exitOnFailure(log: Logger, what: string, err: unknown): never {
  log.error({ err: { message: (err as Error).message, name: (err as Error).name } }, `${what} failed`);
  process.exit(1);
}
