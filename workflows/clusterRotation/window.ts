// The credential window: from just before the first token delete until the new kubeconfig is
// delivered, the cluster may have no working admin credential. Inside it a stop rolls forward, a
// pause waits for delivery, a Blocked step retries on its own (stepRunner.ts), and a new kubeconfig
// that a later regenerate superseded sends the run back to await a fresh one (docs/design.md, "The
// credential window").
import { patched } from '@temporalio/workflow';
import { FailureType } from '../../common/failures.js';
import { KubeconfigSuperseded, type RotationRun } from './run.js';
import { awaitKubeconfig, deliver, recreateUserTokens, regenerate, userTokenSecrets, verify } from './steps.js';
import { blockedDecision, step } from './stepRunner.js';

/** Superseded kubeconfigs in a row before a human is asked (something else keeps regenerating). */
export const MAX_SUPERSEDED_IN_A_ROW = 3;

/**
 * Registers the roll-forward; a resumed run that already delivered never opens the window.
 * `fromSnapshot`: the snapshot found no working credentials, so the window is open already.
 */
export async function openCredentialWindow(run: RotationRun, fromSnapshot = false): Promise<void> {
  if (run.ledger.done('deliverKubeconfig')) return;
  // Until the deletes start nothing has changed, so a stop arriving before them just ends the run.
  if (!run.ledger.done('deleteTokens') && !fromSnapshot) await run.checkpoint();
  run.compensations.push(() => rollForward(run));
}

/** Delivered: the cluster's owners hold working credentials; a pause asked for meanwhile holds now. */
export function closeCredentialWindow(run: RotationRun): void {
  run.compensations = [];
  const { status, ledger } = run;
  if (status.pausePending) {
    status.pausePending = false;
    status.paused = true;
    ledger.note('paused', 'the pending pause takes effect: the new kubeconfig is delivered');
  }
}

/** The cluster may be without working credentials: finish getting new ones, never restore old. */
async function rollForward(run: RotationRun): Promise<void> {
  const { ledger } = run;
  // A kubeconfig that never appeared is most likely fixed by asking Linode to regenerate again.
  const again = run.stoppedWhileBlockedOn === 'awaitKubeconfig';
  if (again) ledger.note('roll forward: regenerate again', 'stopped while the new kubeconfig never appeared');
  if (!ledger.done('regenerate') || again) await regenerate(run, again);
  await deliverFreshCredentials(run, again);
}

/**
 * Await (unless done and not forced), verify and deliver. A new kubeconfig that answers 401 in verify
 * or deliver was superseded by a later regenerate: back to await, which no longer accepts it.
 */
export async function deliverFreshCredentials(run: RotationRun, awaitAgain = false): Promise<void> {
  let superseded = 0;
  for (;;) {
    try {
      if (awaitAgain) await awaitKubeconfig(run);
      else await step(run, 'awaitKubeconfig', () => awaitKubeconfig(run));
      await recreateUserTokensStep(run);
      await step(run, 'verify', () => verify(run));
      await step(run, 'deliverKubeconfig', () => deliver(run));
      return;
    } catch (err) {
      if (!(err instanceof KubeconfigSuperseded)) throw err;
      run.ledger.supersede(err.fingerprint, `${err.failure.type}: ${err.failure.message}`);
      awaitAgain = true;
      if (++superseded > MAX_SUPERSEDED_IN_A_ROW) {
        await askAboutSuperseding(run, superseded);
        superseded = 0;
      }
    }
  }
}

/** Blocked on awaitKubeconfig: retry (also automatic, in the window) awaits again; abort rolls forward. */
async function askAboutSuperseding(run: RotationRun, times: number): Promise<void> {
  run.ledger.block('awaitKubeconfig', {
    type: FailureType.kubeconfigSuperseded,
    message: `each new kubeconfig was superseded by a later regenerate, ${times} times in a row; is something else ` +
      'regenerating this cluster? retry awaits a fresh kubeconfig, abort rolls forward with a new regenerate',
  });
  await blockedDecision(run, 'awaitKubeconfig');
}

/**
 * User-owned token Secrets the deletes removed, created again once the new kubeconfig works (LKE's
 * regenerate brings back only its own). Only rotations that have some run it, behind a patch marker,
 * so histories recorded before it replay unchanged.
 */
async function recreateUserTokensStep(run: RotationRun): Promise<void> {
  if (userTokenSecrets(run).length === 0 || !patched('recreate-user-token-secrets')) return;
  await step(run, 'recreateUserTokens', () => recreateUserTokens(run));
}
