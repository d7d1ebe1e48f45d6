// Recycling nodes the way platform teams trust: cordon, drain through the Eviction API (which
// honours PodDisruptionBudgets), recycle through Linode, wait for the replacement Node to be Ready.
// One node, the batch that does a rotation's nodes in one heartbeating activity (history constant in
// their number), and the preview the recycle gate shows (docs/design.md, "Restarts and drains").
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { PreviewDrainInput, RecycleNodesInput } from '../../common/activities.js';
import type { KubeNodeRef, NodeDrainPreview, PoolNodeRef, RecycleBatchResult, RecycleResult } from '../../common/types.js';
import { FailureType } from '../../common/failures.js';
import { blockingBudgets, budgetCovers, budgetLabel, describeBudget, podLabel, sortPodsForDrain } from '../drain.js';
import type { KubePort, PodInfo } from '../ports.js';
import { done, notYet, resumed, type ActivityContext } from './context.js';

const DEFAULT_DRAIN_TIMEOUT_MS = 10 * 60_000;
const SHOWN = 10;

/** Where one node is, in heartbeat details: a retry continues there instead of starting over. */
export interface NodeProgress {
  /** 'sending': the recycle POST went out without a known answer; 'sent': Linode accepted it */
  recycle?: 'sending' | 'sent';
  sentAt?: number;
  /** when its drain began (epoch ms): the drain timeout counts across retries and crashes */
  drainStartedAt?: number;
  evicted?: number;
}

interface RecycleBatchProgress {
  attempts: number;
  done: Record<string, RecycleResult>;
  /** the node in hand and where it is */
  current?: { nodeId: string } & NodeProgress;
}

const shortList = (items: string[]): string =>
  items.length > SHOWN ? `${items.slice(0, SHOWN).join(', ')} and ${items.length - SHOWN} more` : items.join(', ');

const providerIdOf = (instanceId: number | null): string | null => (instanceId === null ? null : `linode://${instanceId}`);

/** The failure that names the node, so skip can leave out that node alone. */
function nodeFailure(type: string, message: string, nodeId: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, details: [{ item: nodeId }] });
}

/**
 * Recycles one node and waits for its replacement Node to be Ready; a node already on a new instance
 * is not recycled again. `progress.recycle` carries a POST whose answer was lost across retries.
 */
export async function recycleAndReplace(
  shared: ActivityContext, kube: KubePort, clusterId: number, node: PoolNodeRef,
  progress: { attempts: number }, state: NodeProgress, beat: () => void,
): Promise<Omit<RecycleResult, 'evicted'>> {
  const ctx = Context.current();
  const { linode } = shared;
  const oldInstanceId = node.instanceId;
  let skipped = false;
  const onNewInstance = (n: { instance_id: number | null; status: string }): n is { instance_id: number; status: 'ready' } =>
    n.instance_id !== null && n.instance_id !== oldInstanceId && n.status === 'ready';
  const sendRecycle = async (): Promise<void> => {
    state.recycle = 'sending';
    state.sentAt = Date.now();
    beat();
    await linode.recycleNode(clusterId, node.nodeId);
    state.recycle = 'sent';
    beat();
    ctx.log.info('node recycle requested', { clusterId, nodeId: node.nodeId, oldInstanceId });
  };

  const initial = await linode.getNode(clusterId, node.nodeId);
  const startedAt = Date.now();
  if (state.recycle === undefined) {
    if (onNewInstance(initial)) {
      skipped = true;
      ctx.log.info('node already on a new instance; not recycling again', { clusterId, nodeId: node.nodeId });
    } else if (initial.instance_id === oldInstanceId) {
      await sendRecycle();
      // LKE takes minutes to replace a node: polling it before then only spends the Linode budget
      await shared.pause(shared.settings.nodeRecycleDelayMs, beat);
    }
    // else: instance gone or not ready on a new one: a recycle from an earlier attempt is under way
  }

  const newInstanceId = await shared.waitFor(`cluster ${clusterId}: recycle of node ${node.nodeId}`, FailureType.recycleNotDone, progress, async () => {
    const current = await linode.getNode(clusterId, node.nodeId);
    if (!onNewInstance(current)) {
      const unanswered = state.recycle === 'sending' && current.instance_id === oldInstanceId &&
        Date.now() - (state.sentAt ?? 0) > shared.settings.recycleResendAfterMs;
      if (unanswered) await sendRecycle();
      return notYet(`Linode node is ${current.status} on instance ${current.instance_id ?? 'none'}`);
    }
    const providerID = providerIdOf(current.instance_id);
    const replacement = (await kube.listNodes()).find((n) => n.providerID === providerID);
    if (!replacement) return notYet(`no Kubernetes Node with providerID ${providerID} yet`);
    return replacement.ready ? done(current.instance_id) : notYet(`Node ${replacement.name} is not Ready`);
  }, { pauseAfter: shared.linodeBackoff, startedAt });
  ctx.log.info('node replaced', { clusterId, nodeId: node.nodeId, oldInstanceId, newInstanceId, skipped });
  return { nodeId: node.nodeId, oldInstanceId, newInstanceId, skipped };
}

