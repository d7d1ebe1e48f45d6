// One error format for every response that is not a success: `{error: {code, message, field?}}`.
// Everything the API can throw (its own errors, Fastify's, Temporal's) is mapped here, so clients
// never see a stack trace, an internal message or a secret.
import type { FastifyError } from 'fastify';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/common';
import {
  isGrpcServiceError, ScheduleAlreadyRunning, ScheduleNotFoundError, WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { Type } from 'typebox';
import { ControlRefusedError, FleetNotResumableError, RotationNotResumableError } from '../client/index.js';

export const ERROR_CODES = [
  'invalid_request',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'payload_too_large',
  'unsupported_media_type',
  'rate_limited',
  'unavailable',
  'timeout',
  'internal_error',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

const STATUS_OF: Record<ErrorCode, number> = {
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  unavailable: 503,
  timeout: 504,
  internal_error: 500,
};

export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.Enum([...ERROR_CODES]),
      message: Type.String(),
      field: Type.Optional(Type.String()),
    }),
  },
  { description: 'Every error the API returns has this shape.' },
);

export interface ErrorBody {
  error: { code: ErrorCode; message: string; field?: string };
}

/** An error whose message is safe to show to the caller. */
export class ApiError extends Error {
  readonly statusCode: number;
  constructor(readonly code: ErrorCode, message: string, readonly field?: string) {
    super(message);
    this.name = 'ApiError';
    this.statusCode = STATUS_OF[code];
  }
}

export const notFound = (message: string): ApiError => new ApiError('not_found', message);
export const conflict = (message: string): ApiError => new ApiError('conflict', message);

interface ValidationIssue {
  keyword: string;
  instancePath: string;
  schemaPath: string;
  message?: string;
  params?: Record<string, unknown>;
}

const pathToField = (instancePath: string): string =>
  instancePath.split('/').filter(Boolean).join('.');

const joinField = (parent: string, child: string): string => (parent ? `${parent}.${child}` : child);

const isUnion = (i: ValidationIssue): boolean => i.keyword === 'anyOf' || i.keyword === 'oneOf';
const UNKNOWN_FIELD_KEYWORDS = new Set(['additionalProperties', 'boolean']);

/**
 * Of a union's branches, the one the value was meant for: the only branch whose errors all lie
 * deeper than the union (its shape matched, a value inside did not), or failing that the only one
 * whose errors are all unknown fields. Null when that is ambiguous.
 */
function intendedBranch(union: ValidationIssue, issues: ValidationIssue[]): ValidationIssue[] | null {
  const prefix = `${union.schemaPath}/${union.keyword}/`;
  const branches = new Map<string, ValidationIssue[]>();
  for (const issue of issues) {
    if (!issue.schemaPath.startsWith(prefix)) continue;
    const branch = issue.schemaPath.slice(prefix.length).split('/')[0];
    branches.set(branch, [...(branches.get(branch) ?? []), issue]);
  }
  const candidates = [...branches.values()];
  const deeper = candidates.filter((b) => b.every((i) => i.instancePath.length > union.instancePath.length));
  if (deeper.length === 1) return deeper[0];
  const unknownOnly = candidates.filter((b) => b.every((i) => UNKNOWN_FIELD_KEYWORDS.has(i.keyword)));
  return unknownOnly.length === 1 ? unknownOnly[0] : null;
}

/**
 * Picks the issue a person can act on: an unknown or missing field beats a type error; for a union
 * (anyOf), the branch the value was evidently meant for, else the union's own path.
 */
export function describeValidation(issues: ValidationIssue[], context: string): { message: string; field: string } {
  const unions = issues.filter(isUnion);
  const inBranch = (i: ValidationIssue) => unions.some((u) => i.schemaPath.startsWith(`${u.schemaPath}/${u.keyword}/`));
  const plain = issues.filter((i) => !isUnion(i) && !inBranch(i));

  const unknown = plain.find((i) => i.keyword === 'additionalProperties');
  if (unknown) {
    const names = (unknown.params?.additionalProperties as string[] | undefined) ?? [];
    const field = joinField(pathToField(unknown.instancePath), String(names[0] ?? ''));
    return { field, message: `${context}: unknown field '${field}' is not allowed` };
  }
  const missing = plain.find((i) => i.keyword === 'required');
  if (missing) {
    const names = (missing.params?.requiredProperties as string[] | undefined)
      ?? [missing.params?.missingProperty as string];
    const field = joinField(pathToField(missing.instancePath), String(names[0] ?? ''));
    return { field, message: `${context}: required field '${field}' is missing` };
  }
  const issue = plain.find((i) => i.keyword !== 'boolean');
  if (issue) {
    const field = pathToField(issue.instancePath);
    return { field, message: `${context}: ${field ? `'${field}' ` : ''}${issue.message ?? 'is invalid'}` };
  }
  // Only union failures are left: the outermost one decides.
  const union = unions.reduce<ValidationIssue | undefined>(
    (outer, u) => (!outer || u.schemaPath.length < outer.schemaPath.length ? u : outer), undefined);
  if (!union) return { field: '', message: `${context}: is invalid` };
  const branch = intendedBranch(union, issues);
  if (branch) return describeValidation(branch, context);
  const field = pathToField(union.instancePath);
  return { field, message: `${context}: ${field ? `'${field}' ` : ''}does not match any allowed form` };
}

