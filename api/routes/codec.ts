// The codec server (POST /codec/decode, /codec/encode): Temporal Web and the Temporal CLI
// (`--codec-endpoint`) send encrypted payloads here and get them back readable, so history stays
// encrypted on the Temporal server yet authorised people can still read it. Same wire format as
// Temporal's remote codec protocol: {payloads: [{metadata: {key: base64}, data: base64}]}.
//
// Temporal Web calls it from the browser, so the routes answer CORS for its origin only
// (TEMPORAL_WEB_URL); the Authorization header it forwards ("Pass access token") must be an API
// token like any other request's: any role to decode, operator to encode (what Temporal Web does
// before it sends a signal or starts a workflow with input).
import cors from '@fastify/cors';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ValueError, type Payload, type PayloadCodec } from '@temporalio/common';
import { Type, type Static } from 'typebox';
import { authHook, type Authenticator } from '../auth.js';
import { ApiError } from '../errors.js';
import { errorResponses } from './errorResponses.js';

export interface CodecRoutesOptions {
  /** the Temporal client's payload codecs, applied in the same order as the SDK applies them */
  codecs: readonly PayloadCodec[];
  authenticate: Authenticator;
  /** Temporal Web's base URL; its origin is the only one CORS lets in. Absent: no CORS (CLI use). */
  webUrl?: string;
}

/** Temporal's payload limit is 2 MiB per payload; a batch of them is what a page of history holds. */
export const CODEC_BODY_LIMIT = 8 * 1024 * 1024;

const Base64 = Type.String({ maxLength: CODEC_BODY_LIMIT, pattern: '^[A-Za-z0-9+/]*={0,2}$' });
const JsonPayload = Type.Object({
  metadata: Type.Optional(Type.Record(Type.String({ maxLength: 256 }), Base64)),
  data: Type.Optional(Base64),
}, { additionalProperties: false });
const Payloads = Type.Object({ payloads: Type.Array(JsonPayload, { maxItems: 10_000 }) }, { additionalProperties: false });
type JsonPayload = Static<typeof JsonPayload>;

const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});

const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')])),
  data: Buffer.from(p.data ?? []).toString('base64'),
});

/** A payload the codec cannot read (unknown key id, tampered) is the caller's 400, with the codec's reason. */
async function applying(step: (payloads: Payload[]) => Promise<Payload[]>, payloads: Payload[]): Promise<Payload[]> {
  try {
    return await step(payloads);
  } catch (err) {
    if (err instanceof ValueError) throw new ApiError('invalid_request', `payloads: ${err.message}`, 'payloads');
    throw err;
  }
}

export const codecRoutes: FastifyPluginAsyncTypebox<CodecRoutesOptions> = async (app, { codecs, authenticate, webUrl }) => {
  // Preflights carry no Authorization header: @fastify/cors answers them before any auth hook.
  await app.register(cors, {
    // a list, so that another origin gets no Access-Control-Allow-Origin at all
    origin: webUrl ? [new URL(webUrl).origin] : false,
    methods: ['POST'],
    allowedHeaders: ['Authorization', 'Content-Type', 'X-Namespace'],
    credentials: true,
    maxAge: 600,
  });
  const authenticated = authHook(authenticate);
  const schema = (summary: string) => ({
    tags: ['codec'],
    summary,
    body: Payloads,
    response: { 200: Payloads, ...errorResponses(400, 401, 403, 413) },
    security: [{ bearer: [] }],
  });

  app.post('/decode', {
    config: { permission: 'read' },
    bodyLimit: CODEC_BODY_LIMIT,
    onRequest: authenticated,
    schema: schema('Decrypt payloads for Temporal Web or the Temporal CLI (any role)'),
  }, async (request) => {
    let payloads = request.body.payloads.map(fromJson);
    for (const codec of [...codecs].reverse()) payloads = await applying((p) => codec.decode(p), payloads);
    return { payloads: payloads.map(toJson) };
  });

  app.post('/encode', {
    config: { permission: 'operator' },
    bodyLimit: CODEC_BODY_LIMIT,
    onRequest: authenticated,
    schema: schema('Encrypt payloads, e.g. the input of a signal sent from Temporal Web (operator)'),
  }, async (request) => {
    let payloads = request.body.payloads.map(fromJson);
    for (const codec of codecs) payloads = await applying((p) => codec.encode(p), payloads);
    return { payloads: payloads.map(toJson) };
  });
};
