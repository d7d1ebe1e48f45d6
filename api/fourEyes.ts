// The four-eyes rule: whoever requested a rotation (single or fleet) may not approve it.
import { ApiError } from './errors.js';

/** requestedBy null: the status could not be read, so the rule cannot be checked; refuse rather than guess. */
export function assertNotOwnRequest(caller: string, requestedBy: string | null): void {
  if (requestedBy === null) {
    throw new ApiError('unavailable', 'the status cannot be read to check who requested it; try again');
  }
  if (requestedBy === caller) {
    throw new ApiError('forbidden', `four-eyes rule: '${caller}' requested this rotation and cannot approve it`);
  }
}
