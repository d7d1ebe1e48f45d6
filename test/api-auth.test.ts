// Authentication and roles of the HTTP API, over fake services.
import { createHash } from 'node:crypto';
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, TOKENS, useFakeApp, withFakeApp } from './support/apiFakes.js';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe('API authentication', () => {
  const f = useFakeApp();

  it('refuses a request without a token with 401, the error format and a Bearer challenge', async () => {
    const res = await f.app.inject({ method: 'GET', url: '/v1/rotations' });
    assert.equal(res.statusCode, 401);
    assert.deepEqual(res.json(), { error: { code: 'unauthorized', message: 'a valid bearer token is required' } });
    assert.match(String(res.headers['www-authenticate']), /^Bearer /);
  });

  it('refuses unknown tokens, other schemes and a token with trailing junk', async () => {
    for (const authorization of [
      'Bearer not-a-known-token-at-all', `Basic ${TOKENS.viewer}`, `Bearer ${TOKENS.viewer}x`,
      `Bearer ${TOKENS.viewer.slice(0, -1)}`, 'Bearer ', `bearer${TOKENS.viewer}`,
    ]) {
      const res = await f.app.inject({ method: 'GET', url: '/v1/rotations', headers: { authorization } });
      assert.equal(res.statusCode, 401, authorization);
    }
  });

  it('checks the token before the body, so an anonymous caller learns nothing about input', async () => {
    const res = await f.app.inject({
      method: 'POST', url: '/v1/rotations', headers: { 'content-type': 'application/json' }, payload: '{broken',
    });
    assert.equal(res.statusCode, 401);
  });

  it('accepts a token configured by its sha256 only', async () => {
    const tokens = [{ name: 'hashed', tokenSha256: sha256('a-token-known-only-by-hash'), roles: ['viewer' as const] }];
    await withFakeApp({ tokens }, async ({ app }) => {
      const ok = await app.inject({ method: 'GET', url: '/v1/rotations', headers: bearer('a-token-known-only-by-hash') });
      assert.equal(ok.statusCode, 200);
      const wrong = await app.inject({ method: 'GET', url: '/v1/rotations', headers: bearer(sha256('a-token-known-only-by-hash')) });
      assert.equal(wrong.statusCode, 401, 'the hash itself is not a credential');
    });
  });

  it('leaves health and docs open', async () => {
    for (const url of ['/healthz', '/readyz', '/docs/json']) {
      assert.equal((await f.app.inject({ method: 'GET', url })).statusCode, 200, url);
    }
  });
});

describe('API roles', () => {
  const f = useFakeApp();
  // a running rotation requested by someone else, so every control route reaches its role check
  before(async () => {
    await f.deps.rotations.start({ clusterId: 7, requestedBy: 'someone-else' });
    await f.deps.fleets.start({ name: 'fleet-7', requestedBy: 'someone-else', selector: {} });
    await f.deps.schedules.create({ scheduleId: 'sched-7', fleet: { name: 'x', requestedBy: 'y', selector: {} }, timing: { every: '1d' } });
  });

  const cases: { method: 'GET' | 'POST'; url: string; payload?: object; allowed: (keyof typeof TOKENS)[] }[] = [
    { method: 'GET', url: '/v1/rotations', allowed: ['viewer', 'operator', 'approver', 'opsApprover', 'admin'] },
    { method: 'GET', url: '/v1/rotations/7', allowed: ['viewer', 'operator', 'approver', 'opsApprover', 'admin'] },
    { method: 'GET', url: '/v1/clusters', allowed: ['viewer', 'operator', 'approver', 'opsApprover', 'admin'] },
    { method: 'POST', url: '/v1/rotations', payload: { clusterId: 8, dryRun: true }, allowed: ['operator', 'opsApprover', 'admin'] },
    ...(['pause', 'resume', 'skip'] as const).map((action) => (
      { method: 'POST' as const, url: `/v1/rotations/7/${action}`, allowed: ['operator', 'opsApprover', 'admin'] as (keyof typeof TOKENS)[] })),
    { method: 'POST', url: '/v1/rotations/7/abort', payload: { reason: 'test' }, allowed: ['operator', 'opsApprover', 'admin'] },
    { method: 'POST', url: '/v1/rotations/7/approve', payload: {}, allowed: ['approver', 'opsApprover'] },
    { method: 'POST', url: '/v1/rotations/7/reject', payload: { reason: 'no' }, allowed: ['approver', 'opsApprover'] },
    { method: 'GET', url: '/v1/fleet-rotations', allowed: ['viewer', 'operator', 'approver', 'opsApprover', 'admin'] },
    { method: 'GET', url: '/v1/fleet-rotations/fleet-7', allowed: ['viewer', 'operator', 'approver', 'opsApprover', 'admin'] },
    ...(['pause', 'resume', 'skip', 'retry'] as const).map((action) => (
      { method: 'POST' as const, url: `/v1/fleet-rotations/fleet-7/${action}`, allowed: ['operator', 'opsApprover', 'admin'] as (keyof typeof TOKENS)[] })),
    { method: 'POST', url: '/v1/fleet-rotations/fleet-7/abort', payload: { reason: 'test' }, allowed: ['operator', 'opsApprover', 'admin'] },
    { method: 'POST', url: '/v1/fleet-rotations/fleet-7/approve', payload: {}, allowed: ['approver', 'opsApprover'] },
    { method: 'POST', url: '/v1/fleet-rotations/fleet-7/reject', payload: { reason: 'no' }, allowed: ['approver', 'opsApprover'] },
    { method: 'GET', url: '/v1/schedules', allowed: ['viewer', 'operator', 'approver', 'opsApprover', 'admin'] },
    ...(['pause', 'unpause', 'trigger'] as const).map((action) => (
      { method: 'POST' as const, url: `/v1/schedules/sched-7/${action}`, allowed: ['operator', 'opsApprover', 'admin'] as (keyof typeof TOKENS)[] })),
  ];

  for (const c of cases) {
    it(`${c.method} ${c.url} is allowed only for ${c.allowed.join(', ')}`, async () => {
      for (const who of Object.keys(TOKENS) as (keyof typeof TOKENS)[]) {
        // a fresh cluster per start so a 409 never hides the role decision
        const payload = c.url === '/v1/rotations' && c.method === 'POST' ? { clusterId: 1000 + Object.keys(TOKENS).indexOf(who) } : c.payload;
        const res = await f.app.inject({ method: c.method, url: c.url, headers: bearer(TOKENS[who]), ...(payload ? { payload } : {}) });
        if (c.allowed.includes(who)) {
          assert.ok(res.statusCode < 400, `${who}: expected success, got ${res.statusCode} ${res.body}`);
        } else {
          assert.equal(res.statusCode, 403, `${who}: ${res.body}`);
          assert.equal(res.json().error.code, 'forbidden');
        }
      }
    });
  }
});
