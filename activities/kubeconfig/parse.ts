// Reading the admin token out of a kubeconfig, and the fingerprint that stands in for it everywhere
// the token itself must not go (workflow history, logs, API responses). Every kubeconfig the worker
// uses is read here first, and one that would weaken or escape the worker is refused: TLS
// verification switched off (insecure-skip-tls-verify), or a user that runs a command (exec) or a
// plugin (auth-provider) on the worker. LKE's kubeconfigs carry neither; refusing names the field,
// never its content.
import { createHash } from 'node:crypto';
import { parse } from 'yaml';
import { FailureType } from '../../common/failures.js';
import { nonRetryable } from '../errors.js';

interface KubeconfigDoc {
  'current-context'?: string;
  clusters?: { name?: string; cluster?: Record<string, unknown> }[];
  contexts?: { name?: string; context?: { user?: string } }[];
  users?: { name?: string; user?: { token?: string } & Record<string, unknown> }[];
}

/** Per entry: the fields that make a kubeconfig unsafe to use. */
const UNSAFE_CLUSTER_FIELDS = ['insecure-skip-tls-verify'] as const;
const UNSAFE_USER_FIELDS = ['exec', 'auth-provider'] as const;

/** The unsafe fields a kubeconfig sets, as paths such as "users[0].user.exec" (never their values). */
export function unsafeKubeconfigFields(doc: KubeconfigDoc): string[] {
  const set = (value: unknown): boolean => value !== undefined && value !== null && value !== false;
  const found: string[] = [];
  (Array.isArray(doc.clusters) ? doc.clusters : []).forEach((entry, i) => {
    for (const field of UNSAFE_CLUSTER_FIELDS) if (set(entry?.cluster?.[field])) found.push(`clusters[${i}].cluster.${field}`);
  });
  (Array.isArray(doc.users) ? doc.users : []).forEach((entry, i) => {
    for (const field of UNSAFE_USER_FIELDS) if (set(entry?.user?.[field])) found.push(`users[${i}].user.${field}`);
  });
  return found;
}

function parseKubeconfig(kubeconfigYaml: string): KubeconfigDoc {
  let doc: KubeconfigDoc;
  try {
    doc = parse(kubeconfigYaml) as KubeconfigDoc;
  } catch {
    throw nonRetryable(FailureType.badKubeconfig, 'kubeconfig is not valid YAML');
  }
  if (!doc || typeof doc !== 'object') throw nonRetryable(FailureType.badKubeconfig, 'kubeconfig is not a YAML mapping');
  const unsafe = unsafeKubeconfigFields(doc);
  if (unsafe.length > 0) {
    throw nonRetryable(FailureType.unsafeKubeconfig,
      `kubeconfig refused: it sets ${unsafe.join(', ')} (TLS verification off, or a command or plugin run on the worker)`);
  }
  return doc;
}

/** Throws UnsafeKubeconfig (or BadKubeconfig) unless the kubeconfig is safe to hand to a Kubernetes client. */
export function assertSafeKubeconfig(kubeconfigYaml: string): void {
  parseKubeconfig(kubeconfigYaml);
}

/** First 16 hex digits of sha256(token): enough to tell tokens apart, useless to an attacker. */
export function tokenFingerprint(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex').slice(0, 16);
}

/** The bearer token of the kubeconfig's current-context user (LKE: the lke-admin token). */
export function adminTokenOf(kubeconfigYaml: string): string {
  const doc = parseKubeconfig(kubeconfigYaml);
  if (!Array.isArray(doc.users) || doc.users.length === 0) {
    throw nonRetryable(FailureType.badKubeconfig, 'kubeconfig has no users');
  }
  const contextUser = doc.contexts?.find((c) => c.name === doc['current-context'])?.context?.user;
  const user = doc.users.find((u) => u.name === contextUser) ?? doc.users[0];
  const token = user?.user?.token;
  if (typeof token !== 'string' || token === '') {
    throw nonRetryable(FailureType.badKubeconfig, 'kubeconfig user has no bearer token');
  }
  return token;
}

export function kubeconfigFingerprint(kubeconfigYaml: string): string {
  return tokenFingerprint(adminTokenOf(kubeconfigYaml));
}
