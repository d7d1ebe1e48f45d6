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
];
