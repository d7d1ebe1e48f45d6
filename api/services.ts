// The API's services over a Temporal client and the Linode API. Thin: starting, steering and
// resuming rotations is client/rotations.ts's job; this file adds what only the API needs (a
// cluster's latest run with its status, and paged visibility listings).
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { executionInfoFromRaw } from '@temporalio/client/lib/helpers.js';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import { clusterRotationWorkflowId, WORKFLOW_TYPES, type RotationPhase } from '../common/names.js';
import type { RotationStatus } from '../common/types.js';
import type { LinodePort } from '../activities/ports.js';
import { statusQuery } from '../workflows/definitions.js';
import {
  FLEET_ROTATION_ID, LKE_CLUSTER_ID, LKE_REGION, REQUESTED_BY, ROTATION_PHASE,
} from '../workflows/searchAttributes.js';
import type {
  ClusterFilter, ClusterService, RotationListPage, RotationListQuery, RotationSummary, RotationView,
} from './deps.js';
import { ApiError } from './errors.js';

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
