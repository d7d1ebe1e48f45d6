// Linode's X-Filter header: JSON with field equality, `+and`/`+or` lists, per-field operators
// (`+contains`, `+neq`, `+gt`, `+gte`, `+lt`, `+lte`) and `+order_by`/`+order`. A filter on a field the
// endpoint does not allow, or an unknown operator, is a 400 like the real API's.
import type { LkeCluster } from '../../common/types.js';
import { LinodeApiError } from './errors.js';

type Primitive = string | number | boolean;
export type Predicate = (cluster: LkeCluster) => boolean;

export interface CompiledFilter {
  matches: Predicate;
  order?: { by: SortableField; direction: 'asc' | 'desc' };
}

const FILTERABLE = ['label', 'region', 'k8s_version', 'tags'] as const;
type FilterableField = (typeof FILTERABLE)[number];
const SORTABLE = ['id', 'label', 'region', 'k8s_version', 'created', 'updated'] as const;
type SortableField = (typeof SORTABLE)[number];
const FIELD = 'X-Filter';

function fail(reason: string): never {
  throw new LinodeApiError(400, reason, FIELD);
}

export function compileClusterFilter(header: string | undefined): CompiledFilter {
  if (header === undefined || header.trim() === '') return { matches: () => true };
  let parsed: unknown;
  try {
    parsed = JSON.parse(header);
  } catch {
    fail('Invalid JSON');
  }
  if (!isObject(parsed)) fail('Filter must be a JSON object');
  const { '+order_by': orderBy, '+order': order, ...rest } = parsed;
  const compiled: CompiledFilter = { matches: compileObject(rest) };
  if (orderBy !== undefined) {
    if (typeof orderBy !== 'string' || !(SORTABLE as readonly string[]).includes(orderBy)) fail(`Cannot order by ${String(orderBy)}`);
    if (order !== undefined && order !== 'asc' && order !== 'desc') fail('+order must be "asc" or "desc"');
    compiled.order = { by: orderBy as SortableField, direction: order ?? 'asc' };
  } else if (order !== undefined) {
    fail('+order requires +order_by');
  }
  return compiled;
}

export function sortClusters(clusters: LkeCluster[], order: NonNullable<CompiledFilter['order']>): LkeCluster[] {
  const sign = order.direction === 'asc' ? 1 : -1;
  return [...clusters].sort((a, b) => {
    const x = a[order.by];
    const y = b[order.by];
    const byValue = typeof x === 'number' && typeof y === 'number'
      ? x - y
      : String(x).localeCompare(String(y), 'en', { numeric: true });
    return sign * byValue || a.id - b.id;
  });
}

function compileObject(filter: Record<string, unknown>): Predicate {
  const parts: Predicate[] = Object.entries(filter).map(([key, value]) => {
    if (key === '+and' || key === '+or') {
      if (!Array.isArray(value) || value.length === 0 || !value.every(isObject)) fail(`${key} must be a non-empty list of filters`);
      const subs = (value as Record<string, unknown>[]).map(compileObject);
      return key === '+and' ? (c) => subs.every((p) => p(c)) : (c) => subs.some((p) => p(c));
    }
    if (key.startsWith('+')) fail(`Unknown operator ${key}`);
    if (!(FILTERABLE as readonly string[]).includes(key)) fail(`Cannot filter on ${key}`);
    return compileField(key as FilterableField, value);
  });
  return (c) => parts.every((p) => p(c));
}

// Reasons as the real API words them (linode/linode-cli#151, #196, #370).
function compileField(field: FilterableField, condition: unknown): Predicate {
  if (isPrimitive(condition)) return fieldTest(field, (v) => v === String(condition));
  if (!isObject(condition)) fail(field === 'tags' ? 'Tags filter must be a string or dict' : 'Could not apply filter');
  const tests = Object.entries(condition).map(([op, operand]): Predicate => {
    if (!isPrimitive(operand)) fail('Could not apply filter');
    const wanted = String(operand);
    switch (op) {
      case '+contains': return fieldTest(field, (v) => v.includes(wanted));
      case '+neq': return (c) => !fieldTest(field, (v) => v === wanted)(c);
      case '+gt': return fieldTest(field, (v) => compare(v, wanted) > 0);
      case '+gte': return fieldTest(field, (v) => compare(v, wanted) >= 0);
      case '+lt': return fieldTest(field, (v) => compare(v, wanted) < 0);
      case '+lte': return fieldTest(field, (v) => compare(v, wanted) <= 0);
      default: return fail(`Unknown operator ${op}`);
    }
  });
  return (c) => tests.every((t) => t(c));
}

/** tags match when any tag does; the other fields are single strings */
function fieldTest(field: FilterableField, test: (value: string) => boolean): Predicate {
  if (field === 'tags') return (c) => c.tags.some(test);
  return (c) => test(c[field]);
}

function compare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPrimitive(value: unknown): value is Primitive {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}
