// Turns errors from @linode/api-v4 (axios) and @kubernetes/client-node into Temporal
// ApplicationFailures: a type name the workflow and humans can act on, and the retry decision.
//
// Messages are built from the status code, the API's own reason text and an error code only. Never
// pass the original error as `cause` or copy its message wholesale: axios errors carry the request
// config (the Authorization header), and a failure lands in workflow history.
import { ApplicationFailure } from '@temporalio/activity';

import { FailureType, type FailureTypeName } from '../common/failures.js';

export interface ClassifyOptions {
  /** multiplies Retry-After delays (after clamping), so time-scaled tests do not wait seconds */
  retryAfterScale?: number;
  /**
   * the caller's cancellation (live: the running activity's cancellationSignal): requests abort with
   * it, and an error after it fired is rethrown as its reason (Temporal's CancelledFailure), not classified
   */
  cancellation?: () => AbortSignal | undefined;
}

/** Throws the cancellation's reason if the caller was cancelled, so a cancelled activity ends as cancelled. */
export function rethrowIfCancelled(options: ClassifyOptions): void {
  const signal = options.cancellation?.();
  if (signal?.aborted) throw signal.reason;
}

// Linode's Go client (linodego) clamps Retry-After to this range before it waits.
const RETRY_AFTER_MIN_MS = 3_000;
const RETRY_AFTER_MAX_MS = 30_000;

const TRANSIENT_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH',
  'ENETUNREACH', 'ERR_NETWORK', 'ERR_SOCKET_CONNECTION_TIMEOUT', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT',
]);

export function nonRetryable(type: FailureTypeName, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true });
}

export function retryable(type: FailureTypeName, message: string, nextRetryDelayMs?: number): ApplicationFailure {
  return ApplicationFailure.create({
    type, message, nonRetryable: false, ...(nextRetryDelayMs === undefined ? {} : { nextRetryDelay: nextRetryDelayMs }),
  });
}

export function isFailureOfType(err: unknown, ...types: FailureTypeName[]): err is ApplicationFailure {
  return err instanceof ApplicationFailure && types.includes(err.type as FailureTypeName);
}

/** Retryable failures (transient), as opposed to ones a retry cannot fix. */
export function isTransient(err: unknown): err is ApplicationFailure {
  return err instanceof ApplicationFailure && !err.nonRetryable;
}

/** Retry-After is seconds or an HTTP date; the result is clamped to 3..30 s, then scaled. */
export function retryAfterDelayMs(header: unknown, options: ClassifyOptions = {}, now = Date.now()): number | undefined {
  if (typeof header !== 'string' && typeof header !== 'number') return undefined;
  const text = String(header).trim();
  if (text === '') return undefined;
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(text)) ms = Number(text) * 1000;
  else {
    const at = Date.parse(text);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  }
  const clamped = Math.min(RETRY_AFTER_MAX_MS, Math.max(RETRY_AFTER_MIN_MS, ms));
  return Math.round(clamped * (options.retryAfterScale ?? 1));
}

function headerValue(headers: unknown, name: string): unknown {
  if (!headers || typeof headers !== 'object') return undefined;
  const h = headers as { get?: (n: string) => unknown } & Record<string, unknown>;
  if (typeof h.get === 'function') {
    const v = h.get(name);
    if (v !== undefined && v !== null) return v;
  }
  const key = Object.keys(h).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : h[key];
}

function transientCode(err: unknown): string | null {
  if (!err || typeof err !== 'object') return null;
  const e = err as { code?: unknown; errno?: unknown; name?: unknown; message?: unknown; type?: unknown };
  for (const candidate of [e.code, e.errno]) {
    if (typeof candidate === 'string' && TRANSIENT_CODES.has(candidate)) return candidate;
  }
  if (e.name === 'AbortError' || e.name === 'TimeoutError' || e.type === 'request-timeout') return 'timeout';
  if (typeof e.message === 'string') {
    if (/socket hang up/i.test(e.message)) return 'socket hang up';
    if (/timeout/i.test(e.message) && e.name !== 'ApplicationFailure') return 'timeout';
    const code = /\b(E[A-Z]{4,})\b/.exec(e.message)?.[1];
    if (code && TRANSIENT_CODES.has(code)) return code;
  }
  return null;
}

function errorName(err: unknown): string {
  const name = (err as { name?: unknown } | null)?.name;
  return typeof name === 'string' && /^[A-Za-z]{1,40}$/.test(name) ? name : 'error';
}

/** Keeps only a short, printable reason, so an echoed request never reaches a message. */
function shortReason(text: unknown): string {
  if (typeof text !== 'string') return '';
  return text.replace(/\s+/g, ' ').replace(/Bearer\s+\S+/gi, 'Bearer [redacted]').slice(0, 200);
}

// ---------------------------------------------------------------------------------------------
// Linode (axios errors from @linode/api-v4)

function linodeReasons(data: unknown): string {
  if (Array.isArray(data)) {
    // @linode/api-v4 rejects with APIError[] itself when client-side validation fails
    return data.map((e: { reason?: unknown }) => shortReason(e?.reason)).filter(Boolean).join('; ');
  }
  const errors = (data as { errors?: { reason?: unknown; field?: unknown }[] } | null)?.errors;
  if (!Array.isArray(errors)) return '';
  return errors
    .map((e) => (typeof e.field === 'string' ? `${e.field}: ` : '') + shortReason(e.reason))
    .filter(Boolean)
    .join('; ');
}

