// Authentication, roles and the four-eyes rule of the HTTP API, over fake services.
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createAuthenticator, loadApiTokens, parseApiTokens } from '../api/auth.js';
import { createApiLogger } from '../api/logging.js';
import { API_TOKENS, bearer, TOKENS, useFakeApp, withFakeApp } from './support/apiFakes.js';

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
    { method: 'GET', url: '/v1/rotations', allowed: ['viewer', 'operator', 'approver', 'opsApprover'] },
    { method: 'GET', url: '/v1/rotations/7', allowed: ['viewer', 'operator', 'approver', 'opsApprover'] },
    { method: 'GET', url: '/v1/clusters', allowed: ['viewer', 'operator', 'approver', 'opsApprover'] },
    { method: 'POST', url: '/v1/rotations', payload: { clusterId: 8, dryRun: true }, allowed: ['operator', 'opsApprover'] },
    ...(['pause', 'resume', 'skip'] as const).map((action) => (
      { method: 'POST' as const, url: `/v1/rotations/7/${action}`, allowed: ['operator', 'opsApprover'] as (keyof typeof TOKENS)[] })),
    { method: 'POST', url: '/v1/rotations/7/abort', payload: { reason: 'test' }, allowed: ['operator', 'opsApprover'] },
    { method: 'POST', url: '/v1/rotations/7/approve', payload: {}, allowed: ['approver', 'opsApprover'] },
    { method: 'POST', url: '/v1/rotations/7/reject', payload: { reason: 'no' }, allowed: ['approver', 'opsApprover'] },
    { method: 'GET', url: '/v1/fleet-rotations', allowed: ['viewer', 'operator', 'approver', 'opsApprover'] },
    { method: 'GET', url: '/v1/fleet-rotations/fleet-7', allowed: ['viewer', 'operator', 'approver', 'opsApprover'] },
    ...(['pause', 'resume', 'skip', 'retry'] as const).map((action) => (
      { method: 'POST' as const, url: `/v1/fleet-rotations/fleet-7/${action}`, allowed: ['operator', 'opsApprover'] as (keyof typeof TOKENS)[] })),
    { method: 'POST', url: '/v1/fleet-rotations/fleet-7/abort', payload: { reason: 'test' }, allowed: ['operator', 'opsApprover'] },
    { method: 'POST', url: '/v1/fleet-rotations/fleet-7/approve', payload: {}, allowed: ['approver', 'opsApprover'] },
    { method: 'POST', url: '/v1/fleet-rotations/fleet-7/reject', payload: { reason: 'no' }, allowed: ['approver', 'opsApprover'] },
    { method: 'GET', url: '/v1/schedules', allowed: ['viewer', 'operator', 'approver', 'opsApprover'] },
    ...(['pause', 'unpause', 'trigger'] as const).map((action) => (
      { method: 'POST' as const, url: `/v1/schedules/sched-7/${action}`, allowed: ['operator', 'opsApprover'] as (keyof typeof TOKENS)[] })),
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

