// The patch ids of clusterRotation: each marks a change in the commands the workflow emits, so runs
// recorded before it replay on the old path (`patched()` from @temporalio/workflow). Never rename
// one: histories in flight carry these names as markers.

/** A pause inside the credential window waits for delivery instead of holding the window open. */
export const PAUSE_PENDING_IN_WINDOW = 'window-pause-pending';
/** A step Blocked inside the credential window retries on its own after a backoff (a timer). */
export const AUTO_RETRY_IN_WINDOW = 'window-blocked-auto-retry';
/** A 401 on the new kubeconfig in verify or deliver goes back to awaiting a fresh one. */
export const SUPERSEDED_KUBECONFIG = 'window-superseded-kubeconfig';
/**
 * A cluster the snapshot finds without working credentials (401, or a regeneration under way) is
 * inside the credential window from the snapshot on: no beforeDelete gate (nothing working is
 * deleted), and a stop rolls forward instead of ending the run.
 */
export const ROLL_FORWARD_FROM_SNAPSHOT = 'roll-forward-from-snapshot';
/**
 * The controls are also Signals (both workflows): before, a Signal named like a control had no
 * handler and did nothing. Asked when such a Signal arrives.
 */
export const SIGNAL_CONTROLS = 'controls-as-signals';
/** The cluster's label and region in the memo, set after the snapshot. */
export const CLUSTER_MEMO = 'cluster-memo';
/** A fleet's children start with static details (Temporal Web), not only a summary. */
export const CHILD_STATIC_DETAILS = 'fleet-child-static-details';
/** Each approval is written to the memo, so a resume finds approvals sent as Signals too. */
export const APPROVALS_IN_MEMO = 'approvals-in-memo';
/**
 * Restarts and recycles run as two heartbeating batch activities (restartWorkloads, recycleNodes)
 * instead of one activity per workload or node, so history stays constant in cluster size; nodes are
 * cordoned and drained before their recycle, and the recycle gate shows a drain preview.
 */
export const BATCHED_NODE_WORK = 'batched-restarts-and-drained-recycles';
/** A rotation started without a restart option restarts the workloads that use its token Secrets ('affected'). */
export const AFFECTED_RESTART_DEFAULT = 'affected-restart-default';
/**
 * Webhook notifications (workflows/notifications.ts), both workflows: asked once at start and only
 * by runs whose input says `notify: true`, so runs without a webhook carry no marker and no event.
 */
export const WEBHOOK_NOTIFICATIONS = 'webhook-notifications';
