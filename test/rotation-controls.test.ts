// The decisions behind a rotation's controls (workflows/clusterRotation/controls.ts) without
// Temporal: when each control applies and, when not, the reason the Update is refused with (the
// API and the operators read these messages).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RotationPhase } from '../common/names.js';
import type { RotationStep } from '../common/types.js';
import {
  type ControlView, decideAbort, decideApprove, decideCancel, decidePause, decideReject, decideResume, decideRetry, decideSkip,
  pauseIsPending, windowRetryDelayMs,
} from '../workflows/clusterRotation/controls.js';
import { RotationLedger } from '../workflows/clusterRotation/ledger.js';
import type { Decision } from '../workflows/decision.js';
import { carriedSelfApprovals, gatesKeptOn, gatesSwitchedOff } from '../workflows/clusterRotation/gatePolicy.js';

function runIn(phase: RotationPhase, step: RotationStep | null = null, extra: Partial<ControlView> = {}): ControlView {
  const ledger = new RotationLedger({ clusterId: 1, requestedBy: 'alice' });
  ledger.setPhase(phase, step);
  return { ledger, status: ledger.status, stop: null, compensating: false, blockedDecision: null, gateDecision: null, ...extra };
}

const reasonOf = (decision: Decision): string | null => (decision.ok ? null : decision.reason);

describe('rotation controls: decisions', () => {
  test('approve and reject need a pending gate, a name, and (reject) a reason', () => {
    const waiting = runIn('AwaitingApproval', 'approval');
    waiting.status.pendingGate = { gate: 'beforeDelete', since: 'a', timeoutAt: 'b' };
    assert.equal(reasonOf(decideApprove(waiting, { by: 'bob' })), null);
    assert.equal(reasonOf(decideApprove(waiting, undefined)), "approve needs 'by': who decides");
    assert.equal(reasonOf(decideReject(waiting, { by: 'bob', reason: '' })), 'reject needs a reason');
    assert.equal(reasonOf(decideReject(waiting, { by: 'bob', reason: 'freeze' })), null);
    waiting.gateDecision = { rejection: { by: 'carol', reason: 'no' } };
    assert.equal(reasonOf(decideApprove(waiting, { by: 'bob' })), 'this gate has already been answered');

    const later = runIn('Verifying', 'verify');
    later.status.approvals.push({ gate: 'beforeDelete', by: 'bob', at: 't1' });
    assert.equal(reasonOf(decideApprove(later, { by: 'bob' })), 'no approval is pending (phase Verifying): beforeDelete was approved by bob at t1');
  });

  test('nothing but cancel is refused silently once the rotation ended', () => {
    const ended = runIn('Completed');
    assert.equal(reasonOf(decidePause(ended)), 'cannot pause: the rotation already ended (Completed)');
    assert.equal(reasonOf(decideAbort(ended, { by: 'bob', reason: 'late' })), 'cannot abort: the rotation already ended (Completed)');
    assert.equal(decideCancel(ended).ok, false);
  });

  test('pause and resume follow the pause; no pause while compensating', () => {
    const running = runIn('DeletingTokens', 'deleteTokens');
    assert.equal(reasonOf(decideResume(running)), 'the rotation is not paused');
    assert.equal(reasonOf(decidePause(running)), null);
    running.status.paused = true;
    assert.equal(reasonOf(decidePause(running)), 'the rotation is already paused');
    assert.equal(reasonOf(decideResume(running)), null);
    assert.equal(reasonOf(decidePause(runIn('Compensating', null, { compensating: true }))),
      'cannot pause while compensating: the cluster needs working credentials first');
  });

  test('retry and skip only while Blocked, skip only where safe', () => {
    assert.equal(reasonOf(decideRetry(runIn('AwaitingApproval', 'approval'))), 'retry is only possible while the rotation is Blocked (phase is AwaitingApproval)');
    assert.equal(reasonOf(decideRetry(runIn('Blocked', 'verify'))), null);
    assert.equal(reasonOf(decideRetry(runIn('Blocked', 'verify', { blockedDecision: 'retry' }))), 'retry is only possible while the rotation is Blocked (phase is Blocked)');
    assert.equal(reasonOf(decideSkip(runIn('Blocked', 'verify'))), 'skipping verify is unsafe: verify is what proves the cluster has working credentials');
    assert.equal(reasonOf(decideSkip(runIn('Blocked', 'restartWorkloads'))), null);
  });

  test('skip at verify: only when all it lacks are user-owned token Secrets; LKE\'s credential check never', () => {
    const blockedOn = (tokenSecrets: { name: string; owner: 'lke' | 'user' }[], type = 'TokenSecretMissing'): ControlView => {
      const run = runIn('Verifying', 'verify');
      run.ledger.block('verify', { type, message: 'token Secrets without a new token: ...', tokenSecrets });
      return run;
    };
    assert.equal(reasonOf(decideSkip(blockedOn([{ name: 'ci-deployer-token', owner: 'user' }, { name: 'argocd-token', owner: 'user' }]))), null);
    assert.equal(reasonOf(decideSkip(blockedOn([{ name: 'ci-deployer-token', owner: 'user' }, { name: 'lke-admin-token-x1', owner: 'lke' }]))),
      "cannot skip: lke-admin-token-x1 is LKE's; LKE's credential check cannot be skipped (only missing user-owned token Secrets can)");
    assert.equal(reasonOf(decideSkip(blockedOn([{ name: 'ci-deployer-token', owner: 'user' }], 'VerifyIncomplete'))),
      'skipping verify is unsafe: verify is what proves the cluster has working credentials');
    assert.equal(reasonOf(decideSkip(blockedOn([]))), 'skipping verify is unsafe: verify is what proves the cluster has working credentials');
  });

  test('abort needs a name and a reason, once; cancel is ignored while a stop is under way', () => {
    const running = runIn('Regenerating', 'regenerate');
    assert.equal(reasonOf(decideAbort(running, { by: '', reason: 'x' })), "abort needs 'by': who aborts");
    assert.equal(reasonOf(decideAbort(running, { by: 'ops', reason: '' })), 'abort needs a reason');
    assert.equal(reasonOf(decideAbort(running, { by: 'ops', reason: 'window over' })), null);
    assert.equal(decideCancel(running).ok, true);
    const stopping = runIn('Regenerating', 'regenerate', { stop: { kind: 'cancel' } });
    assert.equal(reasonOf(decideAbort(stopping, { by: 'ops', reason: 'again' })), 'a stop was already requested; it takes effect after the current activity');
    assert.equal(decideCancel(stopping).ok, false);
    assert.equal(reasonOf(decideAbort(runIn('Compensating', null, { compensating: true }), { by: 'ops', reason: 'again' })),
      'the rotation is already compensating: it will end Cancelled once credentials work');
  });

  test('inside the credential window a pause is pending until delivery; resume cancels it', () => {
    const before = runIn('AwaitingApproval', 'approval');
    assert.equal(pauseIsPending(before), false, 'before the window a pause holds at once');
    const inWindow = runIn('AwaitingKubeconfig', 'awaitKubeconfig', { windowOpen: true });
    assert.equal(reasonOf(decidePause(inWindow)), null);
    assert.equal(pauseIsPending(inWindow), true);
    inWindow.status.pausePending = true;
    assert.equal(reasonOf(decidePause(inWindow)), 'a pause is already pending: it takes effect after the new kubeconfig is delivered');
    assert.equal(reasonOf(decideResume(inWindow)), null, 'resume cancels a pending pause');
    assert.equal(pauseIsPending(runIn('Compensating', null, { windowOpen: true, compensating: true })), false);
  });

  test('a step Blocked in the window retries after 1 min, doubling to 15 min, scaled by the tuning', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 20].map((n) => windowRetryDelayMs(n, undefined)),
      [60_000, 120_000, 240_000, 480_000, 900_000, 900_000]);
    assert.equal(windowRetryDelayMs(0, { windowRetryScale: 0.01 }), 600);
    assert.equal(windowRetryDelayMs(0, { windowRetryScale: 0 }), 1, 'never a zero timer');
  });
});

