// The one HTTPS listener that serves every simulated cluster's Kubernetes API under
// /k8s/clusters/<id>. Real LKE gives each cluster its own endpoint
// (https://<uuid>.<region>-<n>-gw.linodelke.net:443); the simulator cannot serve those names, so the
// kubeconfigs it hands out point at this listener with the cluster's path prefix.
// Each request: faults decided, bearer token checked against the cluster's token Secrets (authn.ts), routed,
// and every mutating call audited (including whether its side effect was applied).
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AuditLog } from '../audit.js';
import type { SimClock } from '../clock.js';
import type { FaultInjector } from '../faults.js';
import { simulatorTls } from '../tls.js';
import {
  createObject, deleteCollection, deleteObject, getObject, listObjects, patchObject, replaceObject,
  type DeleteOptions, type ListQuery, type ListResult,
} from './api.js';
import { SELF_SUBJECT_REVIEW_PATH, TokenAuthenticator, selfSubjectReview } from './authn.js';
import type { KubeCluster } from './cluster.js';
import { evictPod } from './eviction.js';
import { apiVersionOf, discoveryDocument, resourceType, type ResourceType } from './resources.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { KubeApiError, failureStatus } from './status.js';
import type { ChangeListener, KubeObject } from './store.js';
import { toTable } from './tables.js';
import { checkFields, parseFieldValidation } from './validation.js';

export interface KubeServerOptions {
  host?: string;
  port?: number;
  clusters: (id: number) => KubeCluster | undefined;
  faults: FaultInjector;
  audit: AuditLog;
  clock: SimClock;
  /** simulated ms a successful token check is cached, like the apiserver's ~10 s cache; default DEFAULT_TOKEN_CACHE_MS */
  tokenCacheMs?: number;
}

export interface KubeServer {
  /** https://127.0.0.1:<port>/k8s/clusters */
  baseUrl: string;
  caPem: string;
  stop(): Promise<void>;
}

export const clusterServerUrl = (baseUrl: string, clusterId: number): string => `${baseUrl}/${clusterId}`;

const PREFIX = /^\/k8s\/clusters\/(\d+)(\/.*)?$/;
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const MAX_BODY_BYTES = 3 * 1024 * 1024;
const DEFAULT_WATCH_SECONDS = 1800;

interface Reply { status: number; body: unknown; warnings?: string[] }

