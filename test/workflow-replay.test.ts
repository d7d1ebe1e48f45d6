// Every recorded history (test/fixtures/histories, rewritten with RECORD_HISTORIES=1 by the tests
// that make them) replays on the current workflows without nondeterminism: a change to the workflow
// code that would break runs in flight fails here.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { rotationWorkflowBundle, UNCOUNTED } from '../worker/worker.js';
import { recordedHistories } from './support/histories.js';

const histories = recordedHistories();

describe('recorded histories replay', () => {
  test('the fixtures exist: cluster rotations and a fleet', () => {
    assert.ok(histories.some((h) => h.workflowId.startsWith('fleet-')), 'a fleet history (record with RECORD_HISTORIES=1)');
    assert.ok(histories.filter((h) => !h.workflowId.startsWith('fleet-')).length >= 2, 'cluster rotation histories');
    // the credential window's patched paths: pause pending, superseded kubeconfig, automatic retry
    assert.ok(histories.some((h) => h.workflowId === 'credential-window.json'), 'the credential window history');
    assert.ok(histories.some((h) => h.workflowId === 'user-token-secrets.json'), 'a rotation that recreates user-owned token Secrets (patched)');
  });

  for (const { workflowId, history } of histories) {
    test(`${workflowId} replays without nondeterminism`, async () => {
      await Worker.runReplayHistory({ workflowBundle: await rotationWorkflowBundle(), sinks: UNCOUNTED }, history, workflowId);
    });
  }
});
