// Each activity's Linode requests, by endpoint, go back to its workflow with its result
// (`linodeCalls`), so a rotation's report says what the rotation cost of the account's budget,
// whichever worker processes ran its steps. Only object results carry it, and only when the
// activity made a Linode request; the requests of attempts that failed are in the worker's metrics
// (lke_rotator_api_calls_total), not in the report.
//
// It also gives the Linode adapter a keep-alive: a request that waits for the budget (up to a
// window's reset, two minutes) heartbeats again with the activity's latest details, so the wait is
// not taken for a dead worker and its progress is kept.
import type { Context } from '@temporalio/activity';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, ActivityInterceptors, Next } from '@temporalio/worker';
import { countingLinodeCalls } from '../activities/linode/callCount.js';

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;

class LinodeCallCounter implements ActivityInboundCallsInterceptor {
  constructor(private readonly ctx: Context) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const { ctx } = this;
    const send = ctx.heartbeat;
    // until this attempt heartbeats, the previous attempt's details are the ones to keep
    let latest: unknown = ctx.info.heartbeatDetails;
    // the SDK declares it read-only, but it is the context's own field, set per execution
    (ctx as { heartbeat: (details?: unknown) => void }).heartbeat = (details?: unknown) => {
      latest = details;
      send(details);
    };
    const { result, counts } = await countingLinodeCalls(() => next(input), () => send(latest));
    if (Object.keys(counts).length === 0 || !isPlainObject(result)) return result;
    return { ...result, linodeCalls: counts };
  }
}

export const linodeCallCounts = (ctx: Context): ActivityInterceptors => ({ inbound: new LinodeCallCounter(ctx) });
