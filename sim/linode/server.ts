// The Linode API v4 listener: node:http with a small route table, because a fleet of a thousand
// clusters is served from one process and the hot path should be just parse, look up, serialize.
// Order per request: route -> faults -> maintenance -> auth -> rate limit -> method -> scope -> body -> handler.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AuditLog } from '../audit.js';
import type { FaultDecision, FaultInjector } from '../faults.js';
import type { SimState } from '../state.js';
import { INSUFFICIENT_SCOPE, LinodeApiError, reasonFor } from './errors.js';
import type { KubeEndpoint } from './kubeconfig.js';
import { LinodeRateLimiter, rateLimitsWith, type RateLimitOverrides } from './rateLimit.js';
import { matchRoute, type Method } from './routes.js';
import { LinodeRequestStats, STATS_PATH, UNMATCHED_ENDPOINT } from './stats.js';

export interface LinodeServerOptions {
  state: SimState;
  faults: FaultInjector;
  audit: AuditLog;
  kube: KubeEndpoint;
  /** full-access token */
  token: string;
  /** a token with read-only scopes: refused on writes */
  readOnlyToken?: string;
  /**
   * Linode's documented rate limits (sim/linode/rateLimit.ts), on unless `false`; an object overrides
   * some of the numbers
   */
  rateLimit?: RateLimitOverrides | false;
  host?: string;
  port?: number;
}

export interface LinodeServer {
  /** http://127.0.0.1:<port>, without /v4: clients add /v4 or /v4beta */
  url: string;
  /** every request's endpoint and answer, also served at GET /_sim/stats */
  stats: LinodeRequestStats;
  stop(): Promise<void>;
}

