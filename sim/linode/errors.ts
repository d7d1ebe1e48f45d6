// Linode's error shape: `{"errors":[{"reason": "...", "field"?: "..."}]}`, whatever the status.
import type { LinodeErrorBody } from '../../common/types.js';

export class LinodeApiError extends Error {
  constructor(readonly status: number, readonly reason: string, readonly field?: string) {
    super(reason);
  }

  body(): LinodeErrorBody {
    return { errors: [this.field === undefined ? { reason: this.reason } : { reason: this.reason, field: this.field }] };
  }
}

// The reasons Linode sends with these statuses (401/404/429 as observed; the others as generic).
const REASONS: Record<number, string> = {
  400: 'Bad request',
  401: 'Invalid Token',
  403: 'Unauthorized',
  404: 'Not found',
  405: 'Method Not Allowed',
  408: 'Request timeout',
  413: 'Request entity too large',
  429: 'Too many requests',
  500: 'Internal server error',
  502: 'Bad gateway',
  503: 'Service unavailable',
  504: 'Gateway timeout',
};

export function reasonFor(status: number): string {
  return REASONS[status] ?? `Error ${status}`;
}

export const KUBECONFIG_NOT_READY = 'Cluster kubeconfig is not yet available. Please try again later.';

export const INSUFFICIENT_SCOPE = 'Your OAuth token is not authorized to use this endpoint.';