describe('API identity and four-eyes', () => {
  it('records the caller as requester and approver, never a body field', async () => {
    await withFakeApp({}, async ({ app, deps }) => {
      const spoofed = await app.inject({
        method: 'POST', url: '/v1/rotations', headers: bearer(TOKENS.operator), payload: { clusterId: 11, requestedBy: 'ana' },
      });
      assert.equal(spoofed.statusCode, 400);
      assert.equal(spoofed.json().error.field, 'requestedBy');

      const started = await app.inject({ method: 'POST', url: '/v1/rotations', headers: bearer(TOKENS.operator), payload: { clusterId: 11 } });
      assert.equal(started.statusCode, 202);
      assert.equal(deps.rotations.started[0].requestedBy, 'olga');

      const spoofedApproval = await app.inject({
        method: 'POST', url: '/v1/rotations/11/approve', headers: bearer(TOKENS.approver), payload: { by: 'olga' },
      });
      assert.equal(spoofedApproval.statusCode, 400);
      assert.equal(deps.rotations.controls.length, 0);

      const approved = await app.inject({
        method: 'POST', url: '/v1/rotations/11/approve', headers: bearer(TOKENS.approver), payload: { comment: 'looks right' },
      });
      assert.equal(approved.statusCode, 200);
      assert.deepEqual(deps.rotations.controls, [{ clusterId: 11, control: { update: 'approve', input: { by: 'ana', comment: 'looks right' } } }]);
    });
  });

  it('forbids approving a rotation one requested, and sends nothing to the workflow', async () => {
    await withFakeApp({}, async ({ app, deps }) => {
      await app.inject({ method: 'POST', url: '/v1/rotations', headers: bearer(TOKENS.opsApprover), payload: { clusterId: 12 } });
      const res = await app.inject({ method: 'POST', url: '/v1/rotations/12/approve', headers: bearer(TOKENS.opsApprover), payload: {} });
      assert.equal(res.statusCode, 403);
      assert.match(res.json().error.message, /four-eyes/);
      assert.equal(deps.rotations.controls.length, 0);
      // rejecting one's own request is safe and allowed
      const rejected = await app.inject({ method: 'POST', url: '/v1/rotations/12/reject', headers: bearer(TOKENS.opsApprover), payload: { reason: 'changed my mind' } });
      assert.equal(rejected.statusCode, 200);
    });
  });

  it('applies four-eyes to fleet rotations too, with the caller recorded on start and approval', async () => {
    await withFakeApp({}, async ({ app, deps }) => {
      const started = await app.inject({
        method: 'POST', url: '/v1/fleet-rotations', headers: bearer(TOKENS.opsApprover), payload: { name: 'weekly', selector: { tags: ['prod'] } },
      });
      assert.equal(started.statusCode, 202, started.body);
      assert.equal(deps.fleets.started[0].requestedBy, 'sam');
      const own = await app.inject({ method: 'POST', url: '/v1/fleet-rotations/weekly/approve', headers: bearer(TOKENS.opsApprover), payload: {} });
      assert.equal(own.statusCode, 403);
      assert.match(own.json().error.message, /four-eyes/);
      const other = await app.inject({ method: 'POST', url: '/v1/fleet-rotations/weekly/approve', headers: bearer(TOKENS.approver), payload: { comment: 'canary fine' } });
      assert.equal(other.statusCode, 200, other.body);
      assert.deepEqual(deps.fleets.controls, [{ fleet: 'rotate-fleet-weekly', control: { update: 'approve', input: { by: 'ana', comment: 'canary fine' } } }]);
    });
  });

  it('records the caller as the requester of scheduled fleet runs', async () => {
    await withFakeApp({}, async ({ app, deps }) => {
      const res = await app.inject({
        method: 'POST', url: '/v1/schedules', headers: bearer(TOKENS.operator),
        payload: { scheduleId: 'monthly', fleet: { name: 'monthly', selector: {} }, timing: { cron: '0 3 1 * *' } },
      });
      assert.equal(res.statusCode, 201, res.body);
      assert.equal(deps.schedules.created[0].fleet.requestedBy, 'olga');
      const spoofed = await app.inject({
        method: 'POST', url: '/v1/schedules', headers: bearer(TOKENS.operator),
        payload: { scheduleId: 'other', fleet: { name: 'other', selector: {}, requestedBy: 'ana' }, timing: { every: '1d' } },
      });
      assert.equal(spoofed.statusCode, 400);
      assert.equal(spoofed.json().error.field, 'fleet.requestedBy');
    });
  });

  it('lets a requester approve its own rotation when four-eyes is turned off', async () => {
    await withFakeApp({ fourEyes: false }, async ({ app, deps }) => {
      await app.inject({ method: 'POST', url: '/v1/rotations', headers: bearer(TOKENS.opsApprover), payload: { clusterId: 13 } });
      const res = await app.inject({ method: 'POST', url: '/v1/rotations/13/approve', headers: bearer(TOKENS.opsApprover), payload: {} });
      assert.equal(res.statusCode, 200);
      assert.equal(deps.rotations.controls[0].control.input.by, 'sam');
    });
  });
});

