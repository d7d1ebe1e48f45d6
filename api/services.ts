// The API's services over a Temporal client and the Linode API. Thin: starting, steering and
// resuming rotations is client/rotations.ts's job; this file adds what only the API needs (a
// cluster's latest run with its status, paged visibility listings, the cluster check on start).
import type {
  Client, WorkflowExecutionDescription, WorkflowExecutionInfo, WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import { executionInfoFromRaw } from '@temporalio/client/lib/helpers.js';
import { ApplicationFailure, WorkflowNotFoundError, type Duration } from '@temporalio/common';
import {
  clusterRotationWorkflowId, fleetRotationWorkflowId, WORKFLOW_TYPES, type RotationPhase,
} from '../common/names.js';
import { FailureType } from '../common/failures.js';
import type { ClusterCriteria, LinodePort } from '../activities/ports.js';
import {
  createFleetSchedule, deleteFleetSchedule, fleetWorkflowIdOf, getFleetStatus, listFleetSchedules, pauseFleetSchedule,
  sendFleetControl, startFleetRotation, triggerFleetSchedule, unpauseFleetSchedule,
} from '../client/fleets.js';
import { resumeRotation, sendControl, startRotation, type RotationHandle } from '../client/rotations.js';
import { statusQuery } from '../workflows/definitions.js';
import {
  FLEET_ROTATION_ID, LKE_CLUSTER_ID, LKE_REGION, REQUESTED_BY, ROTATION_PHASE,
} from '../common/searchAttributes.js';
import type {
  ClusterFilter, ClusterService, ExecutionStatusName, FleetService, RotationListPage, ScheduleService, RotationListQuery, RotationService, RotationSummary, RotationView,
  StartedRun,
} from './deps.js';
import type { RotationReport, RotationStatus } from '../common/types.js';
import { ApiError, notFound } from './errors.js';

/** A status Query needs a worker (to replay a closed run); do not hang a request on a missing one. */
const QUERY_DEADLINE_MS = 5_000;

/** Visibility query values: the routes' schemas already restrict them, this keeps the query well-formed regardless. */
const quote = (value: string): string => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export function rotationVisibilityQuery(filter: Pick<RotationListQuery, 'phase' | 'clusterId' | 'fleetRotationId'>): string {
  const clauses = [`WorkflowType = ${quote(WORKFLOW_TYPES.clusterRotation)}`];
  if (filter.phase) clauses.push(`${ROTATION_PHASE.name} = ${quote(filter.phase)}`);
  if (filter.clusterId !== undefined) clauses.push(`${LKE_CLUSTER_ID.name} = ${Math.trunc(filter.clusterId)}`);
  if (filter.fleetRotationId) clauses.push(`${FLEET_ROTATION_ID.name} = ${quote(filter.fleetRotationId)}`);
  return clauses.join(' AND ');
}

function toSummary(info: WorkflowExecutionInfo): RotationSummary {
  const attributes = info.typedSearchAttributes;
  const clusterId = attributes.get(LKE_CLUSTER_ID);
  return {
    workflowId: info.workflowId,
    runId: info.runId,
    clusterId: clusterId === undefined ? null : Number(clusterId),
    region: attributes.get(LKE_REGION) ?? null,
    phase: (attributes.get(ROTATION_PHASE) as RotationPhase | undefined) ?? null,
    requestedBy: attributes.get(REQUESTED_BY) ?? null,
    fleetRotationId: attributes.get(FLEET_ROTATION_ID) ?? null,
    execution: info.status.name,
    startTime: info.startTime.toISOString(),
    closeTime: info.closeTime?.toISOString() ?? null,
  };
}

/** One page of a visibility query, newest first; page tokens travel as base64url text. */
async function visibilityPage(
  client: Client, query: string, page: { pageSize: number; nextPageToken?: string },
): Promise<{ executions: WorkflowExecutionInfo[]; nextPageToken: string | null }> {
  const response = await client.workflowService.listWorkflowExecutions({
    namespace: client.options.namespace,
    query,
    pageSize: page.pageSize,
    nextPageToken: page.nextPageToken ? Buffer.from(page.nextPageToken, 'base64url') : undefined,
  });
  const executions: WorkflowExecutionInfo[] = [];
  for (const raw of response.executions ?? []) {
    executions.push(await executionInfoFromRaw(raw, client.options.loadedDataConverter, raw, client.options.namespace));
  }
  const token = response.nextPageToken;
  return { executions, nextPageToken: token && token.length > 0 ? Buffer.from(token).toString('base64url') : null };
}

export async function listRotations(client: Client, query: RotationListQuery): Promise<RotationListPage> {
  const page = await visibilityPage(client, rotationVisibilityQuery(query), query);
  return { rotations: page.executions.map(toSummary), nextPageToken: page.nextPageToken };
}

/** The latest run of a workflow id, or null when there never was one. */
async function describeLatest(client: Client, workflowId: string): Promise<WorkflowExecutionDescription | null> {
  try {
    return await client.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
}

/** A Query's answer, or null when no worker answered in time: a request never hangs on a missing worker. */
function answerInTime<S>(client: Client, query: () => Promise<S>): Promise<S | null> {
  return client.withDeadline(Date.now() + QUERY_DEADLINE_MS, query).catch(() => null);
}

/**
 * The latest run of a workflow id and its status Query's answer. Both are asked at once: the Query
 * is the slow part (a worker answers it), and the status endpoint is what dashboards poll.
 */
async function describeWithStatus<S>(
  client: Client, workflowId: string, query: () => Promise<S>,
): Promise<{ workflowId: string; runId: string; execution: ExecutionStatusName; status: S | null } | null> {
  const status = answerInTime(client, query);
  const description = await describeLatest(client, workflowId);
  if (!description) return null;
  return { workflowId: description.workflowId, runId: description.runId, execution: description.status.name, status: await status };
}

/** The cluster's latest rotation run and its status, or null when it never had one. */
export async function getRotationView(client: Client, clusterId: number): Promise<RotationView | null> {
  const workflowId = clusterRotationWorkflowId(clusterId);
  const description = await describeLatest(client, workflowId);
  if (!description) return null;
  const { runId } = description;
  const execution = description.status.name;
  return { workflowId, runId, execution, status: await rotationStatusOf(client, workflowId, runId, execution) };
}

/**
 * A completed run's status comes from its result (the last history event): a Query would make a
 * worker replay the whole run, and dashboards poll finished rotations a lot. Open runs, and runs
 * that ended without a result (terminated, timed out), are asked the `status` Query; null when no
 * worker answers in time.
 */
async function rotationStatusOf(
  client: Client, workflowId: string, runId: string, execution: ExecutionStatusName,
): Promise<RotationStatus | null> {
  if (execution === 'COMPLETED') {
    const report = await client.workflow.getHandle(workflowId, runId).result() as RotationReport;
    if (report.finalStatus) return report.finalStatus;
  }
  return answerInTime(client, () => client.workflow.getHandle(workflowId, runId).query(statusQuery));
}

export interface RotationServiceOptions {
  /** when given, a start looks the cluster up first: 404 for an unknown one, region and label for Temporal Web */
  linode?: LinodePort;
  /** default lke-rotation */
  taskQueue?: string;
}

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

/** client/rotations.ts types its handles without the run id start() gave them; ask only if it is missing. */
async function startedRun(handle: RotationHandle): Promise<StartedRun> {
  const { firstExecutionRunId } = handle as Partial<WorkflowHandleWithFirstExecutionRunId>;
  const runId = firstExecutionRunId ?? (await handle.describe()).runId;
  return { workflowId: handle.workflowId, runId };
}

export function createRotationService(client: Client, options: RotationServiceOptions = {}): RotationService {
  const taskQueue = options.taskQueue ? { taskQueue: options.taskQueue } : {};
  return {
    async start(input) {
      const cluster = options.linode ? await lookupCluster(options.linode, input.clusterId) : null;
      const handle = await startRotation(client, input, {
        ...taskQueue, ...(cluster ? { region: cluster.region, label: cluster.label } : {}),
      });
      return startedRun(handle);
    },
    get: (clusterId) => getRotationView(client, clusterId),
    list: (query) => listRotations(client, query),
    async control(clusterId, { update, ...input }) {
      await sendControl(client, clusterId, update, input);
    },
    async resume(clusterId, requestedBy) {
      const handle = await resumeRotation(client, clusterId, { requestedBy, ...taskQueue });
      return startedRun(handle);
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

const fleetNameOf = (workflowId: string): string => workflowId.slice(fleetRotationWorkflowId('').length);

export function createFleetService(client: Client, options: { taskQueue?: string } = {}): FleetService {
  const startOptions = options.taskQueue ? { taskQueue: options.taskQueue } : {};
  return {
    start: (input) => startFleetRotation(client, input, startOptions),
    async get(nameOrId) {
      return describeWithStatus(client, fleetWorkflowIdOf(nameOrId), () =>
        getFleetStatus(client, nameOrId, { withRotationPhases: true }));
    },
    async list(query) {
      const page = await visibilityPage(client, `WorkflowType = ${quote(WORKFLOW_TYPES.fleetRotation)}`, query);
      return {
        fleets: page.executions.map((info) => ({
          workflowId: info.workflowId,
          runId: info.runId,
          name: fleetNameOf(info.workflowId),
          requestedBy: info.typedSearchAttributes.get(REQUESTED_BY) ?? null,
          execution: info.status.name,
          startTime: info.startTime.toISOString(),
          closeTime: info.closeTime?.toISOString() ?? null,
        })),
        nextPageToken: page.nextPageToken,
      };
    },
    control: (nameOrId, control) => sendFleetControl(client, nameOrId, control),
  };
}

export function createScheduleService(client: Client, options: { taskQueue?: string } = {}): ScheduleService {
  return {
    async create({ scheduleId, fleet, timing, paused, note }) {
      try {
        return await createFleetSchedule(client, {
          scheduleId,
          input: fleet,
          spec: 'every' in timing ? { intervals: [{ every: timing.every as Duration }] } : { cronExpressions: [timing.cron] },
          ...(paused !== undefined ? { paused } : {}),
          ...(note ? { note } : {}),
          ...(options.taskQueue ? { taskQueue: options.taskQueue } : {}),
        });
      } catch (err) {
        // The SDK reports a spec the server refused ("Invalid schedule spec") as a TypeError.
        if (err instanceof TypeError) throw new ApiError('invalid_request', `timing: ${err.message}`, 'timing');
        throw err;
      }
    },
    list: () => listFleetSchedules(client),
    pause: (scheduleId, note) => pauseFleetSchedule(client, scheduleId, note),
    unpause: (scheduleId, note) => unpauseFleetSchedule(client, scheduleId, note),
    trigger: (scheduleId) => triggerFleetSchedule(client, scheduleId),
    delete: (scheduleId) => deleteFleetSchedule(client, scheduleId),
  };
}
