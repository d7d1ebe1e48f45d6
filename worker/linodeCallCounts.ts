// Each activity's Linode requests, by endpoint, go back to its workflow with its result
// (`linodeCalls`), so a rotation's report says what the rotation cost of the account's budget,
// whichever worker processes ran its steps. Only object results carry it, and only when the
// activity made a Linode request; the requests of attempts that failed are in the worker's metrics
// (lke_rotator_api_calls_total), not in the report.
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, ActivityInterceptors, Next } from '@temporalio/worker';
import { countingLinodeCalls } from '../activities/linode/callCount.js';

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;

class LinodeCallCounter implements ActivityInboundCallsInterceptor {
  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const { result, counts } = await countingLinodeCalls(() => next(input));
    if (Object.keys(counts).length === 0 || !isPlainObject(result)) return result;
    return { ...result, linodeCalls: counts };
  }
}

export const linodeCallCounts = (): ActivityInterceptors => ({ inbound: new LinodeCallCounter() });
