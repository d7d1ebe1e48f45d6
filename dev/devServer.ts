// Starts a real Temporal server for the tests, the demo and the benchmarks: the CLI's dev server
// (SQLite, optional Temporal Web) or the Java time-skipping test server, both through
// @temporalio/testing with binaries from dev/binaries.ts, and both guarded so that no server
// outlives this process however it ends.
import type { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { EphemeralServerExecutable } from '@temporalio/testing';
import type { NativeConnection } from '@temporalio/worker';
import { ensureSearchAttributes } from '../config/temporalConnection.js';
import { findBinaryOrSdkDownload, TEMPORAL_CLI, TEMPORAL_TEST_SERVER } from './binaries.js';
import type { BinarySpec, ResolveOptions } from './binaries.js';
import { childProcessesRunning, guardExecutable, startOrphanWatchdog } from './processGuard.js';
import { ROTATION_SEARCH_ATTRIBUTE_KEYS } from '../common/searchAttributes.js';

export const DEFAULT_UI_PORT = 8233;

export interface DevServerOptions {
  /** Temporal Web; default false (tests). When on, it listens on uiPort (default 8233). */
  ui?: boolean;
  uiPort?: number;
  /** frontend gRPC port; default a free one */
  port?: number;
  /** SQLite file that keeps history across restarts; default in-memory */
  dbFilename?: string;
  /** default "default" */
  namespace?: string;
  /** the server's own log level; default "warn" */
  logLevel?: string;
  /** how to find the binary (tests inject a cache dir); default the environment */
  resolve?: ResolveOptions;
}

export interface DevServer {
  env: TestWorkflowEnvironment;
  /** host:port of the frontend */
  address: string;
  namespace: string;
  /** Temporal Web, when on */
  webUrl?: string;
  /** for clients */
  connection: Connection;
  /** for workers */
  nativeConnection: NativeConnection;
  client: Client;
  /** milliseconds from call to ready */
  startupMs: number;
  /** stops the server; safe to call twice */
  stop(): Promise<void>;
}

export async function startDevServer(opts: DevServerOptions = {}): Promise<DevServer> {
  const namespace = opts.namespace ?? 'default';
  const uiPort = opts.ui ? (opts.uiPort ?? DEFAULT_UI_PORT) : undefined;
  const started = Date.now();
  const { executable, stopWatchdog } = await launch(TEMPORAL_CLI, opts.resolve, (exe) =>
    TestWorkflowEnvironment.createLocal({
      server: {
        executable: exe,
        ip: '127.0.0.1',
        port: opts.port,
        ui: opts.ui ?? false,
        uiPort,
        dbFilename: opts.dbFilename,
        namespace,
        log: { format: 'pretty', level: opts.logLevel ?? 'warn' },
        searchAttributes: [...ROTATION_SEARCH_ATTRIBUTE_KEYS],
      },
    }),
  );
  return wrap(executable, stopWatchdog, namespace, Date.now() - started, uiPort ? `http://127.0.0.1:${uiPort}` : undefined);
}

export interface TimeSkippingServerOptions {
  port?: number;
  resolve?: ResolveOptions;
}

/**
 * The Java test server with time skipping: awaiting a workflow's result fast-forwards its timers,
 * so 24-hour gate timeouts take milliseconds. It has no Temporal Web and no namespaces but "default".
 */
export async function startTimeSkippingServer(opts: TimeSkippingServerOptions = {}): Promise<DevServer> {
  const started = Date.now();
  const { executable, stopWatchdog } = await launch(TEMPORAL_TEST_SERVER, opts.resolve, (exe) =>
    TestWorkflowEnvironment.createTimeSkipping({ server: { executable: exe, port: opts.port } }),
  );
  const server = wrap(executable, stopWatchdog, 'default', Date.now() - started, undefined);
  // It takes no --search-attribute flags, and rejects workflows that upsert unregistered ones.
  try {
    await ensureSearchAttributes(server.connection, server.namespace);
  } catch (err) {
    await server.stop();
    throw err;
  }
  server.startupMs = Date.now() - started;
  return server;
}

async function launch(
  spec: BinarySpec,
  resolve: ResolveOptions | undefined,
  create: (exe: EphemeralServerExecutable) => Promise<TestWorkflowEnvironment>,
): Promise<{ executable: TestWorkflowEnvironment; stopWatchdog: () => void }> {
  const path = await findBinaryOrSdkDownload(spec, resolve);
  if (!path) {
    // No binary and no pip, but the SDK's download host answers: let the SDK fetch and run it.
    return { executable: await create({ type: 'cached-download' }), stopWatchdog: () => undefined };
  }
  guardExecutable(path);
  const before = new Set(childProcessesRunning(path));
  const env = await create({ type: 'existing-path', path });
  const stops = childProcessesRunning(path).filter((pid) => !before.has(pid)).map(startOrphanWatchdog);
  return { executable: env, stopWatchdog: () => stops.forEach((stop) => stop()) };
}

function wrap(
  env: TestWorkflowEnvironment,
  stopWatchdog: () => void,
  namespace: string,
  startupMs: number,
  webUrl: string | undefined,
): DevServer {
  let stopping: Promise<void> | undefined;
  return {
    env,
    address: env.address,
    namespace,
    webUrl,
    connection: env.connection,
    nativeConnection: env.nativeConnection,
    client: env.client,
    startupMs,
    stop() {
      stopping ??= env.teardown().finally(stopWatchdog);
      return stopping;
    },
  };
}
