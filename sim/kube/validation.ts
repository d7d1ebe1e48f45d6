// Unknown-field detection at the levels where typos matter most (top level and metadata), with the
// apiserver's fieldValidation modes: Strict rejects (400), Warn (the default) adds a Warning header,
// Ignore does nothing. Deeper levels (spec) are not schema-checked by the simulator.
import { badRequest } from './status.js';
import type { ResourceType } from './resources.js';

const METADATA_FIELDS = new Set([
  'name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp',
  'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields',
]);
const COMMON_FIELDS = ['apiVersion', 'kind', 'metadata'];
const TOP_LEVEL_FIELDS: Record<string, Set<string>> = {
  Secret: new Set([...COMMON_FIELDS, 'data', 'stringData', 'type', 'immutable']),
  ServiceAccount: new Set([...COMMON_FIELDS, 'secrets', 'imagePullSecrets', 'automountServiceAccountToken']),
};
const WITH_SPEC = new Set([...COMMON_FIELDS, 'spec', 'status']);

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export function parseFieldValidation(value: string | null): FieldValidation {
  if (value === null || value === '' || value === 'Warn') return 'Warn';
  if (value === 'Strict' || value === 'Ignore') return value;
  throw badRequest(`fieldValidation parameter unsupported: ${value}. Must be one of Ignore, Warn, or Strict`);
}

/** the unknown fields of a body (or a merge patch), as the apiserver names them */
export function unknownFields(type: ResourceType, body: unknown): string[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return [];
  const known = TOP_LEVEL_FIELDS[type.kind] ?? WITH_SPEC;
  const unknown = Object.keys(body).filter((key) => !key.startsWith('$') && !known.has(key));
  const metadata = (body as { metadata?: unknown }).metadata;
  if (typeof metadata === 'object' && metadata !== null && !Array.isArray(metadata)) {
    unknown.push(...Object.keys(metadata).filter((key) => !METADATA_FIELDS.has(key)).map((key) => `metadata.${key}`));
  }
  return unknown;
}

/** throws for Strict; returns the Warning header values for Warn */
export function checkFields(type: ResourceType, body: unknown, mode: FieldValidation): string[] {
  if (mode === 'Ignore') return [];
  const unknown = unknownFields(type, body);
  if (unknown.length === 0) return [];
  if (mode === 'Strict') throw badRequest(`strict decoding error: ${unknown.map((field) => `unknown field "${field}"`).join(', ')}`);
  return unknown.map((field) => `299 - "unknown field \\"${field}\\""`);
}
