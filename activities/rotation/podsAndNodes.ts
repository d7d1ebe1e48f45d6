// The runbook's last steps: restart workloads (kubectl rollout restart) and recycle nodes.
import { Context } from '@temporalio/activity';
import type { RecycleNodeInput, RestartWorkloadInput, RotationActivities } from '../../common/activities.js';
import type { RecycleResult, RestartResult } from '../../common/types.js';
import { FailureType } from '../../common/failures.js';
import { nonRetryable } from '../errors.js';
import { rolloutStatus } from '../rollout.js';
import { done, notYet, resumed, type ActivityContext } from './context.js';

interface RestartProgress { attempts: number; patched: boolean }
interface RecycleProgress {
  attempts: number;
  /** 'sending': the POST went out without a known answer; 'sent': Linode accepted it */
  recycle?: 'sending' | 'sent';
  sentAt?: number;
}



export function createPodAndNodeActivities(shared: ActivityContext): Pick<RotationActivities, 'restartWorkload' | 'recycleNode'> {
  const { deps, linode, waitFor, currentKubeconfig } = shared;
  const { recycleResendAfterMs } = shared.settings;
  return {
    async restartWorkload({ clusterId, workload, restartedAt }: RestartWorkloadInput): Promise<RestartResult> {
      const log = Context.current().log;
      const kube = deps.kube(await currentKubeconfig(clusterId));
      const id = `${workload.kind} ${workload.namespace}/${workload.name}`;
      const progress = resumed<RestartProgress>({ attempts: 0, patched: false });
      const state = await kube.getWorkload(workload);
      if (state.restartedAt !== restartedAt) {
        // kubectl refuses to restart a paused Deployment: the new template would never roll out
        if (state.kind === 'Deployment' && state.paused) {
          throw nonRetryable(FailureType.deploymentPaused, `${id} in cluster ${clusterId} is paused; resume it or skip the restart`);
        }
        await kube.patchRestartedAt(workload, restartedAt);
        progress.patched = true;
        Context.current().heartbeat({ ...progress });
        log.info('workload restart requested', { clusterId, workload: id, restartedAt });
      }
      await waitFor(`cluster ${clusterId}: rollout of ${id}`, FailureType.rolloutNotDone, progress, async () => {
        const status = rolloutStatus(await kube.getWorkload(workload));
        if (status.state === 'failed') throw nonRetryable(FailureType.rolloutFailed, `cluster ${clusterId}: ${status.message}`);
        return status.state === 'done' ? done(true) : notYet(status.message);
      });
      log.info('workload rolled out', { clusterId, workload: id, patched: progress.patched });
      return { workload, patched: progress.patched };
    },

    async recycleNode({ clusterId, node }: RecycleNodeInput): Promise<RecycleResult> {
      const ctx = Context.current();
      const oldInstanceId = node.instanceId;
      const kube = deps.kube(await currentKubeconfig(clusterId));
      const progress = resumed<RecycleProgress>({ attempts: 0 });
      let skipped = false;

      const onNewInstance = (n: { instance_id: number | null; status: string }): n is { instance_id: number; status: 'ready' } =>
        n.instance_id !== null && n.instance_id !== oldInstanceId && n.status === 'ready';

      const sendRecycle = async (): Promise<void> => {
        progress.recycle = 'sending';
        progress.sentAt = Date.now();
        ctx.heartbeat({ ...progress });
        await linode.recycleNode(clusterId, node.nodeId);
        progress.recycle = 'sent';
        ctx.heartbeat({ ...progress });
        ctx.log.info('node recycle requested', { clusterId, nodeId: node.nodeId, oldInstanceId });
      };

      const initial = await linode.getNode(clusterId, node.nodeId);
      if (progress.recycle === undefined) {
        if (onNewInstance(initial)) {
          skipped = true;
          ctx.log.info('node already on a new instance; not recycling again', { clusterId, nodeId: node.nodeId });
        } else if (initial.instance_id === oldInstanceId) {
          await sendRecycle();
        }
        // else: instance gone or not ready on a new one: a recycle from an earlier attempt is under way
      }

      const newInstanceId = await waitFor(`cluster ${clusterId}: recycle of node ${node.nodeId}`, FailureType.recycleNotDone, progress, async () => {
        const current = await linode.getNode(clusterId, node.nodeId);
        if (!onNewInstance(current)) {
          const unanswered = progress.recycle === 'sending' && current.instance_id === oldInstanceId &&
            Date.now() - (progress.sentAt ?? 0) > recycleResendAfterMs;
          if (unanswered) await sendRecycle();
          return notYet(`Linode node is ${current.status} on instance ${current.instance_id ?? 'none'}`);
        }
        const providerID = `linode://${current.instance_id}`;
        const replacement = (await kube.listNodes()).find((n) => n.providerID === providerID);
        if (!replacement) return notYet(`no Kubernetes Node with providerID ${providerID} yet`);
        return replacement.ready ? done(current.instance_id) : notYet(`Node ${replacement.name} is not Ready`);
      });
      ctx.log.info('node replaced', { clusterId, nodeId: node.nodeId, oldInstanceId, newInstanceId, skipped });
      return { nodeId: node.nodeId, oldInstanceId, newInstanceId, skipped };
    },
  };
}
