// The REST semantics of the resource endpoints, independent of HTTP: validation, preconditions,
// system-managed fields, and the cascades a real cluster's controllers would perform.
import { SERVICE_ACCOUNT_NAME_ANNOTATION, SERVICE_ACCOUNT_TOKEN_TYPE } from '../../common/names.js';
import type { KubeCluster } from './cluster.js';
import { applyPatch } from './patch.js';
import { nameSuffix } from './random.js';
import { apiVersionOf, type ResourceType } from './resources.js';
import { validatePdb } from './disruption.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { KubeApiError, alreadyExists, badRequest, notFound, successStatus, type KubeStatus } from './status.js';
import { timestamp, type KubeObject, type NewObject } from './store.js';
import { isWorkloadResource } from './workloads.js';

export interface ListQuery {
  namespace?: string;
  fieldSelector?: string | null;
  labelSelector?: string | null;
  limit?: number;
  continueToken?: string | null;
}

export interface ListResult { items: KubeObject[]; resourceVersion: string; continueToken?: string; remaining?: number }

export interface DeleteOptions {
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export function listObjects(cluster: KubeCluster, type: ResourceType, query: ListQuery): ListResult {
  const byField = parseFieldSelector(query.fieldSelector, type);
  const byLabel = parseLabelSelector(query.labelSelector);
  const all = cluster.store.list(type.name, query.namespace).filter((o) => byField(o) && byLabel(o));
  const offset = query.continueToken ? decodeContinue(query.continueToken) : 0;
  const limit = query.limit && query.limit > 0 ? query.limit : all.length;
  const items = all.slice(offset, offset + limit);
  const rest = all.length - offset - items.length;
  return {
    items,
    resourceVersion: cluster.store.resourceVersion,
    ...(rest > 0 ? { continueToken: Buffer.from(JSON.stringify({ offset: offset + items.length })).toString('base64url'), remaining: rest } : {}),
  };
}

function decodeContinue(token: string): number {
  try {
    const offset = (JSON.parse(Buffer.from(token, 'base64url').toString()) as { offset?: unknown }).offset;
    if (typeof offset === 'number' && Number.isInteger(offset) && offset >= 0) return offset;
  } catch { /* answered below */ }
  throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
}

export function getObject(cluster: KubeCluster, type: ResourceType, namespace: string | undefined, name: string): KubeObject {
  const object = cluster.store.get(type.name, namespace, name);
  if (!object) throw notFound(type.name, type.group, name);
  return object;
}

export function createObject(cluster: KubeCluster, type: ResourceType, namespace: string | undefined, body: unknown, dryRun: boolean): KubeObject {
  if (!isObject(body)) throw badRequest(`the body of the request must be a ${type.kind} object`);
  checkTypeMeta(type, body);
  const metadata = isObject(body.metadata) ? body.metadata : {};
  if (metadata.namespace !== undefined && namespace !== undefined && metadata.namespace !== namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  let name = typeof metadata.name === 'string' ? metadata.name : '';
  if (!name && typeof metadata.generateName === 'string' && metadata.generateName) {
    name = `${metadata.generateName}${nameSuffix(cluster.random)}`;
  }
  if (!name) throw invalid(type, '', 'metadata.name: Required value: name or generateName is required');
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    throw invalid(type, name, `metadata.name: Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`);
  }
  if (namespace !== undefined && !cluster.store.get('namespaces', undefined, namespace)) throw notFound('namespaces', '', namespace);
  if (cluster.store.get(type.name, namespace, name)) throw alreadyExists(type.name, type.group, name);

  const object = clone(body) as NewObject;
  object.apiVersion = apiVersionOf(type);
  object.kind = type.kind;
  const { uid: _uid, resourceVersion: _rv, creationTimestamp: _created, generation: _generation, ...rest } = object.metadata;
  object.metadata = { ...rest, name, ...(namespace !== undefined ? { namespace } : {}) };
  if (type.hasGeneration) {
    object.metadata.generation = 1;
    delete object.status;
  }
  if (type.name === 'secrets') prepareSecret(object as KubeObject);
  if (type.name === 'poddisruptionbudgets') validatePdb(object as KubeObject);
  if (dryRun) return { ...object, metadata: { ...object.metadata, uid: cluster.store.newUid(), resourceVersion: '', creationTimestamp: timestamp() } } as KubeObject;

  const stored = cluster.store.create(type.name, object);
  if (isWorkloadResource(type.name)) cluster.controller.schedule(type.name, namespace!, name);
  if (type.name === 'nodes') cluster.controller.scheduleAll(undefined, 'daemonsets');
  if (type.name === 'pods') cluster.controller.scheduleAll(namespace);
  // the disruption controller has filled a new budget's status in meanwhile
  return cluster.store.get(type.name, namespace, name) ?? stored;
}

function prepareSecret(secret: KubeObject): void {
  const data: Record<string, unknown> = isObject(secret.data) ? secret.data : {};
  for (const [key, value] of Object.entries(data)) {
    if (typeof value !== 'string' || value.length % 4 !== 0 || !BASE64.test(value)) {
      throw badRequest(`Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 0 (key "${key}")`);
    }
  }
  if (isObject(secret.stringData)) {
    for (const [key, value] of Object.entries(secret.stringData)) data[key] = Buffer.from(String(value)).toString('base64');
    delete secret.stringData;
  }
  secret.type ??= 'Opaque';
  // the apiserver's validation; the token controller (tokenController.ts) fills the token in later
  if (secret.type === SERVICE_ACCOUNT_TOKEN_TYPE && !secret.metadata.annotations?.[SERVICE_ACCOUNT_NAME_ANNOTATION]) {
    throw invalid({ kind: 'Secret' }, secret.metadata.name, `metadata.annotations[${SERVICE_ACCOUNT_NAME_ANNOTATION}]: Required value`);
  }
  secret.data = data;
}

export interface PatchRequest { contentType: string; patch: unknown; dryRun: boolean; subresource?: 'status' }

export function patchObject(cluster: KubeCluster, type: ResourceType, namespace: string | undefined, name: string, request: PatchRequest): KubeObject {
  const current = getObject(cluster, type, namespace, name);
  const patched = applyPatch(request.contentType, clone(current), request.patch);
  return writeUpdate(cluster, type, current, patched, request.dryRun, request.subresource);
}

export function replaceObject(cluster: KubeCluster, type: ResourceType, namespace: string | undefined, name: string,
  body: unknown, dryRun: boolean, subresource?: 'status'): KubeObject {
  const current = getObject(cluster, type, namespace, name);
  if (!isObject(body)) throw badRequest(`the body of the request must be a ${type.kind} object`);
  checkTypeMeta(type, body);
  return writeUpdate(cluster, type, current, clone(body), dryRun, subresource);
}

function writeUpdate(cluster: KubeCluster, type: ResourceType, current: KubeObject, next: unknown, dryRun: boolean,
  subresource?: 'status'): KubeObject {
  if (!isObject(next) || !isObject(next.metadata)) throw badRequest('the result of the update is not an object with metadata');
  const meta = next.metadata;
  const { name, namespace } = current.metadata;
  if (meta.name !== undefined && meta.name !== name) {
    throw badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`);
  }
  if (meta.namespace !== undefined && meta.namespace !== namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  if (meta.uid !== undefined && meta.uid !== '' && meta.uid !== current.metadata.uid) {
    throw conflict(type, name, `Precondition failed: UID in precondition: ${String(meta.uid)}, UID in object meta: ${current.metadata.uid}`);
  }
  if (meta.resourceVersion !== undefined && meta.resourceVersion !== '' && meta.resourceVersion !== current.metadata.resourceVersion) {
    throw conflict(type, name, 'the object has been modified; please apply your changes to the latest version and try again');
  }
  if (type.name === 'secrets' && (next.type ?? 'Opaque') !== current.type) {
    throw invalid(type, name, 'type: Invalid value: "' + String(next.type) + '": field is immutable');
  }
  const updated = { ...next, apiVersion: current.apiVersion, kind: current.kind } as KubeObject;
  if (subresource === 'status') {
    Object.assign(updated, { ...clone(current), status: next.status });
  } else if (type.hasStatus) {
    updated.status = current.status;
  }
  updated.metadata = {
    ...(subresource === 'status' ? current.metadata : meta),
    name, ...(namespace !== undefined ? { namespace } : {}),
    uid: current.metadata.uid, creationTimestamp: current.metadata.creationTimestamp, resourceVersion: current.metadata.resourceVersion,
  } as KubeObject['metadata'];
  if (type.hasGeneration) {
    const specChanged = JSON.stringify(updated.spec) !== JSON.stringify(current.spec);
    updated.metadata.generation = (current.metadata.generation ?? 1) + (specChanged ? 1 : 0);
  }
  if (type.name === 'secrets') prepareSecret(updated);
  if (type.name === 'poddisruptionbudgets') validatePdb(updated);
  if (dryRun) return updated;
  const stored = cluster.store.update(type.name, updated);
  if (isWorkloadResource(type.name) && updated.metadata.generation !== current.metadata.generation) {
    cluster.controller.schedule(type.name, namespace!, name);
  }
  // a cordon or uncordon (spec.unschedulable) changes where pending pods may go
  if (type.name === 'nodes' && JSON.stringify(updated.spec) !== JSON.stringify(current.spec)) cluster.controller.scheduleAll();
  return cluster.store.get(type.name, namespace, name) ?? stored;
}

export function deleteObject(cluster: KubeCluster, type: ResourceType, namespace: string | undefined, name: string,
  options: DeleteOptions): KubeStatus {
  const current = getObject(cluster, type, namespace, name);
  const { uid, resourceVersion } = options.preconditions ?? {};
  if (uid && uid !== current.metadata.uid) {
    throw conflict(type, name, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${current.metadata.uid}`);
  }
  if (resourceVersion && resourceVersion !== current.metadata.resourceVersion) {
    throw conflict(type, name, `Precondition failed: ResourceVersion in precondition: ${resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`);
  }
  if (!options.dryRun) removeWithCascade(cluster, type, current);
  return successStatus({ name, ...(type.group ? { group: type.group } : {}), kind: type.name, uid: current.metadata.uid });
}

