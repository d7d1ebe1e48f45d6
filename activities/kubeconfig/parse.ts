// Reading the admin token out of a kubeconfig, and the fingerprint that stands in for it everywhere
// the token itself must not go (workflow history, logs, API responses).
import { createHash } from 'node:crypto';
import { parse } from 'yaml';
import { FailureType } from '../../common/failures.js';
import { nonRetryable } from '../errors.js';

interface KubeconfigDoc {
  'current-context'?: string;
  contexts?: { name?: string; context?: { user?: string } }[];
  users?: { name?: string; user?: { token?: string } }[];
}

/** First 16 hex digits of sha256(token): enough to tell tokens apart, useless to an attacker. */
export function tokenFingerprint(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex').slice(0, 16);
}

/** The bearer token of the kubeconfig's current-context user (LKE: the lke-admin token). */
export function adminTokenOf(kubeconfigYaml: string): string {
  let doc: KubeconfigDoc;
  try {
    doc = parse(kubeconfigYaml) as KubeconfigDoc;
  } catch {
    throw nonRetryable(FailureType.badKubeconfig, 'kubeconfig is not valid YAML');
  }
  if (!doc || typeof doc !== 'object' || !Array.isArray(doc.users) || doc.users.length === 0) {
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
