// Documents the shared error body on a route's error statuses, for the OpenAPI document.
import { ErrorResponse } from '../errors.js';

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input; `field` names the bad field',
  401: 'Missing or unknown bearer token',
  403: 'The caller lacks the role, or the four-eyes rule forbids it',
  404: 'Not found',
  409: 'Conflicts with the current state; the message says why',
  413: 'Body larger than the limit',
  415: 'Body is not JSON',
  503: 'A dependency is unavailable',
};

export function errorResponses(...statuses: number[]): Record<number, typeof ErrorResponse> {
  return Object.fromEntries(statuses.map((s) => [s, { ...ErrorResponse, description: DESCRIPTIONS[s] }]));
}
