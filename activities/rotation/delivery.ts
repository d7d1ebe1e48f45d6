// After the new kubeconfig works: verify the rotation, recreate user-owned token Secrets, deliver the
// kubeconfig, and release the worker's cached copies.
import { Context } from '@temporalio/activity';
import type { DeliverInput, RecreateTokensInput, ReleaseKubeconfigsInput, ReleaseKubeconfigsResult, VerifyInput, RotationActivities } from '../../common/activities.js';
import type { RecreateTokensResult, VerifyResult } from '../../common/types.js';
import { FailureType } from '../../common/failures.js';
import { KUBE_SYSTEM, isUserOwned } from '../../common/lke.js';
import { isFailureOfType, nonRetryable, retryable } from '../errors.js';
import { describeMissing, recreateUserTokenSecrets, tokenSecretsMissingFailure, tokenSecretsState } from '../tokenSecretChecks.js';
import { done, notYet, resumed, type ActivityContext } from './context.js';

interface VerifyProgress { attempts: number; oldTokenFirstAcceptedAt?: number }

/** The new kubeconfig answers 401: a later regenerate superseded it (the workflow awaits a fresh one). */
function revoked(clusterId: number, fingerprint: string) {
  return nonRetryable(FailureType.kubeconfigRevoked,
    `cluster ${clusterId}: the new kubeconfig ${fingerprint} is rejected (401): a later regenerate superseded it`);
}

/** For the new kubeconfig's failures: a 401 on it means revoked, not bad credentials. */
function revokedOn401(clusterId: number, fingerprint: string) {
  return (err: unknown): never => {
    throw isFailureOfType(err, FailureType.kubeUnauthorized) ? revoked(clusterId, fingerprint) : err;
  };
}

export function createDeliveryActivities(shared: ActivityContext): Pick<RotationActivities, 'verifyRotation' | 'recreateUserTokenSecrets' | 'deliverKubeconfig' | 'releaseKubeconfigs'> {
  const { deps, sink, cache, waitFor, kubeconfigWithFingerprint, previousKubeconfig } = shared;
  const { tokenCacheWindowMs } = shared.settings;
  return {
    async verifyRotation(input: VerifyInput): Promise<VerifyResult> {
      const { clusterId, newFingerprint, previousFingerprint, nodes, oldSecrets } = input;
      const excluded = input.excludeSecrets ?? [];
      const log = Context.current().log;
      const kube = deps.kube(await kubeconfigWithFingerprint(clusterId, newFingerprint));
      const oldKubeconfig = previousFingerprint === null ? null : await previousKubeconfig(clusterId, previousFingerprint);
      const oldKube = oldKubeconfig === null ? null : deps.kube(oldKubeconfig);
      if (oldKube === null) log.warn('old kubeconfig not at hand: cannot check the old token is dead', { clusterId });

      const progress = resumed<VerifyProgress>({ attempts: 0 });
      let oldTokenRejected: boolean | 'unchecked' = oldKube === null ? 'unchecked' : false;

      return waitFor(`cluster ${clusterId}: verify`, FailureType.verifyIncomplete, progress, async () => {
        const current = await kube.listNodes();
        const readyNames = new Set(current.filter((n) => n.ready).map((n) => n.name));
        const notReady = nodes.filter((n) => !readyNames.has(n.name)).map((n) => n.name);

        const secrets = (await Promise.all(
          [...new Set([KUBE_SYSTEM, ...oldSecrets.map((s) => s.namespace)])].map((ns) => kube.listTokenSecrets(ns)))).flat();
        const tokens = tokenSecretsState(oldSecrets, secrets, excluded);

        if (oldKube !== null && oldTokenRejected === false) {
          if (await oldKube.checkAccess() === 'unauthorized') {
            oldTokenRejected = true;
          } else {
            progress.oldTokenFirstAcceptedAt ??= Date.now();
            if (Date.now() - progress.oldTokenFirstAcceptedAt > tokenCacheWindowMs) {
              throw nonRetryable(FailureType.oldTokenStillAccepted,
                `cluster ${clusterId}: the old admin token (${previousFingerprint}) is still accepted ` +
                `${tokenCacheWindowMs} ms after it should have died`);
            }
          }
        }
        if (notReady.length > 0 || tokens.missing.length > 0 || oldTokenRejected === false) {
          const why = [
            notReady.length > 0 ? `Nodes not Ready: ${notReady.join(', ')}` : '',
            tokens.missing.length > 0 ? `token Secrets without a new token yet: ${describeMissing(tokens.missing)}` : '',
            oldTokenRejected === false ? 'the old admin token is still accepted' : '',
          ].filter(Boolean).join('; ');
          // only the Secrets left: no token Secret may hold verify forever; Blocked naming them
          const onlySecrets = notReady.length === 0 && oldTokenRejected !== false;
          return notYet(why, onlySecrets ? (waited) => tokenSecretsMissingFailure(clusterId, tokens.missing, waited) : undefined);
        }
        log.info('rotation verified', {
          clusterId, nodesReady: nodes.length, renewed: tokens.renewedServiceAccounts.length,
          userOwnedRenewed: tokens.renewedUserSecrets.length, excluded: excluded.length, oldTokenRejected,
        });
        return done({
          nodesReady: nodes.length, serviceAccountsWithNewToken: tokens.renewedServiceAccounts, oldTokenRejected, newFingerprint,
          ...(oldSecrets.some(isUserOwned) ? { userTokenSecretsRenewed: tokens.renewedUserSecrets } : {}),
          ...(excluded.length > 0 ? { excludedTokenSecrets: excluded } : {}),
        });
      }).catch(revokedOn401(clusterId, newFingerprint));
    },

    async recreateUserTokenSecrets({ clusterId, newFingerprint, secrets }: RecreateTokensInput): Promise<RecreateTokensResult> {
      const kube = deps.kube(await kubeconfigWithFingerprint(clusterId, newFingerprint));
      const result = await recreateUserTokenSecrets(kube, secrets);
      Context.current().log.info('user-owned token Secrets recreated', {
        clusterId, created: result.created.length, alreadyThere: result.alreadyThere.length,
        serviceAccountMissing: result.serviceAccountMissing,
      });
      return result;
    },

    async deliverKubeconfig({ clusterId, label, fingerprint }: DeliverInput) {
      const kubeconfig = await kubeconfigWithFingerprint(clusterId, fingerprint);
      // never hand over a kubeconfig that a later regenerate already revoked
      if (await deps.kube(kubeconfig).checkAccess() === 'unauthorized') throw revoked(clusterId, fingerprint);
      let location: string;
      try {
        location = await sink.write(clusterId, label, kubeconfig);
      } catch (err) {
        // file system errors name paths, not contents; still, keep only the code
        const code = (err as NodeJS.ErrnoException).code ?? 'unknown';
        throw retryable(FailureType.sinkWriteFailed, `cluster ${clusterId}: writing the kubeconfig failed (${code})`);
      }
      Context.current().log.info('kubeconfig delivered', { clusterId, fingerprint, location });
      return { location, fingerprint };
    },

    async releaseKubeconfigs({ clusterId }: ReleaseKubeconfigsInput): Promise<ReleaseKubeconfigsResult> {
      // only this worker's cache: another worker's entries age out (see kubeconfig/cache.ts)
      const released = await cache.release(clusterId);
      Context.current().log.info('cached kubeconfigs released', { clusterId, released });
      return { released };
    },
  };
}
