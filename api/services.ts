// The API's services over a Temporal client and the Linode API. Thin: starting, steering and
// resuming rotations is client/rotations.ts's job; this file adds what only the API needs (a
// cluster's latest run with its status, paged visibility listings, the cluster check on start).
import type { Client, WorkflowExecutionInfo, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { executionInfoFromRaw } from '@temporalio/client/lib/helpers.js';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import { clusterRotationWorkflowId, WORKFLOW_TYPES, type RotationPhase } from '../common/names.js';
import type { RotationStatus } from '../common/types.js';
import { FailureType } from '../activities/errors.js';
import type { LinodePort } from '../activities/ports.js';
import { resumeRotation, sendControl, startRotation, type RotationHandle } from '../client/rotations.js';
import { statusQuery } from '../workflows/definitions.js';
import {
  FLEET_ROTATION_ID, LKE_CLUSTER_ID, LKE_REGION, REQUESTED_BY, ROTATION_PHASE,
} from '../workflows/searchAttributes.js';
import type {
  ClusterFilter, ClusterService, RotationListPage, RotationListQuery, RotationService, RotationSummary, RotationView,
  StartedRun,
} from './deps.js';
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

/** One page of rotations from Temporal visibility, newest first. */
export async function listRotations(client: Client, query: RotationListQuery): Promise<RotationListPage> {
  const response = await client.workflowService.listWorkflowExecutions({
    namespace: client.options.namespace,
    query: rotationVisibilityQuery(query),
    pageSize: query.pageSize,
    nextPageToken: query.nextPageToken ? Buffer.from(query.nextPageToken, 'base64url') : undefined,
  });
  const rotations: RotationSummary[] = [];
  for (const raw of response.executions ?? []) {
    rotations.push(toSummary(await executionInfoFromRaw(raw, client.options.loadedDataConverter, raw, client.options.namespace)));
  }
  const token = response.nextPageToken;
  return { rotations, nextPageToken: token && token.length > 0 ? Buffer.from(token).toString('base64url') : null };
}

/** The cluster's latest rotation run and its status, or null when it never had one. */
export async function getRotationView(client: Client, clusterId: number): Promise<RotationView | null> {
  const handle = client.workflow.getHandle(clusterRotationWorkflowId(clusterId));
  let description;
  try {
    description = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
  const latest = client.workflow.getHandle(description.workflowId, description.runId);
  let status: RotationStatus | null;
  try {
    status = await client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => latest.query(statusQuery));
  } catch {
    status = null;
  }
  return { workflowId: description.workflowId, runId: description.runId, execution: description.status.name, status };
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

/** Linode's X-Filter: fields combine with AND; a cluster matches a tag when any of its tags is it. */
export function linodeClusterFilter(filter: ClusterFilter): Record<string, unknown> {
  return {
    ...(filter.tag ? { tags: filter.tag } : {}),
    ...(filter.region ? { region: filter.region } : {}),
    ...(filter.label ? { label: { '+contains': filter.label } } : {}),
  };
}

export function createClusterService(linode: LinodePort): ClusterService {
  return {
    async list(filter, page) {
      try {
        return await linode.listClusters({ filter: linodeClusterFilter(filter), page: page.page, pageSize: page.pageSize });
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