describe('rotation controls: four-eyes and the gate policy', () => {
  const waiting = (): ControlView => {
    const run = runIn('AwaitingApproval', 'approval');
    run.status.pendingGate = { gate: 'beforeDelete', since: 'a', timeoutAt: 'b' };
    return run;
  };

  test('the requester neither approves nor rejects their own rotation, however the name is written', () => {
    const run = waiting();
    for (const by of ['alice', 'Alice', '  ALICE ']) {
      assert.equal(reasonOf(decideApprove(run, { by })), 'the requester (alice) cannot approve their own rotation: four-eyes');
    }
    assert.equal(reasonOf(decideReject(run, { by: 'alice', reason: 'no' })),
      'the requester (alice) cannot reject their own rotation: four-eyes (abort stops it)');
    assert.equal(reasonOf(decideApprove(run, { by: '   ' })), "approve needs 'by': who decides");
    assert.equal(reasonOf(decideApprove(run, { by: 'alicia' })), null);
  });

  test('a second approval of the same gate is refused', () => {
    const run = waiting();
    run.gateDecision = { approval: { gate: 'beforeDelete', by: 'bob', at: 't' } };
    assert.equal(reasonOf(decideApprove(run, { by: 'carol' })), 'this gate has already been answered');
  });

  test('a gate is off only when the input names who switched it off', () => {
    assert.deepEqual(gatesKeptOn({ approvals: { beforeDelete: false, beforeRecycle: false } }), ['beforeDelete', 'beforeRecycle']);
    assert.deepEqual(gatesKeptOn({ approvals: { beforeDelete: false, disabledBy: ' ' } }), ['beforeDelete']);
    assert.deepEqual(gatesKeptOn({ approvals: { beforeDelete: false, disabledBy: 'root-admin' } }), []);
    assert.deepEqual(gatesKeptOn({}), []);
    assert.deepEqual(gatesSwitchedOff({ approvals: { beforeRecycle: false, disabledBy: 'fleet:rotate-fleet-x' } }),
      { gates: ['beforeRecycle'], by: 'fleet:rotate-fleet-x' });
    assert.equal(gatesSwitchedOff({ approvals: { beforeDelete: false } }), null);
  });

  test("a resumed run does not count the requester's own carried approval", () => {
    const resume = {
      previousRunId: 'r', snapshot: null, completedSteps: [], deleted: null, restarted: [], recycled: [], newFingerprint: null,
      approvals: [{ gate: 'beforeDelete' as const, by: 'Alice', at: 't' }, { gate: 'beforeRecycle' as const, by: 'bob', at: 't' }],
    };
    assert.deepEqual(carriedSelfApprovals(resume, 'alice').map((a) => a.by), ['Alice']);
    assert.deepEqual(carriedSelfApprovals(undefined, 'alice'), []);
  });
});
