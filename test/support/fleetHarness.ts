// The fleet tests' Temporal side: one dev server per test file and one worker on the production task
// queue that runs the real fleetRotation over the stand-in child rotation (fleetStubWorkflows.ts),
// with the real fleet activities over a FakeLinode and the stand-in's fake rotation work.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { DefaultLogger, Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createFleetActivities } from '../../activities/fleet.js';
import { getFleetStatus } from '../../client/index.js';
import type { RotationRef } from '../../common/fleetActivities.js';
import type { NotifyInput } from '../../common/notifications.js';
import { TASK_QUEUE, fleetRotationWorkflowId } from '../../common/names.js';
import type { FleetReport, FleetRotationInput, FleetStatus } from '../../common/types.js';
import { startDevServer, type DevServer } from '../../dev/devServer.js';
import { FakeLinode, FakeRotationWork, FakeStageHealth, noKube, waitFor } from './fleetFakes.js';

const STUB_WORKFLOWS = fileURLToPath(new URL('./fleetStubWorkflows.ts', import.meta.url));

export interface FleetHarness {
  readonly linode: FakeLinode;
  readonly work: FakeRotationWork;
  /** the soak's health check: findings scripted per cluster */
  readonly health: FakeStageHealth;
  readonly server: DevServer;
  readonly client: Client;
  /** the stand-in workflows' bundle, to replay their histories */
  readonly stubBundle: WorkflowBundleWithSourceMap;
  /** how many rotations checkRotations looked at (followed rotations) */
  checkedRotations: number;
  /** every event a fleet started with `notify: true` sent (the notify activity's fake) */
  readonly notifications: NotifyInput[];
  statusOf(name: string): Promise<FleetStatus>;
  waitForPhase(name: string, phase: FleetStatus['phase']): Promise<FleetStatus>;
  resultOf(name: string): Promise<FleetReport>;
  /** a fleet over the clusters tagged `tag`, watching followed rotations every 300 ms */
  fleet(name: string, tag: string, extra?: Partial<FleetRotationInput>): FleetRotationInput;
}

/** Call at the top level of a test file: before() starts the server and the worker, after() stops both. */
export function useFleetStub(): FleetHarness {
  let server: DevServer | undefined;
  let worker: Worker | undefined;
  let workerRun: Promise<void> | undefined;
  let stubBundle: WorkflowBundleWithSourceMap | undefined;

  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the fleet harness is not started yet: use it inside tests');
    return value;
  };

  const harness: FleetHarness = {
    linode: new FakeLinode(),
    work: new FakeRotationWork(),
    health: new FakeStageHealth(),
    checkedRotations: 0,
    notifications: [],
    get server() {
      return ready(server);
    },
    get client() {
      return ready(server).client;
    },
    get stubBundle() {
      return ready(stubBundle);
    },
    async statusOf(name) {
      const status = await getFleetStatus(harness.client, name);
      assert.ok(status, `fleet ${name} exists`);
      return status;
    },
    waitForPhase(name, phase) {
      return waitFor(`fleet ${name} to be ${phase}`, async () => {
        const status = await harness.statusOf(name);
        return status.phase === phase && status;
      });
    },
    resultOf(name) {
      return harness.client.workflow.getHandle(fleetRotationWorkflowId(name)).result() as Promise<FleetReport>;
    },
    fleet(name, tag, extra = {}) {
      return { name, requestedBy: 'alice', selector: { tags: [tag] }, watchIntervalMs: 300, ...extra };
    },
  };

  before(async () => {
    server = await startDevServer();
    // No client passed: checkRotations uses the worker's own, as in production.
    const fleetActivities = createFleetActivities({ linode: harness.linode, kube: noKube });
    stubBundle = await bundleWorkflowCode({ workflowsPath: STUB_WORKFLOWS, logger: new DefaultLogger('WARN') });
    worker = await Worker.create({
      connection: server.nativeConnection,
      namespace: server.namespace,
      taskQueue: TASK_QUEUE,
      workflowBundle: stubBundle,
      activities: {
        ...fleetActivities,
        checkRotations: (refs: RotationRef[]) => {
          harness.checkedRotations += refs.length;
          return fleetActivities.checkRotations(refs);
        },
        checkStageHealth: harness.health.checkStageHealth,
        snapshotCluster: harness.work.snapshotCluster,
        notify: async (input: NotifyInput) => {
          harness.notifications.push(input);
          return { delivered: true, status: 200 };
        },
      },
    });
    workerRun = worker.run();
  });

  after(async () => {
    worker?.shutdown();
    await workerRun;
    await server?.stop();
  });

  return harness;
}