const MAX_BODY_BYTES = 64 * 1024;
const VERSION_PREFIX = /^\/v4(?:beta)?(?=\/)/;
const CLUSTER_IN_PATH = /^\/lke\/clusters\/([0-9]{1,10})(?:\/|$)/;
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export async function startLinodeServer(opts: LinodeServerOptions): Promise<LinodeServer> {
  const limiter = opts.rateLimit === false ? undefined : new LinodeRateLimiter(rateLimitsWith(opts.rateLimit));
  const stats = new LinodeRequestStats();
  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      // Unreachable by design (handle answers every error); kept so a bug answers 500, not a crash.
      if (!res.headersSent) sendError(res, new LinodeApiError(500, reasonFor(500)));
    });
  });
  server.on('clientError', (_err, socket) => { socket.destroy(); });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://linode.invalid');
    const versioned = VERSION_PREFIX.exec(url.pathname);
    const path = versioned ? url.pathname.slice(versioned[0].length) : url.pathname;
    const clusterMatch = CLUSTER_IN_PATH.exec(path);
    const clusterId = clusterMatch ? Number(clusterMatch[1]) : null;
    const mutating = MUTATING.has(method);
    const audit = (status: number | 'dropped', applied: boolean): void => {
      if (mutating) opts.audit.record({ api: 'linode', clusterId, method, path, status, applied });
    };
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      audit(status, false);
      send(res, status, body, headers);
    };

    if (url.pathname === STATS_PATH) { drain(req); serveStats(req, res, method); return; }

    const matched = versioned ? matchRoute(path) : undefined;
    const endpoint = matched ? `${method} ${matched.route.template}` : UNMATCHED_ENDPOINT;
    const collection = method === 'GET' && matched?.route.collection === true;
    // on close, so every way out is counted: each reply, an injected failure, a dropped connection
    res.once('close', () => { stats.record(endpoint, res.writableFinished ? res.statusCode : 'dropped', collection); });
    if (!matched) { drain(req); reply(404, new LinodeApiError(404, 'Not found').body()); return; }

    const decision: FaultDecision = opts.faults.decide({ api: 'linode', clusterId, method, path });
    if (decision.latencyMs > 0) await sleep(decision.latencyMs);
    if (decision.failBefore) {
      drain(req);
      const { status, retryAfterSeconds } = decision.failBefore;
      reply(status, new LinodeApiError(status, reasonFor(status)).body(),
        retryAfterSeconds === undefined ? {} : { 'Retry-After': String(retryAfterSeconds) });
      return;
    }

    if (opts.state.maintenanceMode) {
      drain(req);
      reply(503, new LinodeApiError(503, reasonFor(503)).body(), { 'X-Maintenance-Mode': 'true' });
      return;
    }

    const token = bearerToken(req);
    const readOnly = token !== undefined && token === opts.readOnlyToken;
    if (token === undefined || (token !== opts.token && !readOnly)) {
      drain(req);
      reply(401, new LinodeApiError(401, 'Invalid Token').body());
      return;
    }

    const rate = limiter?.take({ token, endpoint, collection });
    // Linode reports the token's scopes and the ones the endpoint accepts on every authenticated reply.
    const replyHeaders = {
      ...rate?.headers,
      'X-OAuth-Scopes': readOnly ? 'lke:read_only' : '*',
      'X-Accepted-OAuth-Scopes': mutating ? 'lke:read_write' : 'lke:read_only',
    };
    if (rate && !rate.allowed) { drain(req); reply(429, new LinodeApiError(429, 'Too many requests').body(), replyHeaders); return; }

    const handler = matched.route.methods[method as Method];
    if (!handler) {
      drain(req);
      reply(405, new LinodeApiError(405, reasonFor(405)).body(), { ...replyHeaders, Allow: Object.keys(matched.route.methods).join(', ') });
      return;
    }
    // Linode answers a token whose scopes do not cover the call with 401 (not 403) and this reason, as
    // reported in linode/linode-cli#142 and trailofbits/algo#14348.
    if (mutating && readOnly) { drain(req); reply(401, new LinodeApiError(401, INSUFFICIENT_SCOPE).body(), replyHeaders); return; }

    let result: unknown;
    try {
      const body = mutating ? await readJsonBody(req) : (drain(req), undefined);
      result = handler({ state: opts.state, kube: opts.kube, params: matched.params, query: url.searchParams, headers: req.headers, body });
    } catch (err) {
      const error = err instanceof LinodeApiError ? err : new LinodeApiError(500, reasonFor(500));
      reply(error.status, error.body(), replyHeaders);
      return;
    }

    if (decision.failAfter === 'drop') {
      audit('dropped', mutating);
      res.socket?.destroy();
      return;
    }
    if (decision.failAfter !== undefined) {
      const status = decision.failAfter;
      audit(status, mutating);
      send(res, status, new LinodeApiError(status, reasonFor(status)).body(), replyHeaders);
      return;
    }
    audit(200, true);
    send(res, 200, result, replyHeaders);
  }

  /** the counters, to either token (they hold no secret, but the simulator authenticates everything) */
  function serveStats(req: IncomingMessage, res: ServerResponse, method: string): void {
    const token = bearerToken(req);
    if (token === undefined || (token !== opts.token && token !== opts.readOnlyToken)) {
      sendError(res, new LinodeApiError(401, 'Invalid Token'));
    } else if (method !== 'GET') {
      send(res, 405, new LinodeApiError(405, reasonFor(405)).body(), { Allow: 'GET' });
    } else {
      send(res, 200, { ...stats.snapshot(), ...(limiter ? { peakWindows: limiter.peaks() } : {}) }, {});
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => { server.off('error', reject); resolve(); });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    stop: () => new Promise<void>((resolve) => {
      server.close(() => { resolve(); });
      server.closeAllConnections();
    }),
  };
}

function bearerToken(req: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return match?.[1];
}

function drain(req: IncomingMessage): void {
  req.resume();
}

async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  // An oversized body is read to its end (and discarded) so the keep-alive connection stays usable.
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  }
  if (size > MAX_BODY_BYTES) throw new LinodeApiError(413, reasonFor(413));
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new LinodeApiError(400, 'Invalid JSON');
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) });
  res.end(payload);
}

function sendError(res: ServerResponse, error: LinodeApiError): void {
  send(res, error.status, error.body(), {});
}
