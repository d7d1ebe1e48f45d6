// The API's tokens file: hashed or plain tokens, roles, and errors that never echo a secret.
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createAuthenticator, loadApiTokens, parseApiTokens } from '../api/auth.js';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

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
      [{ name: 'x', token: secret, roles: ['root'] }],
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
