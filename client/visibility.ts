// Listing runs through Temporal visibility, a page at a time. The SDK's own list() pages on its
// own and never hands out its page token, so an API that pages for its callers asks the service
// directly and reads the few fields its summaries need from the raw executions.
import { defaultPayloadConverter, type Client, type WorkflowExecutionStatusName } from '@temporalio/client';
import { WORKFLOW_TYPES, type RotationPhase } from '../common/names.js';
import {
  FLEET_ROTATION_ID, LKE_CLUSTER_ID, LKE_REGION, REQUESTED_BY, ROTATION_PHASE,
} from '../common/searchAttributes.js';
import { fleetNameOf } from './fleets.js';
import type {
  FleetListPage, PageRequest, RotationListPage, RotationListQuery, RotationSummary, RunSummary,
} from './views.js';

type ListResponse = Awaited<ReturnType<Client['workflowService']['listWorkflowExecutions']>>;
type RawExecution = NonNullable<ListResponse['executions']>[number];
type RawTimestamp = RawExecution['startTime'];

/** WorkflowExecutionStatus of the Temporal API, by its wire value (stable: it is the API's enum). */
const EXECUTION_STATUS: readonly WorkflowExecutionStatusName[] = [
  'UNSPECIFIED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'TERMINATED', 'CONTINUED_AS_NEW', 'TIMED_OUT', 'PAUSED',
];

const isoTime = (ts: RawTimestamp): string | null => {
  if (!ts) return null;
  const seconds = typeof ts.seconds === 'number' ? ts.seconds : (ts.seconds?.toNumber() ?? 0);
  return new Date(seconds * 1000 + Math.floor((ts.nanos ?? 0) / 1e6)).toISOString();
};

/** One of our own search attributes of a raw execution: stored as a plain JSON payload (keyword: string, int: number). */
function attribute<T extends string | number>(raw: RawExecution, key: { name: string }): T | null {
  const payload = raw.searchAttributes?.indexedFields?.[key.name];
  return payload ? defaultPayloadConverter.fromPayload<T | null>(payload) : null;
}

const nullableNumber = (value: number | null): number | null => (value === null ? null : Number(value));

function runSummary(raw: RawExecution): RunSummary {
  return {
    workflowId: raw.execution?.workflowId ?? '',
    runId: raw.execution?.runId ?? '',
    requestedBy: attribute<string>(raw, REQUESTED_BY),
    execution: EXECUTION_STATUS[raw.status ?? 0] ?? 'UNKNOWN',
    startTime: isoTime(raw.startTime) ?? '',
    closeTime: isoTime(raw.closeTime),
  };
}

/** Visibility query values: the routes' schemas already restrict them, this keeps the query well-formed regardless. */
const quote = (value: string): string => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export function rotationVisibilityQuery(filter: Pick<RotationListQuery, 'phase' | 'clusterId' | 'fleetRotationId'>): string {
  const clauses = [`WorkflowType = ${quote(WORKFLOW_TYPES.clusterRotation)}`];
  if (filter.phase) clauses.push(`${ROTATION_PHASE.name} = ${quote(filter.phase)}`);
  if (filter.clusterId !== undefined) clauses.push(`${LKE_CLUSTER_ID.name} = ${Math.trunc(filter.clusterId)}`);
  if (filter.fleetRotationId) clauses.push(`${FLEET_ROTATION_ID.name} = ${quote(filter.fleetRotationId)}`);
  return clauses.join(' AND ');
}

/** One page of a visibility query, newest first; page tokens travel as base64url text. */
async function visibilityPage(
  client: Client, query: string, page: PageRequest,
): Promise<{ executions: RawExecution[]; nextPageToken: string | null }> {
  const response = await client.workflowService.listWorkflowExecutions({
    namespace: client.options.namespace,
    query,
    pageSize: page.pageSize,
    nextPageToken: page.nextPageToken ? Buffer.from(page.nextPageToken, 'base64url') : undefined,
  });
  const token = response.nextPageToken;
  return {
    executions: response.executions ?? [],
    nextPageToken: token && token.length > 0 ? Buffer.from(token).toString('base64url') : null,
  };
}

function rotationSummary(raw: RawExecution): RotationSummary {
  return {
    ...runSummary(raw),
    clusterId: nullableNumber(attribute<number>(raw, LKE_CLUSTER_ID)),
    region: attribute<string>(raw, LKE_REGION),
    phase: attribute<RotationPhase>(raw, ROTATION_PHASE),
    fleetRotationId: attribute<string>(raw, FLEET_ROTATION_ID),
  };
}

export async function listRotations(client: Client, query: RotationListQuery): Promise<RotationListPage> {
  const page = await visibilityPage(client, rotationVisibilityQuery(query), query);
  return { rotations: page.executions.map(rotationSummary), nextPageToken: page.nextPageToken };
}

export async function listFleets(client: Client, page: PageRequest): Promise<FleetListPage> {
  const found = await visibilityPage(client, `WorkflowType = ${quote(WORKFLOW_TYPES.fleetRotation)}`, page);
  return {
    fleets: found.executions.map((raw) => {
      const run = runSummary(raw);
      return { ...run, name: fleetNameOf(run.workflowId) };
    }),
    nextPageToken: found.nextPageToken,
  };
}
