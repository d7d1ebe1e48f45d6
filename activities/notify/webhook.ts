// The `notify` activity: one signed POST of one event to the configured webhook. Temporal retries it
// (the workflow's bounded policy, workflows/notifications.ts); the idempotency key rides along on
// every attempt so the receiver can drop a duplicate. The URL (Slack's carry their secret in the
// path) and the signing secret never appear in a result, an error or a log: failures name the HTTP
// status or the network error's code only.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { FailureType } from '../../common/failures.js';
import type { NotifyActivities, NotifyInput, NotifyResult } from '../../common/notifications.js';
import type { WebhookConfig } from '../../config/config.js';
import { buildPayload, type NotificationLinkConfig } from './payload.js';
import { EVENT_HEADER, IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign } from './signing.js';

export interface NotifyDeps {
  /** undefined: notifications are off on this worker and notify answers `skipped` */
  webhook?: WebhookConfig;
  links: NotificationLinkConfig;
  /** per attempt; default 10 s (the activity's own timeout is longer, so a slow receiver is retried) */
  requestTimeoutMs?: number;
  /** the clock of the timestamp header (tests); default Date.now */
  now?: () => number;
}

export const NOT_CONFIGURED = 'no webhook configured on this worker';

/** 408 and 429 mean "later", 5xx a receiver in trouble: worth another attempt. */
const retryableStatus = (status: number): boolean => status === 408 || status === 429 || status >= 500;

function activityCancellation(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined;
  }
}

/** The network error's code (ECONNREFUSED, ENOTFOUND, ...) or its kind: never its message, which may hold the host. */
function networkReason(err: unknown): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return 'timed out or cancelled';
  const cause = (err as { cause?: { code?: unknown } }).cause;
  return typeof cause?.code === 'string' && /^[A-Z_]+$/.test(cause.code) ? cause.code : 'network error';
}

export function createNotifyActivities(deps: NotifyDeps): NotifyActivities {
  const now = deps.now ?? Date.now;
  const timeoutMs = deps.requestTimeoutMs ?? 10_000;
  return {
    async notify(input: NotifyInput): Promise<NotifyResult> {
      const { webhook } = deps;
      if (!webhook) return { delivered: false, skipped: NOT_CONFIGURED };
      const body = JSON.stringify(buildPayload(input, deps.links));
      const timestamp = String(Math.floor(now() / 1000));
      const cancellation = activityCancellation();
      const timeout = AbortSignal.timeout(timeoutMs);
      let response: Response;
      try {
        response = await fetch(webhook.url.reveal(), {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'lke-rotator',
            [IDEMPOTENCY_HEADER]: input.idempotencyKey,
            [EVENT_HEADER]: input.kind,
            [TIMESTAMP_HEADER]: timestamp,
            [SIGNATURE_HEADER]: sign(webhook.secret.reveal(), timestamp, body),
          },
          body,
          // a signed event is not re-sent to wherever a redirect points
          redirect: 'manual',
          signal: cancellation ? AbortSignal.any([timeout, cancellation]) : timeout,
        });
      } catch (err) {
        throw ApplicationFailure.create({ type: FailureType.webhookUnavailable, message: `webhook unreachable: ${networkReason(err)}` });
      }
      // the answer's body is not read (a receiver may say anything); release the connection
      await response.body?.cancel().catch(() => undefined);
      if (response.status >= 200 && response.status < 300) return { delivered: true, status: response.status };
      throw ApplicationFailure.create({
        type: retryableStatus(response.status) ? FailureType.webhookUnavailable : FailureType.webhookRejected,
        message: `webhook answered ${response.status}`,
        nonRetryable: !retryableStatus(response.status),
      });
    },
  };
}
