// The API's log never carries a bearer token or a tokens-file value.
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createApiLogger } from '../api/logging.js';
import { API_TOKENS, bearer, TOKENS, withFakeApp } from './support/apiFakes.js';

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

  it('logs every change and unusual read, but not each poll of a status or a probe', async () => {
    const lines: string[] = [];
    const destination = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
    await withFakeApp({ logger: createApiLogger({ level: 'info', destination }) }, async ({ app }) => {
      await app.inject({ method: 'POST', url: '/v1/rotations', headers: bearer(TOKENS.operator), payload: { clusterId: 21 } });
      for (let i = 0; i < 5; i++) {
        await app.inject({ method: 'GET', url: '/v1/rotations/21', headers: bearer(TOKENS.viewer) });
        await app.inject({ method: 'GET', url: '/healthz' });
      }
      await app.inject({ method: 'GET', url: '/v1/rotations?phase=Blocked', headers: bearer(TOKENS.viewer) });
    });
    const urls = lines.map((l) => (JSON.parse(l) as { req?: { url?: string } }).req?.url).filter(Boolean);
    assert.deepEqual([...new Set(urls)].sort(), ['/v1/rotations', '/v1/rotations?phase=Blocked']);
  });
});
