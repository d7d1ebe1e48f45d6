// The token Secret side of a rotation after the regenerate: recreating the user-owned ones (LKE's
// regenerate brings back only its own) and telling, at verify, which Secrets hold a new token and
// which are still missing. References and fingerprints only: no token is read into a result.
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../common/failures.js';
import { isUserOwned } from '../common/lke.js';
import type { MissingTokenSecret, RecreateTokensResult, TokenSecretRef } from '../common/types.js';
import type { KubePort, TokenSecretInfo } from './ports.js';

/**
 * Creates each user-owned Secret again, without data, for the token controller to fill. Safe to run
 * twice: a Secret of that name with another uid than the snapshot's is the new one already, and a
 * create that meets one (409) is done too. One whose service account is gone is reported, not
 * created: the token controller would delete it instead of filling it.
 */
export async function recreateUserTokenSecrets(kube: KubePort, secrets: TokenSecretRef[]): Promise<RecreateTokensResult> {
  const result: RecreateTokensResult = { created: [], alreadyThere: [], serviceAccountMissing: [] };
  const current = new Map<string, TokenSecretInfo[]>();
  for (const secret of secrets.filter(isUserOwned)) {
    if (!current.has(secret.namespace)) current.set(secret.namespace, await kube.listTokenSecrets(secret.namespace));
    const existing = current.get(secret.namespace)!.find((s) => s.name === secret.name);
    if (existing && existing.uid !== secret.uid) {
      result.alreadyThere.push(secret.name);
      continue;
    }
    if (!(await kube.serviceAccountExists(secret.namespace, secret.serviceAccount))) {
      result.serviceAccountMissing.push(secret.name);
      continue;
    }
    const outcome = await kube.createTokenSecret({
      namespace: secret.namespace, name: secret.name, serviceAccount: secret.serviceAccount,
      labels: secret.labels ?? {}, annotations: secret.annotations ?? {},
    });
    (outcome === 'created' ? result.created : result.alreadyThere).push(secret.name);
  }
  return result;
}

export interface TokenSecretsState {
  /** LKE service accounts with a new token Secret (new uid) */
  renewedServiceAccounts: string[];
  /** user-owned Secrets back under their own name, with a new uid and a token */
  renewedUserSecrets: string[];
  /** the snapshot's Secrets that have no new token yet, named */
  missing: (MissingTokenSecret & { why: string })[];
}

/**
 * Which of the snapshot's token Secrets hold a new token now. LKE's are renewed per service account
 * under new names; a user's must be back under its own name, with a new uid and a non-empty token
 * (its fingerprint tells only that it is filled: the old token was never read to compare).
 */
export function tokenSecretsState(oldSecrets: TokenSecretRef[], current: TokenSecretInfo[], exclude: readonly string[]): TokenSecretsState {
  const oldUids = new Set(oldSecrets.map((s) => s.uid));
  const checked = oldSecrets.filter((s) => !exclude.includes(s.name));
  const state: TokenSecretsState = { renewedServiceAccounts: [], renewedUserSecrets: [], missing: [] };
  const lkeAccounts = [...new Set(checked.filter((s) => !isUserOwned(s) && s.serviceAccount !== '').map((s) => s.serviceAccount))].sort();
  for (const sa of lkeAccounts) {
    if (current.some((s) => s.serviceAccount === sa && !oldUids.has(s.uid))) state.renewedServiceAccounts.push(sa);
    else {
      const names = checked.filter((s) => !isUserOwned(s) && s.serviceAccount === sa).map((s) => s.name);
      for (const name of names) state.missing.push({ name, owner: 'lke', why: `no new token Secret for LKE's service account ${sa}` });
    }
  }
  for (const secret of checked.filter(isUserOwned)) {
    const now = current.find((s) => s.namespace === secret.namespace && s.name === secret.name);
    if (now && now.uid !== secret.uid && now.tokenFingerprint !== null) state.renewedUserSecrets.push(secret.name);
    else {
      const why = !now ? 'not recreated' : now.uid === secret.uid ? 'still the old Secret' : 'no token filled in yet';
      state.missing.push({ name: secret.name, owner: 'user', why: `${why} (service account ${secret.serviceAccount})` });
    }
  }
  return state;
}

export function describeMissing(missing: TokenSecretsState['missing']): string {
  return missing.map((m) => `${m.name} (${m.owner === 'user' ? 'user-owned' : "LKE's"}: ${m.why})`).join(', ');
}

/**
 * Verify gave up with only token Secrets missing: not retried (its wait was the whole window), the
 * rotation is Blocked naming them, and the details tell `skip` which are user-owned.
 */
export function tokenSecretsMissingFailure(clusterId: number, missing: TokenSecretsState['missing'], waited: string): ApplicationFailure {
  const details: MissingTokenSecret[] = missing.map(({ name, owner }) => ({ name, owner }));
  return ApplicationFailure.create({
    type: FailureType.tokenSecretMissing,
    message: `cluster ${clusterId}: token Secrets without a new token ${waited}: ${describeMissing(missing)}`,
    nonRetryable: true,
    details: [details],
  });
}
