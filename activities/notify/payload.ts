// The JSON body of a webhook delivery (README.md, "Notifications"): the event as the workflow stated
// it, links to the run in Temporal Web and the API, and a one-line `text` in Slack's mrkdwn so the
// same body can go straight to a Slack incoming webhook (Slack reads `text` and ignores the rest).
// Built the same on every attempt: a receiver that dedupes on the idempotency key sees equal bodies.
import { temporalWebLink } from '../../common/links.js';
import type { NotifyInput } from '../../common/notifications.js';

export const PAYLOAD_VERSION = 1;

/** Where the links in a payload point; each is left null when its base URL is not configured. */
export interface NotificationLinkConfig {
  /** TEMPORAL_WEB_URL */
  temporalWebUrl?: string;
  namespace: string;
  /** LKE_ROTATOR_API_URL: the API's base URL as the receiver reaches it */
  apiUrl?: string;
}

export interface NotificationPayload extends Omit<NotifyInput, 'idempotencyKey'> {
  version: typeof PAYLOAD_VERSION;
  idempotencyKey: string;
  namespace: string;
  links: { temporalWeb: string | null; api: string | null };
  text: string;
}

export function buildPayload(event: NotifyInput, links: NotificationLinkConfig): NotificationPayload {
  const { idempotencyKey, ...rest } = event;
  const resolved = {
    temporalWeb: temporalWebLink(links.temporalWebUrl, links.namespace)(event.workflowId, event.runId),
    api: apiLink(links.apiUrl, event),
  };
  return { version: PAYLOAD_VERSION, idempotencyKey, ...rest, namespace: links.namespace, links: resolved, text: slackText(event, resolved) };
}

/** The API's resource for the run: `/v1/rotations/<clusterId>` or `/v1/fleet-rotations/<workflow id>`. */
function apiLink(apiUrl: string | undefined, event: NotifyInput): string | null {
  if (!apiUrl) return null;
  const base = apiUrl.replace(/\/+$/, '');
  return event.workflowType === 'clusterRotation' && event.clusterId !== undefined
    ? `${base}/v1/rotations/${event.clusterId}`
    : `${base}/v1/fleet-rotations/${encodeURIComponent(event.workflowId)}`;
}

/** Slack mrkdwn treats these three as control characters; everything from the workflow is escaped. */
const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function subject(event: NotifyInput): string {
  return event.workflowType === 'clusterRotation'
    ? `Rotation of LKE cluster ${event.clusterId ?? '?'}${event.fleetRotationId ? ` (${escape(event.fleetRotationId)})` : ''}`
    : `Fleet rotation ${escape(event.workflowId)}`;
}

const countsText = (counts: Record<string, number> | undefined): string =>
  counts ? Object.entries(counts).filter(([, n]) => n > 0).map(([phase, n]) => `${phase} ${n}`).join(', ') : '';

function sentence(event: NotifyInput): string {
  const who = escape(event.requestedBy);
  switch (event.kind) {
    case 'rotation.gate.waiting':
    case 'fleet.gate.waiting':
      return `waits for approval at ${event.gate === 'stage' && event.stage ? `the gate of stage ${escape(event.stage)}` : `the ${event.gate ?? ''} gate`} until ${event.timeoutAt ?? '?'} (requested by ${who}, who cannot approve it)`;
    case 'rotation.blocked':
      return `is Blocked at step ${event.step ?? '?'}: ${escape(event.error ? `${event.error.type}: ${event.error.message}` : 'unknown error')}; it waits for retry, skip or abort`;
    case 'fleet.wave.completed':
      return `finished ${event.stage ? `stage ${escape(event.stage)}, ` : ''}wave ${event.wave ?? '?'} of ${event.waveCount ?? '?'} (${countsText(event.counts)})`;
    case 'fleet.halted':
      return `halted: ${escape(event.reason ?? 'error budget exceeded')}; it waits for resume, retry, skip or abort`;
    case 'rotation.ended':
    case 'fleet.ended':
      return `ended *${event.phase}*${event.reason ? `: ${escape(event.reason)}` : ''}${event.counts ? ` (${countsText(event.counts)})` : ''}`;
  }
}

function slackText(event: NotifyInput, links: NotificationPayload['links']): string {
  const linkText = [
    links.temporalWeb ? `<${links.temporalWeb}|Temporal Web>` : null,
    links.api ? `<${links.api}|API>` : null,
  ].filter(Boolean).join(' · ');
  return `${subject(event)} ${sentence(event)}${linkText ? ` — ${linkText}` : ''}`;
}
