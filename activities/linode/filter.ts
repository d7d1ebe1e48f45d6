// Linode's X-Filter header for GET /lke/clusters, built from the port's ClusterCriteria. The only
// place that writes filter syntax: the fleet's selection and the API's cluster listing both say what
// they want in ClusterCriteria. Fields combine with +and; a list criterion matches any of its values
// (+or); on `tags` equality means "has this tag".
import type { ClusterCriteria } from '../ports.js';

/** A JSON object in Linode's filter language. */
export type LinodeFilter = Record<string, unknown>;

const anyOf = (field: string, values: readonly string[]): LinodeFilter =>
  values.length === 1 ? { [field]: values[0] } : { '+or': values.map((value) => ({ [field]: value })) };

/** The X-Filter for the criteria; undefined when there are none (no header is sent). */
export function linodeFilter(criteria: ClusterCriteria = {}): LinodeFilter | undefined {
  const parts: LinodeFilter[] = [];
  if (criteria.tags?.length) parts.push(anyOf('tags', criteria.tags));
  if (criteria.regions?.length) parts.push(anyOf('region', criteria.regions));
  if (criteria.labelContains) parts.push({ label: { '+contains': criteria.labelContains } });
  if (parts.length === 0) return undefined;
  return parts.length === 1 ? parts[0] : { '+and': parts };
}
