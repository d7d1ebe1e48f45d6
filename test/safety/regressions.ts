// Counterexamples the safety property found, kept as fixed scenarios that test/safety.test.ts
// replays on every run. Paste the "as a regression" JSON of a failure report here, with the
// invariant it broke and why, when it was found.
import type { Scenario } from './scenario.js';

export interface Regression {
  /** what broke, in a few words */
  name: string;
  invariant: 'I1' | 'I2' | 'I3' | 'I4';
  /** why it broke in the code as it was when found */
  why: string;
  scenario: Scenario;
}

export const REGRESSIONS: Regression[] = [
  {
    name: 'a user-owned token Secret in kube-system leaves the cluster without credentials',
    invariant: 'I1',
    why: 'The snapshot lists every token Secret, so the user\'s own is deleted with LKE\'s; LKE\'s regenerate does not ' +
      'recreate it, so verify waits for a new token for that service account and Blocks. abort rolls forward into the ' +
      'same verify, which Blocks again, and skip is refused there: nothing is ever delivered. Found by seed 2 ' +
      '(fast-check shrank it to this; the refused approve it kept is dropped here, the drive to the end approves as dave-oncall).',
    scenario: {
      clusters: 1, gates: { beforeDelete: true, beforeRecycle: false }, restart: 'none', recycle: 'none', userTokenSecrets: 1, actions: [],
    },
  },
  {
    name: 'the requester approves their own rotation with a raw approve Update',
    invariant: 'I2',
    why: 'Four-eyes lives only in the API (api/fourEyes.ts); the workflow\'s approve validator does not compare `by` ' +
      'with requestedBy, so `temporal workflow update execute --name approve --input {"by":"alice"}` passes the gate ' +
      'and the deletes run. Found by seed 2, case 1.',
    scenario: {
      clusters: 1, gates: { beforeDelete: true, beforeRecycle: false }, restart: 'none', recycle: 'none', userTokenSecrets: 0,
      actions: [{ when: { phase: 'AwaitingApproval' }, cluster: 0, op: { op: 'approve', by: 'alice' } }],
    },
  },
  {
    name: 'a lost regenerate answer while LKE still serves the old kubeconfig makes the rotator regenerate again',
    invariant: 'I3',
    why: 'The regenerate POST takes effect but its answer is a 503. The retry looks first (docs/design.md, "The steps of ' +
      'one rotation"), but LKE still serves the old kubeconfig (staleKubeconfigMs), so it sees the old fingerprint, ' +
      'concludes nothing happened and POSTs again: two regenerates reach LKE for one regenerate step, and the ' +
      'kubeconfig the first one made is superseded. Found by the fixed seed 20261446, case 1, once cases held the ' +
      'credential window open (kept as generated: without its cancel the case did not reproduce in one try).',
    scenario: {
      clusters: 1, gates: { beforeDelete: false, beforeRecycle: false }, restart: 'kube-system', recycle: 'none', approver: 'bob', userTokenSecrets: 0,
      lke: { kubeconfigReadyMs: 1_174, staleKubeconfigMs: 1_675, deleteLatencyMs: 110, regenerateLatencyMs: 206, nodesLatencyMs: 142, regenerateAnswerLost: 503 },
      actions: [
        { when: { phase: 'DeliveringKubeconfig' }, cluster: 0, op: { op: 'cancel' } },
        { when: { phase: 'RecyclingNodes' }, cluster: 0, op: { op: 'approve', by: 'bob' } },
      ],
    },
  },
  {
    name: 'a fresh rotation after a terminate inside the window meets the 503 of its regenerate and is aborted',
    invariant: 'I1',
    why: 'The first run is terminated (Temporal Web/CLI) while it awaits the new kubeconfig: its deletes and regenerate ' +
      'are done. The fresh run\'s snapshot reads the kubeconfig, gets LKE\'s 503 (regeneration under way), retries that ' +
      'as KubeconfigNotReady until Blocked, and an abort there ends it Cancelled "before anything changed": nothing is ' +
      'ever delivered. Found by seed 20261203, case 19 (shrunk; the killWorker it kept is part of the timing, which ' +
      'this replay does not always hit: test/safety-window-e2e.test.ts holds the deterministic version).',
    scenario: {
      clusters: 1, gates: { beforeDelete: false, beforeRecycle: false }, restart: 'none', recycle: 'none', userTokenSecrets: 1,
      lke: { kubeconfigReadyMs: 1_853, staleKubeconfigMs: 300, deleteLatencyMs: 50, regenerateLatencyMs: 239, nodesLatencyMs: 100, regenerateAnswerLost: 'drop' },
      actions: [
        { when: { afterMs: 1_330 }, cluster: 0, op: { op: 'approve', by: 'bob' } },
        { when: { phase: 'AwaitingKubeconfig' }, cluster: 0, op: { op: 'terminateThenFreshStart', by: 'alice' } },
        { when: { phase: 'Verifying' }, cluster: 0, op: { op: 'killWorker' } },
      ],
    },
  },
  {
    name: 'a human retry of a Blocked regenerate POSTs again without looking',
    invariant: 'I3',
    why: 'The regenerate answer is lost (503); attempt 2 looks for a sign but LKE still serves the old kubeconfig, so it ' +
      'POSTs again, and that POST reaches LKE as the attempt times out: Blocked on regenerate, with nothing in the ' +
      'timeline. retry schedules a new activity whose attempt 1 POSTs straight away: three regenerates for one ' +
      'rotation, two steps, none explained. Found by seed 20261204, case 10 (as generated: the actions all landed ' +
      'while Blocked).',
    scenario: {
      clusters: 1, gates: { beforeDelete: true, beforeRecycle: true }, restart: 'none', recycle: 'none', approver: 'bob', userTokenSecrets: 0,
      lke: { kubeconfigReadyMs: 2_990, staleKubeconfigMs: 1_497, deleteLatencyMs: 87, regenerateLatencyMs: 495, nodesLatencyMs: 106, regenerateAnswerLost: 503 },
      actions: [
        { when: { phase: 'AwaitingKubeconfig' }, cluster: 0, op: { op: 'pause', by: 'carol' } },
        { when: { phase: 'DeletingTokens' }, cluster: 0, op: { op: 'killWorker' } },
        { when: { phase: 'Compensating' }, cluster: 0, op: { op: 'retry', by: 'alice' } },
      ],
    },
  },
  {
    name: 'a run terminated after an explained resend of its regenerate is not blamed for it',
    invariant: 'I3',
    why: 'The first regenerate answer is dropped; the retry looks for a sign while LKE still serves the old ' +
      'kubeconfig, sees none and POSTs again, with the reason in its result. The run is then terminated while it ' +
      'awaits the kubeconfig, so it has no final status, and the check read explained resends only from final ' +
      'timelines: three regenerates (two by the first run, one by a fresh run) against two steps. A false alarm of ' +
      'the check, fixed there (explained resends come from each run\'s history). Found by seed 20261205, case 49.',
    scenario: {
      clusters: 1, gates: { beforeDelete: true, beforeRecycle: false }, restart: 'none', recycle: 'none', approver: 'bob', userTokenSecrets: 0,
      lke: { kubeconfigReadyMs: 1_000, staleKubeconfigMs: 1_090, deleteLatencyMs: 50, regenerateLatencyMs: 305, nodesLatencyMs: 106, regenerateAnswerLost: 'drop' },
      actions: [
        { when: { phase: 'DeliveringKubeconfig' }, cluster: 0, op: { op: 'resumeRun', by: 'alice' } },
        { when: { phase: 'AwaitingKubeconfig' }, cluster: 0, op: { op: 'terminate' } },
        { when: { phase: 'Verifying' }, cluster: 0, op: { op: 'pause', by: 'alice' } },
        { when: { afterMs: 530 }, cluster: 0, op: { op: 'freshStart', by: 'alice' } },
      ],
    },
  },
];