const CONTEXT_NAME: Record<string, string> = {
  body: 'body',
  querystring: 'query',
  params: 'path',
  headers: 'header',
};

/** Maps Fastify's own client errors (parsing, size, media type) by their code. */
function fromFastifyError(err: FastifyError): ApiError | null {
  if (err.validation) {
    const { message, field } = describeValidation(
      err.validation as ValidationIssue[],
      CONTEXT_NAME[err.validationContext ?? ''] ?? 'request',
    );
    return new ApiError('invalid_request', message, field || undefined);
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError('payload_too_large', 'request body is larger than the limit');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('unsupported_media_type', 'send the body as application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError('invalid_request', 'body: a JSON body was announced but none was sent');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new ApiError('invalid_request', 'body: malformed JSON');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError('invalid_request', 'content-length does not match the body');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new ApiError('invalid_request', 'path: a parameter is too long');
    case 'FST_ERR_BAD_URL':
      return new ApiError('invalid_request', 'path: malformed URL');
  }
  // JSON.parse errors surface as SyntaxError with statusCode 400 in some Fastify paths.
  if (err instanceof SyntaxError && err.statusCode === 400) {
    return new ApiError('invalid_request', 'body: malformed JSON');
  }
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    // Other 4xx from Fastify carry safe, generic messages (e.g. bad URL encoding).
    const code: ErrorCode = err.statusCode === 404 ? 'not_found' : err.statusCode === 413 ? 'payload_too_large'
      : err.statusCode === 415 ? 'unsupported_media_type' : 'invalid_request';
    return new ApiError(code, err.message);
  }
  return null;
}

const GRPC_INVALID_ARGUMENT = 3;
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_UNAVAILABLE = 14;

/** The request's deadline passed (api/services.ts bounds every Temporal call): 504, not a hang. */
export const temporalTimeout = (): ApiError =>
  new ApiError('timeout', 'Temporal did not answer in time: the workflow may have no worker polling its task queue; try again');

/** Temporal's errors: duplicates, missing workflows and refused Updates are the caller's to fix. */
function fromTemporalError(err: unknown): ApiError | null {
  if (err instanceof WorkflowExecutionAlreadyStartedError) {
    return conflict(`a rotation is already running as workflow '${err.workflowId}'`);
  }
  if (err instanceof WorkflowNotFoundError) {
    return notFound('no such rotation');
  }
  if (err instanceof ScheduleNotFoundError) return notFound('no such schedule');
  if (err instanceof ScheduleAlreadyRunning) return conflict(`schedule '${err.scheduleId}' already exists`);
  // The server's own input check (e.g. a schedule's cron expression); its message names the problem.
  const grpc = err instanceof Error && isGrpcServiceError(err.cause) ? err.cause : isGrpcServiceError(err) ? err : null;
  if (grpc && grpc.code === GRPC_INVALID_ARGUMENT) return new ApiError('invalid_request', grpc.details || 'invalid request');
  if (grpc && grpc.code === GRPC_UNAVAILABLE) return new ApiError('unavailable', 'Temporal is unavailable; try again');
  if ((grpc && grpc.code === GRPC_DEADLINE_EXCEEDED) || err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
    return temporalTimeout();
  }
  if (err instanceof ControlRefusedError) return conflict(err.reason);
  if (err instanceof RotationNotResumableError || err instanceof FleetNotResumableError) return conflict(err.message);
  if (err instanceof WorkflowUpdateFailedError) {
    // The cause is the validator's (or handler's) ApplicationFailure: its message is the reason.
    const reason = err.cause?.message || 'the workflow refused the request';
    return conflict(reason);
  }
  return null;
}

/** The safe, client-facing form of any error. Unknown errors become a bare 500. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const temporal = fromTemporalError(err);
  if (temporal) return temporal;
  if (err instanceof Error) {
    const fastify = fromFastifyError(err as FastifyError);
    if (fastify) return fastify;
  }
  return new ApiError('internal_error', 'internal error');
}

export const errorBody = (err: ApiError): ErrorBody => ({
  error: { code: err.code, message: err.message, ...(err.field ? { field: err.field } : {}) },
});
