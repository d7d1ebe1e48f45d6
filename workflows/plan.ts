// What a rotation will do, derived from the snapshot and the input, and how it is shown to humans
// (Temporal Web current details, static details).
import { isUserOwned } from '../common/lke.js';
import { clusterRotationWorkflowId } from '../common/names.js';
import { gateSignalHelp, lastRefusalLine } from './signalHelp.js';
import type {
  ClusterRotationInput, ClusterSnapshot, NodeDrainPreview, PoolNodeRef, RotationPlan, RotationStatus, TokenSecretRef, WorkloadRef,
} from '../common/types.js';

/**
 * `rollForwardUngated`: a roll-forward plan has no beforeDelete gate (set by the workflow behind a
 * patch, workflows/clusterRotation/patches.ts): the cluster has no working credential left to delete.
 */
export function buildPlan(snapshot: ClusterSnapshot, input: ClusterRotationInput, rollForwardUngated = false): RotationPlan {
  const scope = input.restart?.scope ?? 'none';
  const rolling = input.recycle?.mode === 'rolling';
  const recreateSecrets = snapshot.tokenSecrets.filter(isUserOwned);
  return {
    deleteSecrets: snapshot.tokenSecrets,
    // only when there are some: plans of clusters with LKE's Secrets alone look as they always did
    ...(recreateSecrets.length ? { recreateSecrets } : {}),
    restartWorkloads: scope === 'none' ? [] : snapshot.workloads,
    recycleNodes: rolling ? snapshot.poolNodes : [],
    gates: {
      beforeDelete: input.approvals?.beforeDelete !== false && !(rollForwardUngated && snapshot.credentials),
      beforeRecycle: rolling && input.approvals?.beforeRecycle !== false,
    },
    ...(snapshot.credentials ? { rollForward: ROLL_FORWARD[snapshot.credentials] } : {}),
  };
}

/** Why a rotation on a cluster without working credentials does not delete and verify as usual. */
export const ROLL_FORWARD_REJECTED = 'the current kubeconfig is rejected (401): rolling forward: regenerate, await, verify, ' +
  'deliver (no token Secret to delete; nodes and workloads could not be read, so nothing is restarted)';
export const ROLL_FORWARD_REGENERATING = 'a regeneration is under way (the Linode API answers 503 for the kubeconfig): ' +
  'rolling forward: await, verify, deliver (no token Secret to delete, no regenerate of its own; nodes and workloads ' +
  'could not be read, so nothing is restarted)';
const ROLL_FORWARD: Record<NonNullable<ClusterSnapshot['credentials']>, string> = {
  rejected: ROLL_FORWARD_REJECTED,
  regenerating: ROLL_FORWARD_REGENERATING,
};

export const tokenSecretLabel = (t: TokenSecretRef): string => `${t.name} (${t.serviceAccount})`;

/** What verify proved about the old admin token, in words: never "verified" when it was not proven. */
export function oldCredentialsLabel(s: Pick<RotationStatus, 'oldCredentials'>): string | null {
  if (s.oldCredentials === 'rejected') return 'old admin token rejected (verified)';
  if (s.oldCredentials === 'notProven') return 'old admin token rejection **not proven**: the old kubeconfig was not at hand';
  return null;
}

export const workloadLabel = (w: WorkloadRef): string => `${w.kind} ${w.namespace}/${w.name}`;
export const nodeLabel = (n: PoolNodeRef): string => `node ${n.nodeId} (pool ${n.poolId}, instance ${n.instanceId ?? 'none'})`;
export const sameWorkload = (a: WorkloadRef, b: WorkloadRef): boolean =>
  a.kind === b.kind && a.namespace === b.namespace && a.name === b.name;

/** A node's drain preview in one line: what it evicts and what would hold it. */
function drainLine(drain: NodeDrainPreview[] | undefined, nodeId: string): string {
  const d = drain?.find((x) => x.nodeId === nodeId);
  if (!d) return '';
  const held = [...d.blockingBudgets.map((b) => `**budget allows no disruption:** ${b}`), ...d.unmanaged.map((p) => `**unmanaged pod:** ${p}`)];
  const evicts = d.evict.length ? `evicts ${d.evict.length}: ${d.evict.slice(0, 8).join(', ')}${d.evict.length > 8 ? ', …' : ''}` : 'evicts nothing';
  return ` — ${d.nodeName ?? 'no Kubernetes Node'}: ${evicts}${held.length ? `; ${held.join('; ')}` : ''}`;
}

