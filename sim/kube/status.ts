// Kubernetes API errors as the apiserver sends them: a metav1.Status object whose reason and code
// clients (client-go, @kubernetes/client-node, kubectl) switch on.

export type StatusReason =
  | 'BadRequest' | 'Unauthorized' | 'Forbidden' | 'NotFound' | 'AlreadyExists' | 'Conflict'
  | 'Invalid' | 'MethodNotAllowed' | 'NotAcceptable' | 'UnsupportedMediaType' | 'TooManyRequests'
  | 'InternalError' | 'ServiceUnavailable' | 'Timeout' | 'RequestEntityTooLarge' | 'Unknown';

export interface StatusCause { reason?: string; message?: string; field?: string }
export interface StatusDetails { name?: string; group?: string; kind?: string; uid?: string; causes?: StatusCause[]; retryAfterSeconds?: number }

export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: StatusReason;
  details?: StatusDetails;
  code: number;
}

const REASON_BY_CODE: Record<number, StatusReason> = {
  400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed',
  406: 'NotAcceptable', 409: 'Conflict', 413: 'RequestEntityTooLarge', 415: 'UnsupportedMediaType',
  422: 'Invalid', 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable', 504: 'Timeout',
};

/** Thrown by handlers; the server turns it into the Status reply. */
export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly reason: StatusReason = REASON_BY_CODE[code] ?? 'Unknown',
    readonly details?: StatusDetails,
  ) {
    super(message);
  }

  toStatus(): KubeStatus {
    return failureStatus(this.code, this.message, this.reason, this.details);
  }
}

export function failureStatus(code: number, message: string, reason: StatusReason = REASON_BY_CODE[code] ?? 'Unknown',
  details?: StatusDetails): KubeStatus {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

export function successStatus(details: StatusDetails): KubeStatus {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details, code: 200 };
}

/** `secrets "x" not found`, as the apiserver words it (group-qualified for non-core resources) */
export function notFound(resource: string, group: string, name: string): KubeApiError {
  const qualified = group ? `${resource}.${group}` : resource;
  return new KubeApiError(404, `${qualified} "${name}" not found`, 'NotFound', { name, ...(group ? { group } : {}), kind: resource });
}

export function alreadyExists(resource: string, group: string, name: string): KubeApiError {
  const qualified = group ? `${resource}.${group}` : resource;
  return new KubeApiError(409, `${qualified} "${name}" already exists`, 'AlreadyExists', { name, ...(group ? { group } : {}), kind: resource });
}

export function badRequest(message: string): KubeApiError {
  return new KubeApiError(400, message, 'BadRequest');
}
