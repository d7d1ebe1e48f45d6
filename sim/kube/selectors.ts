// Field and label selectors with the apiserver's rules: only the field labels a resource supports,
// label keys and values validated, anything malformed is a 400 BadRequest rather than "no match".
import { badRequest } from './status.js';
import type { ResourceType } from './resources.js';
import type { KubeObject } from './store.js';

export type Predicate = (object: KubeObject) => boolean;

const ALWAYS: Predicate = () => true;

export function parseFieldSelector(selector: string | null | undefined, type: ResourceType): Predicate {
  if (!selector) return ALWAYS;
  const checks: Predicate[] = [];
  for (const term of splitTerms(selector)) {
    if (term === '') continue;
    const match = /^([^=!]+)(==|=|!=)(.*)$/.exec(term);
    if (!match) throw badRequest(`invalid selector: '${selector}'; can't understand '${term}'`);
    const [, field, operator, value] = match;
    if (field !== 'metadata.name' && field !== 'metadata.namespace' && !type.extraFieldLabels.includes(field)) {
      throw badRequest(`field label not supported: ${field}`);
    }
    const unescaped = value.replace(/\\(.)/g, '$1');
    checks.push(operator === '!='
      ? (o) => fieldValue(o, field) !== unescaped
      : (o) => fieldValue(o, field) === unescaped);
  }
  return (o) => checks.every((check) => check(o));
}

function fieldValue(object: KubeObject, field: string): string {
  switch (field) {
    case 'metadata.name': return object.metadata.name;
    case 'metadata.namespace': return object.metadata.namespace ?? '';
    case 'type': return String(object.type ?? '');
    case 'spec.nodeName': return String((object.spec as { nodeName?: string } | undefined)?.nodeName ?? '');
    case 'spec.unschedulable': return String(Boolean((object.spec as { unschedulable?: boolean } | undefined)?.unschedulable));
    case 'status.phase': return String((object.status as { phase?: string } | undefined)?.phase ?? '');
    default: return '';
  }
}

/** splits on commas outside parentheses, honouring `\,` escapes */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (let i = 0; i < selector.length; i++) {
    const ch = selector[i];
    if (ch === '\\' && i + 1 < selector.length) { current += ch + selector[++i]; continue; }
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) { terms.push(current.trim()); current = ''; continue; }
    current += ch;
  }
  terms.push(current.trim());
  return terms;
}

const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function checkKey(key: string, selector: string): void {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : '';
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const prefixOk = slash < 0 || (prefix.length > 0 && prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix));
  if (!prefixOk || name.length > 63 || !NAME.test(name)) {
    throw badRequest(`unable to parse requirement: invalid label key "${key}" in selector "${selector}"`);
  }
}

function checkValue(value: string, selector: string): void {
  if (value.length > 63 || (value !== '' && !NAME.test(value))) {
    throw badRequest(`unable to parse requirement: invalid label value: "${value}" in selector "${selector}": ` +
      'a valid label must be an empty string or consist of alphanumeric characters, \'-\', \'_\' or \'.\', ' +
      'and must start and end with an alphanumeric character');
  }
}

type Labels = Record<string, string> | undefined;

export function parseLabelSelector(selector: string | null | undefined): Predicate {
  if (!selector) return ALWAYS;
  const checks: ((labels: Labels) => boolean)[] = [];
  for (const term of splitTerms(selector)) {
    if (term === '') throw badRequest(`unable to parse requirement: found '', expected: identifier in selector "${selector}"`);
    let match: RegExpExecArray | null;
    if ((match = /^(\S+?)\s+(in|notin)\s+\(([^()]*)\)$/.exec(term))) {
      const [, key, operator, list] = match;
      checkKey(key, selector);
      const values = list.split(',').map((v) => v.trim());
      values.forEach((v) => checkValue(v, selector));
      checks.push(operator === 'in'
        ? (l) => l?.[key] !== undefined && values.includes(l[key])
        : (l) => l?.[key] === undefined || !values.includes(l[key]));
    } else if ((match = /^([^=!\s]+)\s*(==|=|!=)\s*([^=!\s]*)$/.exec(term))) {
      const [, key, operator, value] = match;
      checkKey(key, selector);
      checkValue(value, selector);
      checks.push(operator === '!=' ? (l) => l?.[key] !== value : (l) => l?.[key] === value);
    } else if ((match = /^!\s*([^=!\s(),]+)$/.exec(term))) {
      const key = match[1];
      checkKey(key, selector);
      checks.push((l) => l?.[key] === undefined);
    } else if (/^[^=!\s(),]+$/.test(term)) {
      checkKey(term, selector);
      checks.push((l) => l?.[term] !== undefined);
    } else {
      throw badRequest(`unable to parse requirement: couldn't parse the selector string "${selector}"`);
    }
  }
  return (o) => checks.every((check) => check(o.metadata.labels));
}

/** matchLabels of a workload selector against a pod's labels */
export function matchesLabels(selector: Record<string, string> | undefined, labels: Labels): boolean {
  if (!selector) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}