export function rotationSummary(clusterId: number, region?: string | null): string {
  return `Rotate LKE cluster ${clusterId}${region ? ` (${region})` : ''}`;
}

const LIST_LIMIT = 20;

function bulletList(items: string[]): string {
  const shown = items.slice(0, LIST_LIMIT).map((i) => `- ${i}`);
  if (items.length > LIST_LIMIT) shown.push(`- … and ${items.length - LIST_LIMIT} more`);
  return shown.length ? shown.join('\n') : '- (none)';
}

/**
 * Markdown for Temporal Web's "current details": the plan and where the run is; at a gate, who
 * requested it and the Signal that answers it (`workflowId`: the run's, for the command line).
 */
export function currentDetailsMarkdown(s: RotationStatus, workflowId = clusterRotationWorkflowId(s.clusterId)): string {
  const lines = [
    `### ${rotationSummary(s.clusterId, s.region)}${s.label ? ` — ${s.label}` : ''}`,
    `**Phase:** ${s.phase}${s.paused ? ' (paused)' : ''}${s.step ? ` · step \`${s.step}\`` : ''}` +
      ` · requested by ${s.requestedBy}${s.dryRun ? ' · **dry run**' : ''}`,
  ];
  if (s.pausePending) lines.push('**Pause pending:** takes effect after the new kubeconfig is delivered');
  if (s.autoRetryAt && s.phase === 'Blocked') {
    lines.push(`**Retrying automatically at ${s.autoRetryAt}:** the cluster has no working credentials until this step succeeds`);
  }
  if (s.pendingGate) {
    lines.push(`**Waiting for approval** (${s.pendingGate.gate}) until ${s.pendingGate.timeoutAt}`, '',
      ...gateSignalHelp(workflowId, s.requestedBy), '');
  }
  lines.push(...lastRefusalLine(s.refusedSignals));
  if (s.lastError && s.phase === 'Blocked') {
    lines.push(`**Blocked** at \`${s.lastError.step}\`: ${s.lastError.type}: ${s.lastError.message}`,
      'Send `retry`, `skip` (where safe) or `abort`.');
  }
  const p = s.progress;
  lines.push('', `| tokens deleted | workloads restarted | nodes recycled |`, '|---|---|---|',
    `| ${p.tokensDeleted}/${p.tokensTotal} | ${p.workloadsRestarted}/${p.workloadsTotal} | ${p.nodesRecycled}/${p.nodesTotal} |`);
  lines.push('', `**Done:** ${s.completedSteps.join(', ') || '—'}`);
  if (s.skippedSteps.length) lines.push(`**Skipped:** ${s.skippedSteps.join(', ')}`);
  if (s.approvals.length) {
    lines.push(`**Approvals:** ${s.approvals.map((a) => `${a.gate} by ${a.by} at ${a.at}`).join('; ')}`);
  }
  const oldCredentials = oldCredentialsLabel(s);
  if (oldCredentials) lines.push(`**Old credentials:** ${oldCredentials}`);
  if (s.skippedTokenSecrets?.length) lines.push(`**Skipped token Secrets (not renewed):** ${s.skippedTokenSecrets.join(', ')}`);
  if (s.plan) {
    const userOwned = s.plan.deleteSecrets.filter(isUserOwned);
    const lkes = s.plan.deleteSecrets.filter((t) => !isUserOwned(t));
    lines.push('', '#### Plan');
    if (s.plan.rollForward) lines.push(`**Roll forward:** ${s.plan.rollForward}`);
    lines.push(`**Delete LKE-managed token Secrets (kube-system)** — the regenerate replaces them`,
      bulletList(lkes.map(tokenSecretLabel)));
    if (userOwned.length) {
      lines.push('**Delete and recreate user-owned token Secrets (kube-system)** — same name, labels and annotations, new token',
        bulletList(userOwned.map(tokenSecretLabel)));
    }
    lines.push('**Restart workloads**', bulletList(s.plan.restartWorkloads.map((w) => workloadLabel(w) + (w.uses?.length ? ` — uses ${w.uses.join(', ')}` : ''))),
      '**Recycle nodes** (each cordoned and drained first)', bulletList(s.plan.recycleNodes.map((n) => nodeLabel(n) + drainLine(s.plan?.drain, n.nodeId))));
  }
  if (s.phase === 'RestartingWorkloads' || s.phase === 'RecyclingNodes') {
    lines.push('', '_Live per-item progress: the running batch activity\'s heartbeat details (Pending Activities)._');
  }
  return lines.join('\n');
}