describe('API tokens file', () => {
  let dir: string;
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'api-tokens-')); });
  after(() => rm(dir, { recursive: true, force: true }));

  it('loads plaintext and hashed entries', async () => {
    const path = join(dir, 'tokens.json');
    await writeFile(path, JSON.stringify([
      { name: 'ci', token: 'ci-token-0123456789abcdef', roles: ['operator'] },
      { name: 'lead', tokenSha256: sha256('lead-token-0123456789'), roles: ['approver', 'viewer'] },
    ]));
    const tokens = await loadApiTokens(path);
    const authenticate = createAuthenticator(tokens);
    assert.deepEqual(authenticate('Bearer ci-token-0123456789abcdef'), { name: 'ci', roles: ['operator'] });
    assert.deepEqual(authenticate('Bearer lead-token-0123456789'), { name: 'lead', roles: ['approver', 'viewer'] });
    assert.equal(authenticate('Bearer nope-nope-nope-nope'), null);
  });

  it('refuses bad files with a message that never quotes a token', async () => {
    const secret = 'super-secret-token-value-123';
    const bad: unknown[] = [
      [],
      [{ name: 'x', token: secret, roles: ['admin'] }],
      [{ name: 'x', token: secret, tokenSha256: sha256(secret), roles: ['viewer'] }],
      [{ name: 'x', token: secret, roles: [] }],
      [{ name: 'x', token: secret, roles: ['viewer'] }, { name: 'x', token: `${secret}2`, roles: ['viewer'] }],
      { name: 'x', token: secret, roles: ['viewer'] },
    ];
    for (const content of bad) {
      assert.throws(() => parseApiTokens(content), (err: Error) => {
        assert.ok(!err.message.includes(secret), err.message);
        return /API tokens/.test(err.message);
      }, JSON.stringify(content).replaceAll(secret, '***'));
    }
    const path = join(dir, 'broken.json');
    await writeFile(path, `[{"name":"x","token":"${secret}"`);
    await assert.rejects(loadApiTokens(path), (err: Error) => !err.message.includes(secret) && /not valid JSON/.test(err.message));
    await assert.rejects(loadApiTokens(join(dir, 'missing.json')), /cannot read/);
  });
});

describe('API logging', () => {
  it('never writes a bearer token or a tokens-file value to the log', async () => {
    const lines: string[] = [];
    const destination = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
    const logger = createApiLogger({ level: 'trace', destination });
    await withFakeApp({ logger }, async ({ app, deps }) => {
      deps.rotations.get = async () => { throw new Error('boom'); };
      await app.inject({ method: 'POST', url: '/v1/rotations', headers: bearer(TOKENS.operator), payload: { clusterId: 21 } });
      await app.inject({ method: 'GET', url: '/v1/rotations', headers: bearer('some-invalid-token-xyz') });
      const failed = await app.inject({ method: 'GET', url: '/v1/rotations/21', headers: bearer(TOKENS.viewer) });
      assert.equal(failed.statusCode, 500);
      assert.deepEqual(failed.json(), { error: { code: 'internal_error', message: 'internal error' } });
      logger.info({ req: { headers: { authorization: `Bearer ${TOKENS.viewer}` } }, token: TOKENS.operator }, 'direct');
    });
    const log = lines.join('');
    assert.ok(lines.length > 3, 'requests were logged');
    assert.match(log, /rotation started/);
    assert.match(log, /\[redacted\]/);
    for (const secret of [...API_TOKENS.map((t) => ('token' in t ? t.token : '')), 'some-invalid-token-xyz']) {
      assert.ok(!log.includes(secret), `log contains a token of ${secret.slice(0, 6)}…`);
    }
  });
});
