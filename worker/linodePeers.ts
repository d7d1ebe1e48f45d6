// How many worker processes share the Linode budget, as Temporal sees them: the processes polling
// the Linode queue (DescribeTaskQueue's pollers, by identity). Each process keeps to its own part of
// the general limit, the share over this count (activities/linode/budget.ts), so the parts add up
// to the share even while Linode's replies name another bucket. Temporal lists a poller for minutes
// after it stopped, so a process that died still counts a while: the count errs on the safe side.
import type { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { PeerView } from '../activities/linode/budget.js';

const { TaskQueueKind, TaskQueueType } = proto.temporal.api.enums.v1;

export interface LinodePeerWatchOptions {
  connection: Connection;
  namespace: string;
  taskQueue: string;
  /** this process's worker identity on that queue: counted even before its first poll shows */
  identity: string;
  /** the account's general window: a peer is seen well within it */
  windowMs: number;
  onPeers(view: PeerView): void;
  onError?(err: unknown): void;
}

/** Often enough that a new peer is seen well within a window: a twelfth of it, but at least every 10 s and at most every 250 ms. */
export function peerWatchIntervalMs(windowMs: number): number {
  return Math.min(10_000, Math.max(250, Math.round(windowMs / 12)));
}

/** The identities polling `taskQueue` for activities, this one included. */
export async function linodePeers(connection: Connection, namespace: string, taskQueue: string, identity: string): Promise<number> {
  const response = await connection.workflowService.describeTaskQueue({
    namespace,
    taskQueue: { name: taskQueue, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType: TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
  });
  const identities = new Set((response.pollers ?? []).map((p) => p.identity).filter((id): id is string => typeof id === 'string' && id !== ''));
  identities.add(identity);
  return identities.size;
}

/** Tells the budget the peers now, then every interval until stopped; a failed look keeps the last count. */
export function watchLinodePeers(opts: LinodePeerWatchOptions): { stop(): void } {
  const noticeMs = peerWatchIntervalMs(opts.windowMs);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const look = async (): Promise<void> => {
    try {
      const peers = await linodePeers(opts.connection, opts.namespace, opts.taskQueue, opts.identity);
      if (!stopped) opts.onPeers({ peers, noticeMs });
    } catch (err) {
      opts.onError?.(err);
    }
    if (!stopped) timer = setTimeout(() => void look(), noticeMs);
  };
  void look();
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
