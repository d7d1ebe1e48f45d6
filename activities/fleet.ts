// Fleet rotation's activities (contract: common/fleetActivities.ts): choosing the clusters through
// the Linode API, looking at rotations the fleet follows without a child handle, and a stage's
// health during its soak (activities/stageHealth.ts).
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import { InvalidLabelPatternError, labelMatcher } from '../common/labelPattern.js';
import type { FleetActivities, RotationOutcome, RotationRef } from '../common/fleetActivities.js';
import type { RotationPhase } from '../common/names.js';
import type { FleetSelector, LkeCluster, RotationReport, SelectedCluster } from '../common/types.js';
import type { ClusterCriteria, KubePortFactory, LinodePort } from './ports.js';
import { checkStageHealth } from './stageHealth.js';

export interface FleetActivityDeps {
  linode: Pick<LinodePort, 'listClusters' | 'getKubeconfig'>;
  /** the soak's health check reads each cluster through it, with the kubeconfig the Linode API serves */
  kube: KubePortFactory;
  /** defaults to the worker's own client (Context.current().client) */
  client?: Client;
}

/** The Linode API's largest page: a thousand clusters take two calls. */
const PAGE_SIZE = 500;

/** The label test; a pattern the API would have refused (a run started from the Temporal CLI) fails the fleet for good. */
function labelMatcherOrFail(pattern: string): (label: string) => boolean {
  try {
    return labelMatcher(pattern);
  } catch (error) {
    if (error instanceof InvalidLabelPatternError) throw ApplicationFailure.nonRetryable(error.message, 'InvalidSelector');
    throw error;
  }
}

/** The selector applied to one cluster: the API already filtered, but a server that ignores the filter must not widen a fleet. */
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
  const label = selector.labelPattern ? labelMatcherOrFail(selector.labelPattern) : () => true;
  // the Linode API filters on tags and regions itself; ids and the label pattern are applied below
  const where: ClusterCriteria = { tags: selector.tags, regions: selector.regions };
  const found: SelectedCluster[] = [];
  for (let page = 1, pages = 1; page <= pages; page++) {
    const result = await linode.listClusters({ where, page, pageSize: PAGE_SIZE });
    pages = result.pages;
    for (const cluster of result.data) {
      if (matches(selector, cluster, label)) {
        found.push({ id: cluster.id, label: cluster.label, region: cluster.region, k8sVersion: cluster.k8s_version, tags: cluster.tags });
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

/** The outcome of a closed rotation run, or null while it runs. */
async function outcomeOf(client: Client, ref: RotationRef): Promise<RotationOutcome | null> {
  let handle = client.workflow.getHandle<(i: unknown) => Promise<RotationReport>>(ref.workflowId, ref.runId ?? undefined);
  let { status } = await handle.describe();
  if (status.name === 'CONTINUED_AS_NEW') {
    handle = client.workflow.getHandle(ref.workflowId);
    ({ status } = await handle.describe());
  }
  const ended = (phase: RotationPhase, error?: string): RotationOutcome =>
    ({ workflowId: ref.workflowId, phase, ...(error ? { error } : {}) });
  switch (status.name) {
    case 'RUNNING':
    case 'CONTINUED_AS_NEW':
      return null;
    case 'COMPLETED':
      return ended((await handle.result()).phase);
    case 'CANCELLED':
      return ended('Cancelled', 'rotation cancelled');
    case 'TERMINATED':
      return ended('Failed', 'rotation terminated');
    case 'TIMED_OUT':
      return ended('Failed', 'rotation timed out');
    default:
      return ended('Failed', `rotation ${status.name.toLowerCase()}`);
  }
}

export function createFleetActivities(deps: FleetActivityDeps): FleetActivities {
  return {
    selectClusters: (selector) => selectClusters(deps.linode, selector),

    async checkRotations(refs) {
      const client = deps.client ?? Context.current().client;
      const outcomes: RotationOutcome[] = [];
      for (const ref of refs) {
        try {
          const outcome = await outcomeOf(client, ref);
          if (outcome) outcomes.push(outcome);
        } catch (error) {
          // Waiting cannot make a rotation appear (expired from retention, or never started): count it as failed.
          if (!(error instanceof WorkflowNotFoundError)) throw error;
          outcomes.push({ workflowId: ref.workflowId, phase: 'Failed', error: 'rotation not found' });
        }
        heartbeat();
      }
      return outcomes;
    },

    checkStageHealth: (input) => checkStageHealth({ linode: deps.linode, kube: deps.kube, client: deps.client }, input),
  };
}
