// The HTTP API refuses bad input with 400 and names the field, over fake services.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { InjectOptions } from 'fastify';
import { bearer, TOKENS, useFakeApp } from './support/apiFakes.js';
import { assertError, json, operator, viewer } from './support/apiHttp.js';

describe('API input validation', () => {
  const f = useFakeApp();

  const start = (payload: unknown, headers: Record<string, string> = {}) =>
    f.app.inject({ method: 'POST', url: '/v1/rotations', headers: { ...operator, ...headers }, payload: payload as InjectOptions['payload'] });

  it('refuses wrong types and names the field', async () => {
    const cases: [unknown, string][] = [
      [{ clusterId: '5' }, 'clusterId'],
      [{ clusterId: 5.5 }, 'clusterId'],
      [{ clusterId: true }, 'clusterId'],
      [{ clusterId: null }, 'clusterId'],
      [{ clusterId: 5, dryRun: 'yes' }, 'dryRun'],
      [{ clusterId: 5, approvals: { beforeDelete: 1 } }, 'approvals.beforeDelete'],
      [{ clusterId: 5, restart: { scope: 'everything' } }, 'restart.scope'],
      [{ clusterId: 5, restart: { scope: { namespaces: ['Not_A_Namespace'] } } }, 'restart.scope.namespaces.0'],
      [{ clusterId: 5, recycle: { mode: 'fast' } }, 'recycle.mode'],
    ];
    for (const [payload, field] of cases) {
      const error = assertError(await start(payload), 400, 'invalid_request', field);
      assert.match(error.message, new RegExp(field.replace('.', '\\.')));
    }
    assert.equal(f.deps.rotations.started.length, 0, 'nothing was started');
  });

  it('refuses unknown fields at every level instead of dropping them', async () => {
    const cases: [unknown, string][] = [
      [{ clusterId: 5, force: true }, 'force'],
      [{ clusterId: 5, requestedBy: 'mallory' }, 'requestedBy'],
      [{ clusterId: 5, approvals: { beforeDelete: false, skipAll: true } }, 'approvals.skipAll'],
      [{ clusterId: 5, recycle: { mode: 'rolling', parallel: 10 } }, 'recycle.parallel'],
    ];
    for (const [payload, field] of cases) {
      const error = assertError(await start(payload), 400, 'invalid_request', field);
      assert.match(error.message, /unknown field/);
    }
    assertError(await f.app.inject({ method: 'GET', url: '/v1/rotations?colour=red', headers: viewer }), 400, 'invalid_request', 'colour');
    assertError(await f.app.inject({ method: 'POST', url: '/v1/rotations/5/pause', headers: operator, payload: { by: 'x' } }), 400, 'invalid_request', 'by');
    assert.equal(f.deps.rotations.started.length, 0);
  });

  it('names a missing required field', async () => {
    assertError(await start({}), 400, 'invalid_request', 'clusterId');
    assertError(await start({ clusterId: 5, restart: {} }), 400, 'invalid_request', 'restart.scope');
  });

  it('refuses negative, zero, fractional and huge ids in bodies and paths', async () => {
    for (const clusterId of [-1, 0, 2 ** 31, 1e30, Number.MAX_SAFE_INTEGER]) {
      assertError(await start({ clusterId }), 400, 'invalid_request', 'clusterId');
    }
    assertError(await start('{"clusterId": 99999999999999999999999999999}', json), 400, 'invalid_request', 'clusterId');
    for (const id of ['-5', '0', '1.5', 'abc', '99999999999999999999999', '1e3', '2147483648', '%00']) {
      const res = await f.app.inject({ method: 'GET', url: `/v1/rotations/${id}`, headers: viewer });
      assertError(res, 400, 'invalid_request');
    }
    assertError(await f.app.inject({ method: 'GET', url: '/v1/rotations?clusterId=-3', headers: viewer }), 400, 'invalid_request', 'clusterId');
    assertError(await f.app.inject({ method: 'GET', url: '/v1/rotations?pageSize=100000', headers: viewer }), 400, 'invalid_request', 'pageSize');
    assertError(await f.app.inject({ method: 'GET', url: `/v1/rotations/${'9'.repeat(500)}`, headers: viewer }), 400, 'invalid_request');
  });

  it('refuses malformed JSON, an empty JSON body and a JSON array with 400', async () => {
    for (const payload of ['{"clusterId": ', '{clusterId: 5}', "{'clusterId': 5}", 'null x', '']) {
      const res = await start(payload, json);
      assertError(res, 400, 'invalid_request');
    }
    assertError(await start('[1,2]', json), 400, 'invalid_request');
    assertError(await start('"5"', json), 400, 'invalid_request');
  });

  it('refuses bodies that are not JSON with 415', async () => {
    assertError(await start('clusterId=5', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type');
    assertError(await start('hello', { 'content-type': 'text/plain' }), 415, 'unsupported_media_type');
  });

  it('refuses oversized bodies with 413 before parsing them', async () => {
    const payload = JSON.stringify({ clusterId: 5, restart: { scope: { namespaces: Array.from({ length: 5000 }, (_, i) => `namespace-${i}`) } } });
    assert.ok(payload.length > 64 * 1024);
    const error = assertError(await start(payload, json), 413, 'payload_too_large');
    assert.match(error.message, /larger than the limit/);
    assert.equal(f.deps.rotations.started.length, 0);
  });

  it('refuses an unknown phase or fleet name in list filters', async () => {
    assertError(await f.app.inject({ method: 'GET', url: '/v1/rotations?phase=Exploded', headers: viewer }), 400, 'invalid_request', 'phase');
    assertError(await f.app.inject({ method: 'GET', url: "/v1/rotations?fleet=x'%20OR%20'1'='1", headers: viewer }), 400, 'invalid_request', 'fleet');
    assertError(await f.app.inject({ method: 'GET', url: '/v1/rotations?nextPageToken=not%20a%20token', headers: viewer }), 400, 'invalid_request', 'nextPageToken');
  });

  it('requires a reason to reject or abort, and bounds comments', async () => {
    await f.deps.rotations.start({ clusterId: 40, requestedBy: 'someone' });
    assertError(await f.app.inject({ method: 'POST', url: '/v1/rotations/40/abort', headers: operator, payload: {} }), 400, 'invalid_request', 'reason');
    assertError(await f.app.inject({ method: 'POST', url: '/v1/rotations/40/reject', headers: bearer(TOKENS.approver), payload: { reason: '' } }), 400, 'invalid_request', 'reason');
    assertError(await f.app.inject({ method: 'POST', url: '/v1/rotations/40/approve', headers: bearer(TOKENS.approver), payload: { comment: 'x'.repeat(1001) } }), 400, 'invalid_request', 'comment');
    assert.equal(f.deps.rotations.controls.length, 0);
  });
});
