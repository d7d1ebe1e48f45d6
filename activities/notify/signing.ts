// How a webhook delivery is signed, and how a receiver checks it (README.md, "Notifications"). The
// scheme is the one Stripe and Slack use: HMAC-SHA256 over `<timestamp>.<raw body>`, so a receiver
// can refuse a captured request replayed later (the timestamp is signed) and a body altered in
// transit (the body is signed byte for byte, before any JSON parsing).
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-LKE-Rotator-Signature';
export const TIMESTAMP_HEADER = 'X-LKE-Rotator-Timestamp';
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
export const EVENT_HEADER = 'X-LKE-Rotator-Event';

/** What is signed: the timestamp header's value (Unix seconds), a dot, and the raw body. */
export function signedContent(timestamp: string, rawBody: string | Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${timestamp}.`, 'utf8'), Buffer.isBuffer(rawBody) ? rawBody : Buffer.from(rawBody, 'utf8')]);
}

/** The signature header's value: `sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`. */
export function sign(secret: string, timestamp: string, rawBody: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(signedContent(timestamp, rawBody)).digest('hex')}`;
}

export interface VerifyOptions {
  /** a timestamp further than this from `now` is refused (replay protection); default 5 minutes */
  toleranceSeconds?: number;
  /** Unix seconds; default the clock */
  now?: number;
}

/**
 * A receiver's check, as the README shows it: the signature matches (compared in constant time) and
 * the timestamp is recent. Exported for receivers written in TypeScript and for the tests.
 */
export function verifySignature(
  secret: string, headers: { signature: string | undefined; timestamp: string | undefined }, rawBody: string | Buffer,
  options: VerifyOptions = {},
): boolean {
  const { signature, timestamp } = headers;
  if (!signature || !timestamp || !/^\d{1,12}$/.test(timestamp)) return false;
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - Number(timestamp)) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(sign(secret, timestamp, rawBody), 'utf8');
  const given = Buffer.from(signature, 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