export function linodeFailure(err: unknown, action: string, options: ClassifyOptions = {}): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  rethrowIfCancelled(options);
  if (Array.isArray(err)) {
    return nonRetryable(FailureType.linodeBadRequest, `${action}: rejected before sending: ${linodeReasons(err)}`);
  }
  const response = (err as { response?: { status?: unknown; headers?: unknown; data?: unknown } } | null)?.response;
  const status = typeof response?.status === 'number' ? response.status : null;
  if (status === null) {
    const code = transientCode(err);
    if (code) return retryable(FailureType.linodeUnavailable, `${action}: Linode API unreachable (${code})`);
    if ((err as { isAxiosError?: unknown } | null)?.isAxiosError === true) {
      return retryable(FailureType.linodeUnavailable, `${action}: Linode API call failed without a response`);
    }
    // not the HTTP client's error: a bug or a response we could not use; retrying will not help
    return nonRetryable(FailureType.linodeBadResponse, `${action}: unexpected ${errorName(err)}`);
  }
  const reasons = linodeReasons(response?.data);
  const message = `${action}: Linode API ${status}${reasons ? ` ${reasons}` : ''}`;
  const retryAfter = retryAfterDelayMs(headerValue(response?.headers, 'retry-after'), options);
  switch (status) {
    case 400: return nonRetryable(FailureType.linodeBadRequest, message);
    case 401: return nonRetryable(FailureType.linodeUnauthorized, message);
    case 403: return nonRetryable(FailureType.linodeForbidden, message);
    case 404: return nonRetryable(FailureType.linodeNotFound, message);
    case 408: return retryable(FailureType.linodeUnavailable, message, retryAfter);
    case 409: return nonRetryable(FailureType.linodeConflict, message);
    case 422: return nonRetryable(FailureType.linodeUnprocessable, message);
    case 429: return retryable(FailureType.linodeRateLimited, message, retryAfter);
  }
  if (status === 503 && headerValue(response?.headers, 'x-maintenance-mode') !== undefined) {
    return nonRetryable(FailureType.linodeMaintenance, `${message} (API in maintenance mode)`);
  }
  if (status >= 500) return retryable(FailureType.linodeServerError, message, retryAfter);
  return nonRetryable(FailureType.linodeBadRequest, message);
}

// ---------------------------------------------------------------------------------------------
// Kubernetes (ApiException and node-fetch errors from @kubernetes/client-node)

interface KubeStatusLike { reason?: unknown; message?: unknown; code?: unknown }

function kubeStatus(body: unknown): KubeStatusLike | null {
  if (body && typeof body === 'object') return body as KubeStatusLike;
  if (typeof body === 'string') {
    try {
      const parsed: unknown = JSON.parse(body);
      return parsed && typeof parsed === 'object' ? parsed as KubeStatusLike : null;
    } catch {
      return null;
    }
  }
  return null;
}

/** The message of a client-node ApiException's Status body and its causes' messages (bounded), for a human. */
export function kubeStatusMessage(err: unknown): string | null {
  const body = kubeStatus((err as { body?: unknown } | null)?.body) as (KubeStatusLike & { details?: { causes?: { message?: unknown }[] } }) | null;
  if (!body) return null;
  const causes = (body.details?.causes ?? []).map((c) => shortReason(c.message)).filter((m): m is string => !!m);
  const message = shortReason(body.message);
  return [message, ...causes].filter(Boolean).join(': ') || null;
}

/** The HTTP status of a client-node ApiException, or null for anything else. */
export function kubeStatusCode(err: unknown): number | null {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' && code >= 100 && code < 600 ? code : null;
}

export function kubeFailure(err: unknown, action: string, options: ClassifyOptions = {}): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  rethrowIfCancelled(options);
  const status = kubeStatusCode(err);
  if (status === null) {
    const code = transientCode(err);
    if (code) return retryable(FailureType.kubeUnavailable, `${action}: Kubernetes API unreachable (${code})`);
    const fetchCode = (err as { code?: unknown } | null)?.code;
    if (typeof fetchCode === 'string' && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/.test(fetchCode)) {
      // the kubeconfig's CA does not match the server: a retry sees the same certificate
      return nonRetryable(FailureType.kubeTlsFailed, `${action}: TLS verification failed (${fetchCode})`);
    }
    if (errorName(err) === 'FetchError') {
      return retryable(FailureType.kubeUnavailable, `${action}: Kubernetes API call failed without a response`);
    }
    return nonRetryable(FailureType.kubeBadResponse, `${action}: unexpected ${errorName(err)}`);
  }
  const body = kubeStatus((err as { body?: unknown }).body);
  const reason = shortReason(body?.reason);
  const detail = shortReason(body?.message);
  const message = `${action}: Kubernetes API ${status}${reason ? ` ${reason}` : ''}${detail ? `: ${detail}` : ''}`;
  const retryAfter = retryAfterDelayMs(headerValue((err as { headers?: unknown }).headers, 'retry-after'), options);
  switch (status) {
    case 400: return nonRetryable(FailureType.kubeBadRequest, message);
    case 401: return nonRetryable(FailureType.kubeUnauthorized, message);
    case 403: return nonRetryable(FailureType.kubeForbidden, message);
    case 404: return nonRetryable(FailureType.kubeNotFound, message);
    case 408: return retryable(FailureType.kubeUnavailable, message, retryAfter);
    case 409: return nonRetryable(FailureType.kubeConflict, message);
    case 422: return nonRetryable(FailureType.kubeInvalid, message);
    case 429: return retryable(FailureType.kubeRateLimited, message, retryAfter);
  }
  if (status >= 500) return retryable(FailureType.kubeServerError, message, retryAfter);
  return nonRetryable(FailureType.kubeBadRequest, message);
}
