// The three PATCH content types the apiserver accepts for built-in resources: JSON merge patch
// (RFC 7386), strategic merge patch (merge patch plus keyed list merging and $patch directives, the
// subset kubectl sends) and JSON patch (RFC 6902).
import { KubeApiError, badRequest } from './status.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const PATCH_TYPES = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
} as const;

export function applyPatch(contentType: string, target: unknown, patch: unknown): unknown {
  const type = contentType.split(';')[0].trim().toLowerCase();
  switch (type) {
    case PATCH_TYPES.merge:
      if (!isObject(patch)) throw badRequest('the patch must be a JSON object');
      return mergePatch(target as Json, patch);
    case PATCH_TYPES.strategic:
      if (!isObject(patch)) throw badRequest('the patch must be a JSON object');
      return strategicMerge(target as Json, patch);
    case PATCH_TYPES.json:
      if (!Array.isArray(patch)) throw badRequest('the JSON patch must be an array of operations');
      return jsonPatch(target as Json, patch);
    default:
      throw new KubeApiError(415, `the body of the request was in an unknown format - accepted media types include: ` +
        `${PATCH_TYPES.json}, ${PATCH_TYPES.merge}, ${PATCH_TYPES.strategic}, application/apply-patch+yaml`, 'UnsupportedMediaType');
  }
}

export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return patch;
  const result: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key] ?? null, value);
  }
  return result;
}

/** list fields kubectl patches by key rather than replacing (from the Go types' patchMergeKey tags) */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name', initContainers: 'name', ephemeralContainers: 'name', env: 'name', volumes: 'name',
  volumeMounts: 'name', imagePullSecrets: 'name', ports: 'containerPort', ownerReferences: 'uid',
  conditions: 'type', secrets: 'name', hostAliases: 'ip', topologySpreadConstraints: 'topologyKey',
};

function strategicMerge(target: Json, patch: JsonObject): Json {
  if (patch.$patch === 'replace') {
    const { $patch: _directive, ...rest } = patch;
    return stripDirectives(rest);
  }
  if (patch.$patch === 'delete') return null;
  const result: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) continue;
    if (key.startsWith('$setElementOrder/') || key.startsWith('$deleteFromPrimitiveList/') || key === '$retainKeys') continue;
    if (value === null) {
      delete result[key];
    } else if (Array.isArray(value) && MERGE_KEYS[key] && value.every(isObject)) {
      result[key] = mergeKeyedList(Array.isArray(result[key]) ? result[key] as Json[] : [], value as JsonObject[], MERGE_KEYS[key]);
    } else if (isObject(value)) {
      const merged = strategicMerge(result[key] ?? null, value);
      if (merged === null) delete result[key];
      else result[key] = merged;
    } else {
      result[key] = value;
    }
  }
  return result;
}

function mergeKeyedList(target: Json[], patch: JsonObject[], mergeKey: string): Json[] {
  const result = [...target];
  for (const item of patch) {
    const index = result.findIndex((existing) => isObject(existing) && existing[mergeKey] === item[mergeKey]);
    if (item.$patch === 'delete') {
      if (index >= 0) result.splice(index, 1);
    } else if (index >= 0) {
      result[index] = strategicMerge(result[index], item);
    } else {
      result.push(stripDirectives(item));
    }
  }
  return result;
}

function stripDirectives(value: Json): Json {
  if (Array.isArray(value)) return value.map(stripDirectives);
  if (!isObject(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([k]) => !k.startsWith('$')).map(([k, v]) => [k, stripDirectives(v)]));
}

interface JsonPatchOperation { op: string; path: string; value?: Json; from?: string }

function jsonPatch(target: Json, operations: unknown[]): Json {
  let document: Json = structuredClone(target);
  for (const raw of operations) {
    if (!isObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') {
      throw badRequest('a JSON patch operation needs "op" and "path"');
    }
    const op = raw as unknown as JsonPatchOperation;
    switch (op.op) {
      case 'add': document = setAt(document, op.path, requireValue(op), true); break;
      case 'replace': getAt(document, op.path); document = setAt(document, op.path, requireValue(op), false); break;
      case 'remove': document = removeAt(document, op.path); break;
      case 'test':
        if (JSON.stringify(getAt(document, op.path)) !== JSON.stringify(requireValue(op))) {
          throw new KubeApiError(422, `the server rejected our request due to an error in our request: testing value ${op.path} failed`, 'Invalid');
        }
        break;
      case 'copy': document = setAt(document, op.path, structuredClone(getAt(document, op.from ?? '')), true); break;
      case 'move': {
        const value = getAt(document, op.from ?? '');
        document = setAt(removeAt(document, op.from ?? ''), op.path, value, true);
        break;
      }
      default: throw badRequest(`Unexpected kind: ${op.op}`);
    }
  }
  return document;
}

function requireValue(op: JsonPatchOperation): Json {
  if (op.value === undefined) throw badRequest(`missing value for ${op.op} at ${op.path}`);
  return op.value;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw badRequest(`invalid JSON pointer: ${path}`);
  return path.slice(1).split('/').map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function getAt(document: Json, path: string): Json {
  let node: Json = document;
  for (const part of pointer(path)) {
    const next: Json | undefined = Array.isArray(node) ? node[Number(part)] : isObject(node) ? node[part] : undefined;
    if (next === undefined) throw new KubeApiError(422, `the server rejected our request due to an error in our request: ${path} not found`, 'Invalid');
    node = next;
  }
  return node;
}

function parentOf(document: Json, path: string): { parent: Json; last: string } {
  const parts = pointer(path);
  if (parts.length === 0) throw badRequest('cannot patch the document root');
  const last = parts.pop()!;
  return { parent: getAt(document, parts.map((p) => `/${p.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('')), last };
}

function setAt(document: Json, path: string, value: Json, insert: boolean): Json {
  const { parent, last } = parentOf(document, path);
  if (Array.isArray(parent)) {
    const index = last === '-' ? parent.length : Number(last);
    if (!Number.isInteger(index) || index < 0 || index > parent.length) throw badRequest(`index out of range: ${path}`);
    if (insert) parent.splice(index, 0, value);
    else parent[index] = value;
  } else if (isObject(parent)) {
    parent[last] = value;
  } else {
    throw new KubeApiError(422, `the server rejected our request due to an error in our request: ${path} has no parent object`, 'Invalid');
  }
  return document;
}

function removeAt(document: Json, path: string): Json {
  getAt(document, path);
  const { parent, last } = parentOf(document, path);
  if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else if (isObject(parent)) delete parent[last];
  return document;
}