/**
 * kubectl drain --ignore-daemonsets --delete-emptydir-data: cordon, then evict until no pod that
 * must go is left. A 429 (a budget allows no disruption now) is retried on the next poll; past the
 * timeout the node fails DrainTimedOut, naming the pods and budgets that hold it. Evicted pods are
 * gone from the node, so a retry never evicts the same pods twice.
 */
async function drain(
  shared: ActivityContext, kube: KubePort, clusterId: number, node: PoolNodeRef, nodeName: string, nodes: KubeNodeRef[],
  input: RecycleNodesInput, progress: { attempts: number }, state: NodeProgress, beat: () => void,
): Promise<void> {
  const ctx = Context.current();
  const evictUnmanaged = input.evictUnmanagedPods === true;
  const { evict, unmanaged } = sortPodsForDrain(await kube.listPodsOnNode(nodeName), evictUnmanaged);
  if (unmanaged.length) {
    // refused before the cordon: a node that will not be drained keeps serving
    throw nodeFailure(FailureType.unmanagedPods, `cluster ${clusterId}: node ${node.nodeId} (${nodeName}) runs pods no controller ` +
      `would recreate: ${shortList(unmanaged.map(podLabel))}; allow recycle.evictUnmanagedPods, move them, or skip this node`, node.nodeId);
  }
  await assertRoomToDrain(kube, clusterId, node, nodeName, evict, nodes);
  await kube.cordonNode(nodeName);
  state.drainStartedAt ??= Date.now();
  state.evicted ??= 0;
  beat();
  ctx.log.info('node cordoned; draining', { clusterId, nodeId: node.nodeId, nodeName });
  const timeoutMs = input.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
  await shared.waitFor(`cluster ${clusterId}: drain of ${nodeName}`, FailureType.drainTimedOut, progress, async () => {
    const { evict } = sortPodsForDrain(await kube.listPodsOnNode(nodeName), evictUnmanaged);
    if (!evict.length) return done(true);
    const blocked: string[] = [];
    for (const pod of evict) {
      const answer = await kube.evictPod(pod.namespace, pod.name);
      if (answer.outcome === 'evicted') state.evicted = (state.evicted ?? 0) + 1;
      if (answer.outcome === 'blocked') blocked.push(podLabel(pod));
    }
    beat();
    const why = `${evict.length} pods still on ${nodeName}${blocked.length ? `; evictions refused for ${shortList(blocked)}` : ''}`;
    return notYet(why, async () => {
      const left = sortPodsForDrain(await kube.listPodsOnNode(nodeName), evictUnmanaged).evict;
      const budgets = blockingBudgets(left, await kube.listDisruptionBudgets()).map(describeBudget);
      return nodeFailure(FailureType.drainTimedOut,
        `cluster ${clusterId}: drain of node ${node.nodeId} (${nodeName}) did not finish in ${Math.round(timeoutMs / 1000)} s: ` +
        `pods still on it: ${shortList(left.map(podLabel)) || 'none'}` +
        (budgets.length ? `; held by PodDisruptionBudgets allowing no disruption: ${shortList(budgets)}` : '') +
        '; retry, skip this node, or abort', node.nodeId);
    });
  }, { until: state.drainStartedAt + timeoutMs });
  ctx.log.info('node drained', { clusterId, nodeId: node.nodeId, nodeName, evicted: state.evicted });
}

/**
 * A drain whose evicted pods have no other schedulable Ready node to go to cannot get past a budget:
 * the first eviction spends the disruption and its replacement never becomes Ready (kubectl would
 * wait forever). Said at once, before the cordon, instead of after the drain timeout.
 */
