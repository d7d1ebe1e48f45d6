// The credential window's side effects: delete the token Secrets, regenerate, await the new kubeconfig.
import { Context } from '@temporalio/activity';
import type { AwaitKubeconfigInput, DeleteTokensInput, RegenerateInput, RotationActivities } from '../../common/activities.js';
import type { AwaitKubeconfigResult, DeleteTokensResult, RegenerateResult, TokenSecretRef } from '../../common/types.js';
import { FailureType } from '../../common/failures.js';
import { isFailureOfType, isTransient } from '../errors.js';
import { kubeconfigFingerprint } from '../kubeconfig/parse.js';
import { done, notYet, resumed, type ActivityContext } from './context.js';

interface AwaitProgress { attempts: number }
/**
 * Watches the kubeconfig for the settle window: a 503 (regeneration under way) or a token other
 * than `previousFingerprint` means an earlier regenerate took. Null when none appeared.
 */
async function signOfRegenerate(shared: ActivityContext, clusterId: number, previousFingerprint: string): Promise<string | null> {
  const { linode } = shared;
  const { regenerateSettleMs, pollIntervalMs } = shared.settings;
  const activity = Context.current();
  // within the attempt's own time: a retry that timed out here would only be retried again
  const budgetMs = activity.info.startToCloseTimeoutMs;
  const until = Date.now() + (budgetMs > 0 ? Math.min(regenerateSettleMs, budgetMs / 2) : regenerateSettleMs);
  for (let polls = 1; ; polls++) {
    activity.heartbeat({ settlePolls: polls });
    try {
      const fetched = await linode.getKubeconfig(clusterId);
      if (fetched.status === 'notReady') return 'the kubeconfig answers 503: a regeneration is under way';
      if (kubeconfigFingerprint(fetched.kubeconfig) !== previousFingerprint) return 'the Linode API serves a new kubeconfig';
    } catch (err) {
      if (!isTransient(err)) throw err;
    }
    if (Date.now() + pollIntervalMs > until) return null;
    await activity.sleep(pollIntervalMs);
  }
}

