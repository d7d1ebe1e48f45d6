// How activities/errors.ts classifies client errors: failure types from common/failures.ts, the
// retry decision, Retry-After, and nothing secret copied from the error.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { FailureType } from '../common/failures.js';
import { kubeFailure, linodeFailure, retryAfterDelayMs } from '../activities/errors.js';

describe('error classification', () => {
  const TOKEN = 'super-secret-linode-token';
  const axiosError = (status: number, headers: Record<string, string> = {}, reason = 'Too many requests') =>
    Object.assign(new Error(`Request failed with status code ${status} Bearer ${TOKEN}`), {
      isAxiosError: true,
      config: { headers: { Authorization: `Bearer ${TOKEN}` }, url: 'https://api.linode.com/v4/lke/clusters/1' },
      response: { status, headers, data: { errors: [{ reason }] } },
    });

  test('Linode statuses map to types and retryability, and no header or message is copied', () => {
    const cases: [number, string, boolean][] = [
      [400, FailureType.linodeBadRequest, true], [401, FailureType.linodeUnauthorized, true],
      [403, FailureType.linodeForbidden, true], [404, FailureType.linodeNotFound, true],
      [422, FailureType.linodeUnprocessable, true], [429, FailureType.linodeRateLimited, false],
      [500, FailureType.linodeServerError, false], [503, FailureType.linodeServerError, false],
    ];
    for (const [status, type, nonRetryableExpected] of cases) {
      const failure = linodeFailure(axiosError(status), 'GET cluster 1');
      assert.equal(failure.type, type, `status ${status}`);
      assert.equal(failure.nonRetryable, nonRetryableExpected, `status ${status}`);
      assert.ok(!JSON.stringify({ m: failure.message, s: failure.stack, c: failure.cause }).includes(TOKEN));
      assert.equal(failure.cause, undefined);
    }
    const maintenance = linodeFailure(axiosError(503, { 'x-maintenance-mode': 'true' }), 'GET');
    assert.equal(maintenance.type, FailureType.linodeMaintenance);
    assert.equal(maintenance.nonRetryable, true);
  });

  test('Retry-After becomes nextRetryDelay, clamped to 3..30 s and scaled', () => {
    assert.equal(linodeFailure(axiosError(429, { 'retry-after': '7' }), 'x').nextRetryDelay, 7000);
    assert.equal(linodeFailure(axiosError(429, { 'retry-after': '1' }), 'x').nextRetryDelay, 3000);
    assert.equal(linodeFailure(axiosError(429, { 'retry-after': '600' }), 'x').nextRetryDelay, 30000);
    assert.equal(linodeFailure(axiosError(429, { 'retry-after': '10' }), 'x', { retryAfterScale: 0.001 }).nextRetryDelay, 10);
    assert.equal(linodeFailure(axiosError(429), 'x').nextRetryDelay, undefined);
    const at = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(retryAfterDelayMs(new Date(at + 12_000).toUTCString(), {}, at), 12_000);
  });

  test('network errors are retryable; Kubernetes Status errors keep reason and message', () => {
    for (const code of ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'ECONNABORTED']) {
      const failure = linodeFailure(Object.assign(new Error(`boom Bearer ${TOKEN}`), {
        code, isAxiosError: true, config: { headers: { Authorization: TOKEN } },
      }), 'GET');
      assert.equal(failure.type, FailureType.linodeUnavailable);
      assert.equal(failure.nonRetryable, false);
      assert.ok(!failure.message.includes(TOKEN));
    }
    assert.equal(kubeFailure(new Error('socket hang up'), 'list').type, FailureType.kubeUnavailable);
    const tls = kubeFailure(Object.assign(new Error('self-signed certificate'), { name: 'FetchError', code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), 'list');
    assert.equal(tls.type, FailureType.kubeTlsFailed);
    assert.equal(tls.nonRetryable, true);
    const bug = linodeFailure(new TypeError(`cannot read ${TOKEN}`), 'GET');
    assert.equal(bug.nonRetryable, true);
    assert.ok(!bug.message.includes(TOKEN));
    const apiException = { code: 403, body: JSON.stringify({ kind: 'Status', reason: 'Forbidden', message: 'secrets is forbidden' }), headers: {} };
    const forbidden = kubeFailure(apiException, 'list secrets');
    assert.equal(forbidden.type, FailureType.kubeForbidden);
    assert.equal(forbidden.nonRetryable, true);
    assert.match(forbidden.message, /403 Forbidden: secrets is forbidden/);
    const limited = kubeFailure({ code: 429, body: {}, headers: { 'retry-after': '4' } }, 'list');
    assert.equal(limited.nonRetryable, false);
    assert.equal(limited.nextRetryDelay, 4000);
  });
});
