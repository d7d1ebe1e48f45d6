// Argument parsers for the CLI's flags: each refuses, before any request, what the API would refuse
// as a 400, so a usage mistake exits 2 and says why. The limits come from the API's own schemas
// (api/schemas.ts) and label-pattern compiler (common/labelPattern.ts), so the two cannot drift.
import { InvalidArgumentError } from 'commander';
import { labelPatternProblem } from '../common/labelPattern.js';
import { ClusterId, Comment, FleetConcurrency, FleetName, FleetRef, PageSize, PageToken, RegionId, SelectorTag } from '../api/schemas.js';

/** A bound the API's schema declares; a schema that stops declaring it fails loudly here, not silently. */
function declared<T>(schema: object, key: string): T {
  const value = (schema as Record<string, unknown>)[key];
  if (value === undefined) throw new Error(`api/schemas.ts no longer declares ${key}`);
  return value as T;
}

const MAX_CLUSTER_ID = declared<number>(ClusterId, 'maximum');
const FLEET_NAME = new RegExp(declared<string>(FleetName, 'pattern'));
const MAX_FLEET_NAME = declared<number>(FleetName, 'maxLength');
const FLEET_REF = new RegExp(declared<string>(FleetRef, 'pattern'));
const MAX_FLEET_REF = declared<number>(FleetRef, 'maxLength');
const MAX_COMMENT = declared<number>(Comment, 'maxLength');
const MAX_PAGE_SIZE = declared<number>(PageSize, 'maximum');
const PAGE_TOKEN = new RegExp(declared<string>(PageToken, 'pattern'));
const MAX_PAGE_TOKEN = declared<number>(PageToken, 'maxLength');
const MAX_CONCURRENCY = declared<number>(FleetConcurrency, 'maximum');
const MAX_SELECTOR_TEXT = declared<number>(SelectorTag, 'maxLength');
const MAX_REGION = declared<number>(RegionId, 'maxLength');
const REGION = new RegExp(declared<string>(RegionId, 'pattern'));

export function clusterId(value: string): number {
  if (!/^[1-9]\d{0,9}$/.test(value) || Number(value) > MAX_CLUSTER_ID) {
    throw new InvalidArgumentError('a cluster id is a positive whole number.');
  }
  return Number(value);
}

export function positive(value: string): number {
  if (!/^[1-9]\d{0,8}$/.test(value)) throw new InvalidArgumentError('must be a positive whole number.');
  return Number(value);
}

export function concurrency(value: string): number {
  const n = positive(value);
  if (n > MAX_CONCURRENCY) throw new InvalidArgumentError(`at most ${MAX_CONCURRENCY}.`);
  return n;
}

export function pageSize(value: string): number {
  const n = positive(value);
  if (n > MAX_PAGE_SIZE) throw new InvalidArgumentError(`at most ${MAX_PAGE_SIZE}.`);
  return n;
}

export function pageToken(value: string): string {
  if (value.length > MAX_PAGE_TOKEN || !PAGE_TOKEN.test(value)) throw new InvalidArgumentError('not a page token from a previous page.');
  return value;
}

export function errorBudget(value: string): { count: number } | { percent: number } {
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(value);
  if (percent && Number(percent[1]) <= 100) return { percent: Number(percent[1]) };
  if (/^\d{1,6}$/.test(value) && Number(value) <= 100_000) return { count: Number(value) };
  throw new InvalidArgumentError('give a count (3) or a percentage (10%).');
}

export function fleetName(value: string): string {
  if (value.length > MAX_FLEET_NAME || !FLEET_NAME.test(value)) {
    throw new InvalidArgumentError(`lowercase letters, digits and "-", at most ${MAX_FLEET_NAME}, starting and ending with a letter or digit.`);
  }
  return value;
}

/** A fleet by name or by a scheduled run's workflow id (which carries a time suffix). */
export function fleetRef(value: string): string {
  if (value.length > MAX_FLEET_REF || !FLEET_REF.test(value)) throw new InvalidArgumentError('not a fleet name or fleet workflow id.');
  return value;
}

export function text(value: string): string {
  if (!value.trim()) throw new InvalidArgumentError('must not be empty.');
  if (value.length > MAX_COMMENT) throw new InvalidArgumentError(`at most ${MAX_COMMENT} characters.`);
  return value;
}

export function labelPattern(value: string): string {
  const problem = labelPatternProblem(value);
  if (problem !== null) throw new InvalidArgumentError(problem);
  return value;
}

/** Repeatable flags: each occurrence checked, then collected in order. */
export function repeatable<T>(parse: (value: string) => T) {
  return (value: string, previous: T[] = []): T[] => [...previous, parse(value)];
}

export function tag(value: string): string {
  if (!value || value.length > MAX_SELECTOR_TEXT) throw new InvalidArgumentError(`1 to ${MAX_SELECTOR_TEXT} characters.`);
  return value;
}

export function region(value: string): string {
  if (value.length > MAX_REGION || !REGION.test(value)) throw new InvalidArgumentError('a region id such as us-iad.');
  return value;
}
