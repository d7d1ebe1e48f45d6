// Fleet rotation's activities (contract: common/fleetActivities.ts): choosing the clusters through
// the Linode API, and following a rotation the fleet did not start in its current run.
import { Context } from '@temporalio/activity';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure, TerminatedFailure, TimeoutFailure, WorkflowNotFoundError } from '@temporalio/common';
import picomatch from 'picomatch';
import type { AwaitRotationInput, AwaitRotationResult, FleetActivities } from '../common/fleetActivities.js';
import type { FleetSelector, LkeCluster, RotationReport, SelectedCluster } from '../common/types.js';
import type { LinodeFilter, LinodePort } from './ports.js';

export interface FleetActivityDeps {
  linode: Pick<LinodePort, 'listClusters'>;
  /** defaults to the worker's own client (Context.current().client) */
  client?: Client;
  /** how often awaitRotation heartbeats while it waits; default 10 s */
  heartbeatEveryMs?: number;
}

/** The Linode API's largest page: a thousand clusters take two calls. */
const PAGE_SIZE = 500;

const anyOf = (field: string, values: string[]): LinodeFilter =>
  values.length === 1 ? { [field]: values[0] } : { '+or': values.map((value) => ({ [field]: value })) };

/** X-Filter for the criteria the Linode API filters on itself (tags, regions); undefined when there are none. */
export function linodeFilterFor(selector: FleetSelector): LinodeFilter | undefined {
  const parts: LinodeFilter[] = [];
  if (selector.tags?.length) parts.push(anyOf('tags', selector.tags));
  if (selector.regions?.length) parts.push(anyOf('region', selector.regions));
  if (parts.length === 0) return undefined;
  return parts.length === 1 ? parts[0] : { '+and': parts };
}

/** `/source/flags` is a regular expression; anything else a glob over the whole label. */
export function labelMatcher(pattern: string): (label: string) => boolean {
  const regex = /^\/(.+)\/([a-z]*)$/.exec(pattern);
  if (regex) {
    let compiled: RegExp;
    try {
      compiled = new RegExp(regex[1], regex[2]);
    } catch (error) {
      throw ApplicationFailure.nonRetryable(`labelPattern ${pattern} is not a valid regular expression: ${(error as Error).message}`, 'InvalidSelector');
    }
    return (label) => compiled.test(label);
  }
  return picomatch(pattern, { dot: true });
}

/** The selector applied to one cluster: the API already filtered, but a server that ignores X-Filter must not widen a fleet. */
function matches(selector: FleetSelector, cluster: LkeCluster, label: (l: string) => boolean): boolean {
  if (selector.clusterIds?.length && !selector.clusterIds.includes(cluster.id)) return false;
  if (selector.tags?.length && !selector.tags.some((tag) => cluster.tags.includes(tag))) return false;
  if (selector.regions?.length && !selector.regions.includes(cluster.region)) return false;
  return label(cluster.label);
}

function heartbeat(details?: unknown): void {
  // selectClusters is also called outside a worker (the API's preview); there is no context to beat then.
  try {
    Context.current().heartbeat(details);
  } catch {
    /* not in an activity */
  }
}

export async function selectClusters(linode: Pick<LinodePort, 'listClusters'>, selector: FleetSelector): Promise<SelectedCluster[]> {
  const label = selector.labelPattern ? labelMatcher(selector.labelPattern) : () => true;
  const filter = linodeFilterFor(selector);
  const found: SelectedCluster[] = [];
  for (let page = 1, pages = 1; page <= pages; page++) {
    const result = await linode.listClusters({ filter, page, pageSize: PAGE_SIZE });
    pages = result.pages;
    for (const cluster of result.data) {
      if (matches(selector, cluster, label)) {
        found.push({ id: cluster.id, label: cluster.label, region: cluster.region, k8sVersion: cluster.k8s_version });
      }
    }
    heartbeat({ page, pages });
  }
  if (selector.clusterIds?.length) {
    const missing = selector.clusterIds.filter((id) => !found.some((c) => c.id === id));
    if (missing.length) {
      throw ApplicationFailure.nonRetryable(
        `clusters ${missing.join(', ')} not found (or not matching the other criteria)`, 'ClustersNotFound');
    }
  }
  return found.sort((a, b) => a.id - b.id);
}

/** A rotation that ended without a report (failed, terminated, timed out, cancelled) as an outcome. */
function outcomeOfFailure(input: AwaitRotationInput, error: WorkflowFailedError): AwaitRotationResult {
  const cause = error.cause;
  const phase = cause instanceof CancelledFailure ? 'Cancelled' : 'Failed';
  const what = cause instanceof TerminatedFailure ? 'terminated'
    : cause instanceof TimeoutFailure ? 'timed out'
      : cause?.message ?? error.message;
  return { workflowId: input.workflowId, runId: input.runId ?? null, phase, error: `rotation ${what}` };
}

export function createFleetActivities(deps: FleetActivityDeps): FleetActivities {
  const heartbeatEveryMs = deps.heartbeatEveryMs ?? 10_000;
  return {
    selectClusters: (selector) => selectClusters(deps.linode, selector),

    async awaitRotation(input) {
      const context = Context.current();
      const client = deps.client ?? context.client;
      const handle = client.workflow.getHandle<(i: unknown) => Promise<RotationReport>>(input.workflowId, input.runId ?? undefined);
      // The wait is one long poll on the server; heartbeats only tell Temporal this worker is alive
      // and let a cancelled fleet stop the wait.
      const beat = setInterval(() => context.heartbeat(), heartbeatEveryMs);
      try {
        const report = await Promise.race([handle.result(), context.cancelled]);
        return { workflowId: input.workflowId, runId: input.runId ?? null, phase: report.phase };
      } catch (error) {
        if (error instanceof WorkflowFailedError) return outcomeOfFailure(input, error);
        // Retrying cannot make a rotation appear (expired from retention, or never started): the fleet counts it as failed.
        if (error instanceof WorkflowNotFoundError) {
          return { workflowId: input.workflowId, runId: input.runId ?? null, phase: 'Failed', error: 'rotation not found' };
        }
        throw error;
      } finally {
        clearInterval(beat);
      }
    },
  };
}
