// How often a Schedule may start a fleet rotation: at most once an hour. A rotation cuts every
// credential of the cluster; a schedule that fires faster than an hour is a mistake, not a policy.
import { msToNumber, type Duration } from '@temporalio/common';
import { ApiError } from './errors.js';

export const MIN_SCHEDULE_INTERVAL_MS = 60 * 60 * 1000;

export type ScheduleTiming = { every: string } | { cron: string };

/**
 * `every` must be one hour or more. A five-field cron fires at most once an hour exactly when its
 * minute field is one number (0-59): a list, range or step there fires several times each hour.
 */
export function assertHourlyAtMost(timing: ScheduleTiming): void {
  if ('every' in timing) {
    const ms = msToNumber(timing.every as Duration);
    if (!(ms >= MIN_SCHEDULE_INTERVAL_MS)) {
      throw new ApiError('invalid_request', `timing.every is ${timing.every}: schedules run at most once an hour (every >= 1h)`, 'timing.every');
    }
    return;
  }
  const minute = timing.cron.trim().split(/\s+/)[0];
  if (!/^([0-9]|[1-5][0-9])$/.test(minute)) {
    throw new ApiError('invalid_request',
      `timing.cron '${timing.cron}' may fire more often than hourly: schedules run at most once an hour, so the minute field must be one number (0-59)`,
      'timing.cron');
  }
}
