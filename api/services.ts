// The API's services: a thin adapter from the routes' interfaces (api/deps.ts) to the Temporal
// client (client/) and the Linode port. It adds only what the API alone needs: the cluster check
// before a start, a schedule's timing in the API's form, and the API's error for Linode failures.
import type { Client } from '@temporalio/client';
import { ApplicationFailure, type Duration } from '@temporalio/common';
import { FailureType } from '../common/failures.js';
import type { ClusterCriteria, LinodePort } from '../activities/ports.js';
import {
  controlRotation, createFleetSchedule, deleteFleetSchedule, getFleetView, getRotationView, listFleetSchedules,
  listFleets, listRotations, pauseFleetSchedule, resumeFleetRotation, resumeRotation, sendFleetControl, startFleetRotation, startRotation,
  triggerFleetSchedule, unpauseFleetSchedule, type StartedRun,
} from '../client/index.js';
import type { ClusterFilter, ClusterService, FleetService, RotationService, ScheduleService } from './deps.js';
import { ApiError, notFound } from './errors.js';

/** Every Temporal call of a request gets this long unless the service is told otherwise. */
export const DEFAULT_TEMPORAL_DEADLINE_MS = 10_000;

/**
 * Bounds a request's Temporal calls: with no worker an Update waits for one forever, and with the
 * frontend unreachable the SDK retries; the caller gets a 504 (or 503) in seconds instead.
 */
function withDeadline(client: Client, deadlineMs: number | undefined) {
  const ms = deadlineMs ?? DEFAULT_TEMPORAL_DEADLINE_MS;
  return <T>(call: () => Promise<T>): Promise<T> => client.withDeadline(Date.now() + ms, call);
}

export interface RotationServiceOptions {
  /** when given, a start looks the cluster up first: 404 for an unknown one, region and label for Temporal Web */
  linode?: LinodePort;
  /** default lke-rotation */
  taskQueue?: string;
  /** each request's Temporal calls; default DEFAULT_TEMPORAL_DEADLINE_MS */
  deadlineMs?: number;
  /** the webhook is configured: runs started here send notifications (their input says `notify: true`) */
  notify?: boolean;
  /** runs started here put their Linode-bound activities on this queue (worker/linodeWorker.ts) */
  linodeTaskQueue?: string;
}

/** The input a start sends: `notify` and the Linode queue come from the configuration, never from a request body. */
const configured = <T extends { notify?: boolean; linodeTaskQueue?: string }>(input: T, options: RotationServiceOptions): T => ({
  ...input,
  ...(options.notify ? { notify: true } : {}),
  ...(options.linodeTaskQueue ? { linodeTaskQueue: options.linodeTaskQueue } : {}),
});

/** The cluster as Linode knows it; null when Linode cannot answer now (the workflow retries later). */
async function lookupCluster(linode: LinodePort, clusterId: number) {
  try {
    return await linode.getCluster(clusterId);
  } catch (err) {
    if (err instanceof ApplicationFailure && err.type === FailureType.linodeNotFound) {
      throw notFound(`LKE cluster ${clusterId} does not exist`);
    }
    return null;
  }
}

/** The run's ids only: the routes answer with them, never with a handle. */
const runOf = ({ workflowId, runId }: StartedRun): StartedRun => ({ workflowId, runId });

export function createRotationService(client: Client, options: RotationServiceOptions = {}): RotationService {
  const taskQueue = options.taskQueue ? { taskQueue: options.taskQueue } : {};
  const bounded = withDeadline(client, options.deadlineMs);
  return {
    async start(input) {
      const cluster = options.linode ? await lookupCluster(options.linode, input.clusterId) : null;
      return runOf(await bounded(() => startRotation(client, configured(input, options), {
        ...taskQueue, ...(cluster ? { region: cluster.region, label: cluster.label } : {}),
      })));
    },
    get: (clusterId) => bounded(() => getRotationView(client, clusterId)),
    list: (query) => bounded(() => listRotations(client, query)),
    async control(clusterId, control) {
      await bounded(() => controlRotation(client, clusterId, control));
    },
    async resume(clusterId, resumedBy) {
      return runOf(await bounded(() => resumeRotation(client, clusterId, { resumedBy, ...taskQueue })));
    },
  };
}