export function createCredentialActivities(shared: ActivityContext): Pick<RotationActivities, 'deleteTokenSecrets' | 'regenerateCredentials' | 'awaitKubeconfig'> {
  const { deps, linode, cache, waitFor, pause, linodeBackoff, currentKubeconfig } = shared;
  const { regenerateSettleMs, kubeconfigDelayMs } = shared.settings;
  return {
    async deleteTokenSecrets({ clusterId, secrets }: DeleteTokensInput): Promise<DeleteTokensResult> {
      const ctx = Context.current();
      const result: DeleteTokensResult = { deleted: [], alreadyGone: [], conflicts: [] };
      if (secrets.length === 0) return result;
      const kubeconfig = await currentKubeconfig(clusterId);
      const ownFingerprint = kubeconfigFingerprint(kubeconfig);
      const kube = deps.kube(kubeconfig);

      // Our own credential is one of these Secrets (lke-admin): deleting it first would lock us out of
      // the rest, so it goes last. Which one it is shows in the token fingerprints.
      const namespaces = [...new Set(secrets.map((s) => s.namespace))];
      let ownUids: Set<string>;
      try {
        const current = (await Promise.all(namespaces.map((ns) => kube.listTokenSecrets(ns)))).flat();
        ownUids = new Set(current.filter((s) => s.tokenFingerprint === ownFingerprint).map((s) => s.uid));
      } catch (err) {
        if (!isFailureOfType(err, FailureType.kubeUnauthorized)) throw err;
        // The credential is already dead. Since it is always deleted last, an earlier attempt got
        // through every other Secret before deleting it.
        ctx.log.warn('kubeconfig already rejected: an earlier attempt finished the deletes', { clusterId });
        result.alreadyGone.push(...secrets.map((s) => s.name));
        return result;
      }
      const ordered: TokenSecretRef[] = [
        ...secrets.filter((s) => !ownUids.has(s.uid)), ...secrets.filter((s) => ownUids.has(s.uid)),
      ];
      for (const secret of ordered) {
        const outcome = await kube.deleteSecret(secret.namespace, secret.name, secret.uid);
        if (outcome === 'deleted') result.deleted.push(secret.name);
        else if (outcome === 'notFound') result.alreadyGone.push(secret.name);
        else {
          result.conflicts.push(secret.name);
          ctx.log.warn('token Secret was replaced after the snapshot; left alone', { clusterId, secret: secret.name });
        }
        ctx.heartbeat({ processed: result.deleted.length + result.alreadyGone.length + result.conflicts.length });
      }
      ctx.log.info('token Secrets deleted', {
        clusterId, deleted: result.deleted.length, alreadyGone: result.alreadyGone.length, conflicts: result.conflicts.length,
      });
      return result;
    },

    async regenerateCredentials({ clusterId, previousFingerprint, lookFirst = false }: RegenerateInput): Promise<RegenerateResult> {
      const ctx = Context.current();
      const { attempt } = ctx.info;
      // An earlier attempt may have regenerated and lost the reply (a 5xx after the side effect, a
      // dropped connection, a dead worker). LKE shows a regeneration under way as a 503 kubeconfig and
      // a finished one as a kubeconfig with a new token, but it may keep serving the old kubeconfig
      // for a while first; a second POST would only rotate again, so a retry watches for a sign of
      // the earlier one for the settle window before it POSTs.
      let reason: string | undefined;
      if ((attempt > 1 || lookFirst) && typeof previousFingerprint === 'string') {
        const sign = await signOfRegenerate(shared, clusterId, previousFingerprint);
        if (sign !== null) {
          ctx.log.info('an earlier attempt already regenerated; not regenerating again', { clusterId, sign });
          return { posted: false, attempt, reason: sign };
        }
        reason = `an earlier ${attempt > 1 ? 'attempt' : 'regenerate'}'s answer was lost and LKE showed no sign of it within ${regenerateSettleMs} ms`;
      }
      await linode.regenerate(clusterId, { kubeconfig: true, servicetoken: true });
      ctx.log.info('credentials regenerated', { clusterId, attempt });
      return { posted: true, attempt, ...(reason ? { reason } : {}) };
    },

    async awaitKubeconfig({ clusterId, previousFingerprint, supersededFingerprints = [] }: AwaitKubeconfigInput): Promise<AwaitKubeconfigResult> {
      const progress = resumed<AwaitProgress>({ attempts: 0 });
      // LKE serves the new kubeconfig minutes after a regenerate: polling before that only spends the
      // account's Linode budget. A retried attempt (progress from the heartbeat) has waited already.
      const startedAt = Date.now();
      if (progress.attempts === 0) await pause(kubeconfigDelayMs, () => Context.current().heartbeat({ ...progress }));
      const fingerprint = await waitFor(`cluster ${clusterId}: new kubeconfig`, FailureType.kubeconfigNotReady, progress, async () => {
        const fetched = await linode.getKubeconfig(clusterId);
        if (fetched.status === 'notReady') return notYet('the Linode API answers 503, kubeconfig not yet available');
        const candidate = kubeconfigFingerprint(fetched.kubeconfig);
        // LKE can keep serving the old kubeconfig for a while after regenerate
        if (candidate === previousFingerprint) return notYet('the Linode API still serves the old kubeconfig');
        if (supersededFingerprints.includes(candidate)) return notYet(`the Linode API still serves ${candidate}, already superseded`);
        // the control plane restarts with the new token; until then the apiserver answers 401
        if (await deps.kube(fetched.kubeconfig).checkAccess() !== 'ok') return notYet(`the apiserver rejects the new token ${candidate}`);
        await cache.put(clusterId, candidate, fetched.kubeconfig);
        return done(candidate);
      }, { pauseAfter: linodeBackoff, startedAt });
      Context.current().log.info('new kubeconfig works', { clusterId, fingerprint, attempts: progress.attempts });
      return { fingerprint, attempts: progress.attempts };
    },
  };
}
