// What LKE itself puts in every cluster, as the simulator, the activities, the test fakes and the
// tests all need it (docs/design.md, "Facts about the real APIs").
import type { TokenSecretRef } from './types.js';

export const KUBE_SYSTEM = 'kube-system';

/** The service account whose token is the kubeconfig's admin credential. */
export const ADMIN_SERVICE_ACCOUNT = 'lke-admin';

/** The service accounts whose legacy token Secrets LKE keeps in kube-system, as the guide names them. */
export const LKE_TOKEN_SERVICE_ACCOUNTS = [
  'ccm-user', 'cluster-autoscaler-user', 'kubernetes-dashboard-lke-user', ADMIN_SERVICE_ACCOUNT,
] as const;

/**
 * Clusters at 1.26+ have more: the guide says so without naming them; these two are plausible
 * stand-ins for the simulator.
 */
export const LKE_TOKEN_SERVICE_ACCOUNTS_SINCE_1_26 = ['csi-controller-user', 'konnectivity-agent-user'] as const;

export function lkeTokenServiceAccounts(k8sVersion: string): string[] {
  const minor = Number(k8sVersion.split('.')[1] ?? 0);
  return minor >= 26
    ? [...LKE_TOKEN_SERVICE_ACCOUNTS, ...LKE_TOKEN_SERVICE_ACCOUNTS_SINCE_1_26]
    : [...LKE_TOKEN_SERVICE_ACCOUNTS];
}

/** A token Secret a user made for their own service account; refs from older histories (no owner) are LKE's. */
export const isUserOwned = (secret: TokenSecretRef): boolean => secret.owner === 'user';

/** Linode's documented general limit per token: 1,600 requests per 2-minute window (docs/design.md, "Facts about the real APIs"). */
export const LINODE_GENERAL_LIMIT: { readonly limit: number; readonly windowMs: number } = { limit: 1_600, windowMs: 120_000 };

/** The requests per second a share of the account's general limit allows. */
export function linodeBudgetPerSecond(share: number, general = LINODE_GENERAL_LIMIT): number {
  return (share * general.limit) / (general.windowMs / 1000);
}