export function deleteCollection(cluster: KubeCluster, type: ResourceType, query: ListQuery, options: DeleteOptions): ListResult {
  const { items } = listObjects(cluster, type, { ...query, limit: undefined, continueToken: undefined });
  if (!options.dryRun) for (const item of items) removeWithCascade(cluster, type, item);
  return { items, resourceVersion: cluster.store.resourceVersion };
}

/** what garbage collection and the controllers do after a delete, done at once */
function removeWithCascade(cluster: KubeCluster, type: ResourceType, object: KubeObject): void {
  const { namespace, name } = object.metadata;
  cluster.store.delete(type.name, namespace, name);
  if (type.name === 'namespaces') {
    for (const resource of ['pods', 'deployments', 'statefulsets', 'daemonsets', 'secrets', 'serviceaccounts', 'poddisruptionbudgets'] as const) {
      for (const item of cluster.store.list(resource, name)) cluster.store.delete(resource, name, item.metadata.name);
    }
  } else if (type.name === 'nodes') {
    cluster.nodeRemoved(name);
  } else if (type.name === 'serviceaccounts') {
    for (const secret of cluster.tokenSecrets(namespace)) {
      if (secret.metadata.annotations?.[SERVICE_ACCOUNT_NAME_ANNOTATION] === name) cluster.store.delete('secrets', namespace, secret.metadata.name);
    }
  } else if (isWorkloadResource(type.name)) {
    for (const pod of cluster.controller.podsOf(type.name, object)) cluster.store.delete('pods', namespace, pod.metadata.name);
  } else if (type.name === 'pods') {
    cluster.controller.scheduleAll(namespace);
  }
}

function checkTypeMeta(type: ResourceType, body: Record<string, unknown>): void {
  if (body.kind !== undefined && body.kind !== type.kind) {
    throw badRequest(`the kind of the object (${String(body.kind)}) does not match the resource (${type.kind})`);
  }
  if (body.apiVersion !== undefined && body.apiVersion !== apiVersionOf(type)) {
    throw badRequest(`the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${apiVersionOf(type)})`);
  }
}

function conflict(type: ResourceType, name: string, detail: string): KubeApiError {
  const qualified = type.group ? `${type.name}.${type.group}` : type.name;
  return new KubeApiError(409, `Operation cannot be fulfilled on ${qualified} "${name}": ${detail}`, 'Conflict',
    { name, ...(type.group ? { group: type.group } : {}), kind: type.name });
}

function invalid(type: { kind: string; group?: string }, name: string, detail: string): KubeApiError {
  return new KubeApiError(422, `${type.kind} "${name}" is invalid: ${detail}`, 'Invalid', { name, kind: type.kind, ...(type.group ? { group: type.group } : {}) });
}
