// Which kube-system token Secrets are LKE's and which a user made, and the part of a user-owned one
// that recreating it carries over. Recreated Secrets get a new token from the token controller, so
// nothing that can hold secret data may travel: annotations that can carry a copy of the Secret
// (kubectl's last-applied-configuration can hold data.token) are dropped, data is never read here.
import { SERVICE_ACCOUNT_NAME_ANNOTATION } from '../../common/names.js';
import type { TokenSecretOwner, TokenSecretRef } from '../../common/types.js';

/** kubectl apply's copy of the whole object: for a Secret it can include data.token. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/** Set by the token controller to the service account's uid: it sets it again on the new Secret. */
export const SERVICE_ACCOUNT_UID_ANNOTATION = 'kubernetes.io/service-account.uid';

/**
 * Annotations never carried over: the ones that can hold secret data, and the one the token
 * controller owns (a stale service-account uid would make it delete the new Secret).
 */
const NOT_CARRIED: ReadonlySet<string> = new Set([LAST_APPLIED_ANNOTATION, SERVICE_ACCOUNT_UID_ANNOTATION]);

/** The annotations a recreated token Secret keeps: all but NOT_CARRIED (the service-account name stays). */
export function carriedAnnotations(annotations: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(annotations ?? {}).filter(([key]) => !NOT_CARRIED.has(key)));
}

export function ownerOf(serviceAccount: string, lkeServiceAccounts: readonly string[]): TokenSecretOwner {
  return lkeServiceAccounts.includes(serviceAccount) ? 'lke' : 'user';
}

/** A listed token Secret as the snapshot records it: LKE's by reference, a user's with what recreating it needs. */
export function snapshotRef(
  secret: TokenSecretRef & { labels?: Record<string, string>; annotations?: Record<string, string> },
  lkeServiceAccounts: readonly string[],
): TokenSecretRef {
  const { namespace, name, uid, serviceAccount, created } = secret;
  const owner = ownerOf(serviceAccount, lkeServiceAccounts);
  const ref: TokenSecretRef = { namespace, name, uid, serviceAccount, created, owner };
  if (owner === 'lke') return ref;
  return {
    ...ref,
    labels: { ...secret.labels },
    annotations: { ...carriedAnnotations(secret.annotations), [SERVICE_ACCOUNT_NAME_ANNOTATION]: serviceAccount },
  };
}