/** The query's one tag, region and label text as the port's criteria (the adapter writes the X-Filter). */
function clusterCriteria(filter: ClusterFilter): ClusterCriteria {
  return {
    ...(filter.tag ? { tags: [filter.tag] } : {}),
    ...(filter.region ? { regions: [filter.region] } : {}),
    ...(filter.label ? { labelContains: filter.label } : {}),
  };
}

export function createClusterService(linode: LinodePort): ClusterService {
  return {
    async list(filter, page) {
      try {
        return await linode.listClusters({ where: clusterCriteria(filter), page: page.page, pageSize: page.pageSize });
      } catch (err) {
        // The port's failures are classified and carry no secret; Linode's reason helps the caller.
        const message = err instanceof ApplicationFailure ? err.message : 'the Linode API request failed';
        throw new ApiError('unavailable', message);
      }
    },
  };
}

/** Readiness: the frontend answers a cheap RPC within two seconds. */
export function temporalHealthCheck(client: Client): () => Promise<boolean> {
  return async () => {
    try {
      await client.withDeadline(Date.now() + 2_000, () =>
        client.workflowService.getSystemInfo({}));
      return true;
    } catch {
      return false;
    }
  };
}

type StartServiceOptions = Omit<RotationServiceOptions, 'linode'>;

export function createFleetService(client: Client, options: StartServiceOptions = {}): FleetService {
  const startOptions = options.taskQueue ? { taskQueue: options.taskQueue } : {};
  const bounded = withDeadline(client, options.deadlineMs);
  return {
    start: (input) => bounded(() => startFleetRotation(client, configured(input, options), startOptions)),
    get: (nameOrId) => bounded(() => getFleetView(client, nameOrId)),
    list: (page) => bounded(() => listFleets(client, page)),
    control: (nameOrId, control) => bounded(() => sendFleetControl(client, nameOrId, control)),
    resume: async (nameOrId, resumedBy) => runOf(await bounded(() => resumeFleetRotation(client, nameOrId, { resumedBy, ...startOptions }))),
  };
}

export function createScheduleService(client: Client, options: StartServiceOptions = {}): ScheduleService {
  const bounded = withDeadline(client, options.deadlineMs);
  return {
    async create({ scheduleId, fleet, timing, paused, note }) {
      try {
        return await bounded(() => createFleetSchedule(client, {
          scheduleId,
          // the schedule keeps this input: its runs notify (and queue) as configured when it was created
          input: configured(fleet, options),
          spec: 'every' in timing ? { intervals: [{ every: timing.every as Duration }] } : { cronExpressions: [timing.cron] },
          ...(paused !== undefined ? { paused } : {}),
          ...(note ? { note } : {}),
          ...(options.taskQueue ? { taskQueue: options.taskQueue } : {}),
        }));
      } catch (err) {
        // The SDK reports a spec the server refused ("Invalid schedule spec") as a TypeError.
        if (err instanceof TypeError) throw new ApiError('invalid_request', `timing: ${err.message}`, 'timing');
        throw err;
      }
    },
    list: () => bounded(() => listFleetSchedules(client)),
    pause: (scheduleId, note) => bounded(() => pauseFleetSchedule(client, scheduleId, note)),
    unpause: (scheduleId, note) => bounded(() => unpauseFleetSchedule(client, scheduleId, note)),
    trigger: (scheduleId) => bounded(() => triggerFleetSchedule(client, scheduleId)),
    delete: (scheduleId) => bounded(() => deleteFleetSchedule(client, scheduleId)),
  };
}