export async function startKubeServer(opts: KubeServerOptions): Promise<KubeServer> {
  const tls = await simulatorTls();
  const authenticator = new TokenAuthenticator(opts.clock, opts.tokenCacheMs);
  const watches = new Set<() => void>();

  const server: Server = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, failureStatus(500, `internal error: ${(error as Error).message}`));
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://simulator');
    const method = (req.method ?? 'GET').toUpperCase();
    const prefix = PREFIX.exec(url.pathname);
    const cluster = prefix ? opts.clusters(Number(prefix[1])) : undefined;
    if (!prefix || !cluster) {
      req.resume();
      send(res, 404, failureStatus(404, 'the server could not find the requested resource'));
      return;
    }
    const clusterId = cluster.clusterId;
    const path = prefix[2] ?? '/';
    const mutating = MUTATING.has(method);
    const audit = (status: number | 'dropped', applied: boolean) => {
      if (mutating) opts.audit.record({ api: 'kube', clusterId, method, path, status, applied });
    };

    let body: string;
    try {
      body = await readBody(req);
    } catch (error) {
      const status = error instanceof KubeApiError ? error.toStatus() : failureStatus(400, 'could not read the request body');
      audit(status.code, false);
      send(res, status.code, status);
      return;
    }

    const decision = opts.faults.decide({ api: 'kube', clusterId, method, path });
    if (decision.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, decision.latencyMs));
    if (decision.failBefore) {
      const { status, retryAfterSeconds } = decision.failBefore;
      audit(status, false);
      send(res, status, failureStatus(status, injectedMessage(status)),
        retryAfterSeconds !== undefined ? { 'Retry-After': String(retryAfterSeconds) } : {});
      return;
    }

    let reply: Reply | 'watch';
    let applied = false;
    try {
      const identity = authenticator.authenticate(cluster, req.headers.authorization);
      reply = SELF_SUBJECT_REVIEW_PATH.test(path)
        ? selfSubjectReview(method, identity)
        : route(cluster, method, path, url.searchParams, body, req.headers);
      applied = mutating && url.searchParams.get('dryRun') !== 'All';
    } catch (error) {
      reply = error instanceof KubeApiError
        ? { status: error.code, body: error.toStatus() }
        : { status: 500, body: failureStatus(500, `internal error: ${(error as Error).message}`) };
    }

    if (reply === 'watch') {
      startWatch(cluster, path, url.searchParams, res, /as=Table/.test(req.headers.accept ?? ''));
      return;
    }
    if (decision.failAfter === 'drop') {
      audit('dropped', applied);
      res.socket?.destroy();
      return;
    }
    if (decision.failAfter !== undefined) {
      audit(decision.failAfter, applied);
      send(res, decision.failAfter, failureStatus(decision.failAfter, injectedMessage(decision.failAfter)));
      return;
    }
    audit(reply.status, applied && reply.status < 400);
    send(res, reply.status, reply.body, reply.warnings?.length ? { Warning: reply.warnings } : {});
  }

  function startWatch(cluster: KubeCluster, path: string, query: URLSearchParams, res: ServerResponse, asTable: boolean): void {
    const target = parseResourcePath(path)!;
    const fieldMatch = parseFieldSelector(query.get('fieldSelector'), target.type);
    const labelMatch = parseLabelSelector(query.get('labelSelector'));
    const matches = (object: KubeObject) =>
      (target.namespace === undefined || object.metadata.namespace === target.namespace) && fieldMatch(object) && labelMatch(object);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    // clients wait for the headers before they count the watch as established
    res.flushHeaders();
    // `kubectl get -w` asks for Table events: the first carries the column definitions, later ones only rows
    let columnsSent = false;
    const write = (type: string, object: KubeObject) => {
      let payload: unknown = object;
      if (asTable) {
        const table = toTable(target.type.name, [object], { resourceVersion: object.metadata.resourceVersion });
        payload = columnsSent ? { ...table, columnDefinitions: [] } : table;
        columnsSent = true;
      }
      res.write(`${JSON.stringify({ type, object: payload })}\n`);
    };

    const since = query.get('resourceVersion');
    const existing = cluster.store.list(target.type.name, target.namespace).filter(matches);
    const fromNow = !since || since === '0' || query.get('sendInitialEvents') === 'true';
    for (const object of existing) {
      // from "0" or no version the watch starts with the current state; from a version, with what changed since
      if (fromNow) write('ADDED', object);
      else if (Number(object.metadata.resourceVersion) > Number(since)) write('MODIFIED', object);
    }
    if (!fromNow) for (const object of cluster.store.deletedSince(target.type.name, Number(since)).filter(matches)) write('DELETED', object);
    if (query.get('sendInitialEvents') === 'true') {
      // a streaming list (client-go's WatchList) waits for this bookmark to know the initial state is complete
      res.write(`${JSON.stringify({
        type: 'BOOKMARK',
        object: {
          kind: target.type.kind, apiVersion: apiVersionOf(target.type),
          metadata: { resourceVersion: cluster.store.resourceVersion, annotations: { 'k8s.io/initial-events-end': 'true' } },
        },
      })}\n`);
    }

    const listener: ChangeListener = (resource, type, object) => {
      if (resource === target.type.name && matches(object)) write(type, object);
    };
    cluster.store.listeners.add(listener);
    const timeoutSeconds = Number(query.get('timeoutSeconds')) || DEFAULT_WATCH_SECONDS;
    const end = () => {
      cluster.store.listeners.delete(listener);
      clearTimeout(timer);
      watches.delete(end);
      if (!res.writableEnded) res.end();
    };
    const timer = setTimeout(end, timeoutSeconds * 1000);
    timer.unref();
    watches.add(end);
    res.on('close', end);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `https://${opts.host ?? '127.0.0.1'}:${port}/k8s/clusters`,
    caPem: tls.caPem,
    stop: () => new Promise<void>((resolve) => {
      for (const end of [...watches]) end();
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

function injectedMessage(status: number): string {
  if (status === 429) return 'Too many requests, please try again later.';
  if (status === 503) return 'The server is currently unable to handle the request';
  return `injected fault: ${status}`;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new KubeApiError(413, 'Request entity too large: limit is 3145728', 'RequestEntityTooLarge'));
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

interface ResourcePath { type: ResourceType; namespace?: string; name?: string; subresource?: string }

/** /api/v1/..., /apis/apps/v1/..., /apis/policy/v1/... onto a resource, namespace, name and subresource */
function parseResourcePath(path: string): ResourcePath | undefined {
  const match = /^\/(?:api\/v1|apis\/(apps|policy)\/v1)\/(.+)$/.exec(path);
  if (!match) return undefined;
  const group = match[1] ?? '';
  const segments = match[2].split('/').filter(Boolean).map(decodeURIComponent);
  if (segments[0] === 'namespaces' && segments.length >= 3 && segments[2] !== 'status' && segments[2] !== 'finalize') {
    const type = resourceType(group, segments[2]);
    if (!type || !type.namespaced || segments.length > 5) return undefined;
    return { type, namespace: segments[1], name: segments[3], subresource: segments[4] };
  }
  const type = resourceType(group, segments[0]);
  if (!type || segments.length > 3) return undefined;
  if (type.namespaced && segments.length > 1) return undefined;
  return { type, name: segments[1], subresource: segments[2] };
}

function parseJson(text: string, kind: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new KubeApiError(400, `couldn't get version/kind; json parse error: ${(error as Error).message} (${kind})`, 'BadRequest');
  }
}

function route(cluster: KubeCluster, method: string, path: string, query: URLSearchParams, body: string,
  headers: IncomingMessage['headers']): Reply | 'watch' {
  const discovery = discoveryDocument(cluster.k8sVersion, path);
  if (discovery !== undefined) {
    if (method !== 'GET') throw new KubeApiError(405, `the server does not allow this method on the requested resource`, 'MethodNotAllowed');
    return { status: 200, body: discovery };
  }
  const target = parseResourcePath(path);
  if (!target) throw new KubeApiError(404, 'the server could not find the requested resource', 'NotFound');
  const { type, namespace, name, subresource } = target;
  const eviction = type.name === 'pods' && subresource === 'eviction' && name !== undefined;
  if (subresource !== undefined && subresource !== 'status' && !eviction) {
    throw new KubeApiError(404, 'the server could not find the requested resource', 'NotFound');
  }
  const dryRun = query.get('dryRun') === 'All';
  if (query.get('dryRun') !== null && !dryRun) throw new KubeApiError(400, `unsupported dry run option: ${query.get('dryRun')}`, 'BadRequest');
  if (eviction) {
    if (method !== 'POST') throw new KubeApiError(405, 'the server does not allow this method on the requested resource', 'MethodNotAllowed');
    return evictPod(cluster, namespace!, name, parseJson(body, 'Eviction'), dryRun);
  }
  const wantsTable = /as=Table/.test(headers.accept ?? '');
  const listQuery = (): ListQuery => ({
    namespace,
    fieldSelector: query.get('fieldSelector'),
    labelSelector: query.get('labelSelector'),
    limit: Number(query.get('limit')) || undefined,
    continueToken: query.get('continue'),
  });

  if (name === undefined) {
    if (type.namespaced && namespace === undefined && method !== 'GET') {
      throw new KubeApiError(405, 'the server does not allow this method on the requested resource', 'MethodNotAllowed');
    }
    switch (method) {
      case 'GET': {
        if (query.get('watch') === 'true' || query.get('watch') === '1') {
          parseFieldSelector(query.get('fieldSelector'), type);
          parseLabelSelector(query.get('labelSelector'));
          return 'watch';
        }
        const list = listObjects(cluster, type, listQuery());
        return { status: 200, body: wantsTable ? toTable(type.name, list.items, list) : listBody(type, list) };
      }
      case 'POST': {
        const object = parseJson(body, type.kind);
        const warnings = checkFields(type, object, parseFieldValidation(query.get('fieldValidation')));
        return { status: 201, body: createObject(cluster, type, namespace, object, dryRun), warnings };
      }
      case 'DELETE':
        return { status: 200, body: listBody(type, deleteCollection(cluster, type, listQuery(), deleteOptions(body, dryRun))) };
      default:
        throw new KubeApiError(405, 'the server does not allow this method on the requested resource', 'MethodNotAllowed');
    }
  }

  const status = subresource === 'status' ? 'status' as const : undefined;
  switch (method) {
    case 'GET': {
      const object = getObject(cluster, type, namespace, name);
      return { status: 200, body: wantsTable ? toTable(type.name, [object], { resourceVersion: object.metadata.resourceVersion }) : object };
    }
    case 'PUT': {
      const object = parseJson(body, type.kind);
      const warnings = checkFields(type, object, parseFieldValidation(query.get('fieldValidation')));
      return { status: 200, body: replaceObject(cluster, type, namespace, name, object, dryRun, status), warnings };
    }
    case 'PATCH': {
      const patch = parseJson(body, type.kind);
      const warnings = checkFields(type, patch, parseFieldValidation(query.get('fieldValidation')));
      return {
        status: 200,
        body: patchObject(cluster, type, namespace, name, { contentType: headers['content-type'] ?? '', patch, dryRun, subresource: status }),
        warnings,
      };
    }
    case 'DELETE':
      if (status) throw new KubeApiError(405, 'the server does not allow this method on the requested resource', 'MethodNotAllowed');
      return { status: 200, body: deleteObject(cluster, type, namespace, name, deleteOptions(body, dryRun)) };
    default:
      throw new KubeApiError(405, 'the server does not allow this method on the requested resource', 'MethodNotAllowed');
  }
}

function deleteOptions(body: string, dryRun: boolean): DeleteOptions {
  const parsed = parseJson(body, 'DeleteOptions') as { preconditions?: { uid?: unknown; resourceVersion?: unknown }; dryRun?: unknown } | undefined;
  if (parsed !== undefined && (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))) {
    throw new KubeApiError(400, 'the body of the request must be a DeleteOptions object', 'BadRequest');
  }
  const preconditions = parsed?.preconditions;
  return {
    preconditions: preconditions
      ? { uid: typeof preconditions.uid === 'string' ? preconditions.uid : undefined,
          resourceVersion: typeof preconditions.resourceVersion === 'string' ? preconditions.resourceVersion : undefined }
      : undefined,
    dryRun: dryRun || (Array.isArray(parsed?.dryRun) && parsed.dryRun.includes('All')),
  };
}

function listBody(type: ResourceType, list: ListResult) {
  return {
    kind: `${type.kind}List`,
    apiVersion: apiVersionOf(type),
    metadata: {
      resourceVersion: list.resourceVersion,
      ...(list.continueToken ? { continue: list.continueToken, remainingItemCount: list.remaining } : {}),
    },
    items: list.items,
  };
}