async function assertRoomToDrain(
  kube: KubePort, clusterId: number, node: PoolNodeRef, nodeName: string, evict: PodInfo[], nodes: KubeNodeRef[],
): Promise<void> {
  if (!evict.length) return;
  const elsewhere = nodes.filter((n) => n.name !== nodeName && n.ready && !n.unschedulable);
  if (elsewhere.length) return;
  const guarded = (await kube.listDisruptionBudgets()).filter((b) => evict.some((p) => budgetCovers(b, p)));
  if (!guarded.length) return;
  throw nodeFailure(FailureType.noRoomToDrain, `cluster ${clusterId}: node ${node.nodeId} (${nodeName}) is the only schedulable Ready ` +
    `node, so the pods under ${shortList(guarded.map(budgetLabel))} have nowhere to go and the drain cannot finish; add a node and ` +
    'retry, skip this node (it is not recycled), or abort', node.nodeId);
}

/** One node: drained unless already recycled (or its recycle already sent), then recycled and replaced. */
async function drainAndRecycle(
  shared: ActivityContext, kube: KubePort, clusterId: number, node: PoolNodeRef, input: RecycleNodesInput,
  progress: { attempts: number }, state: NodeProgress, beat: () => void,
): Promise<RecycleResult> {
  if (state.recycle === undefined) {
    const linodeNode = await shared.linode.getNode(clusterId, node.nodeId);
    // still on the instance the plan names: drain it first (a node on a new instance is never drained again)
    if (linodeNode.instance_id === node.instanceId && node.instanceId !== null) {
      // one read of the Nodes serves both: which one to drain, and whether another could take its pods
      const nodes = await kube.listNodes();
      const kubeNode = nodes.find((n) => n.providerID === providerIdOf(node.instanceId));
      if (kubeNode) await drain(shared, kube, clusterId, node, kubeNode.name, nodes, input, progress, state, beat);
    }
  }
  const result = await recycleAndReplace(shared, kube, clusterId, node, progress, state, beat);
  return { ...result, evicted: state.evicted ?? 0 };
}

/** The nodes one at a time (as LKE recycles them anyway); a cancel ends it between nodes with what it did. */
export async function recycleBatch(shared: ActivityContext, input: RecycleNodesInput): Promise<RecycleBatchResult> {
  const ctx = Context.current();
  const { clusterId, nodes } = input;
  const progress = resumed<RecycleBatchProgress>({ attempts: 0, done: {} });
  let interrupted = false;
  ctx.cancelled.catch(() => { interrupted = true; });
  const beat = () => ctx.heartbeat({ attempts: progress.attempts, done: { ...progress.done }, ...(progress.current ? { current: { ...progress.current } } : {}) });
  const kube = shared.deps.kube(await shared.currentKubeconfig(clusterId));
  try {
    for (const node of nodes) {
      if (interrupted) break;
      if (progress.done[node.nodeId]) continue;
      if (progress.current?.nodeId !== node.nodeId) progress.current = { nodeId: node.nodeId };
      const state = progress.current;
      beat();
      progress.done[node.nodeId] = await drainAndRecycle(shared, kube, clusterId, node, input, progress, state, beat);
      progress.current = undefined;
      beat();
    }
  } catch (err) {
    // stopped on purpose: recycled nodes are kept; a node in hand is left as it is (cordoned, or on its way
    // to a new instance) and its next recycle continues from what it finds
    if (!interrupted) throw err;
  }
  const recycled = nodes.filter((n) => progress.done[n.nodeId]).map((n) => progress.done[n.nodeId]);
  ctx.log.info('node batch ended', { clusterId, recycled: recycled.length, of: nodes.length, interrupted });
  return { recycled, interrupted };
}

/** What each node's drain would evict now, and which budgets would hold it: for the recycle gate. */
export async function previewDrains(shared: ActivityContext, { clusterId, nodes }: PreviewDrainInput): Promise<NodeDrainPreview[]> {
  const kube = shared.deps.kube(await shared.currentKubeconfig(clusterId));
  const [kubeNodes, budgets] = await Promise.all([kube.listNodes(), kube.listDisruptionBudgets()]);
  const previews: NodeDrainPreview[] = [];
  for (const node of nodes) {
    const kubeNode = kubeNodes.find((n) => n.providerID === providerIdOf(node.instanceId));
    if (!kubeNode) {
      previews.push({ nodeId: node.nodeId, nodeName: null, evict: [], unmanaged: [], blockingBudgets: [] });
      continue;
    }
    const pods = await kube.listPodsOnNode(kubeNode.name);
    const { evict, unmanaged } = sortPodsForDrain(pods, false);
    previews.push({
      nodeId: node.nodeId, nodeName: kubeNode.name, evict: evict.map(podLabel), unmanaged: unmanaged.map(podLabel),
      blockingBudgets: blockingBudgets([...evict, ...unmanaged], budgets).map(describeBudget),
    });
  }
  return previews;
}
