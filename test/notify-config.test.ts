// The webhook's configuration: off by default, both URL and secret (each direct or from a file),
// https unless loopback, and errors that never echo the URL (Slack's carry a token) or the secret.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../config/config.js';

const URL_WITH_TOKEN = 'https://hooks.slack.example/services/T000/B000/url-token-abc';
const SECRET = 'webhook-secret-value-789';

test('webhook config: off by default; URL and secret from env or files; never printed', async () => {
  assert.deepEqual(loadConfig({}).notifications, { webhook: undefined, apiUrl: undefined });

  const direct = loadConfig({ LKE_ROTATOR_WEBHOOK_URL: URL_WITH_TOKEN, LKE_ROTATOR_WEBHOOK_SECRET: SECRET, LKE_ROTATOR_API_URL: 'https://rotator.example/' });
  assert.equal(direct.notifications.webhook?.url.reveal(), URL_WITH_TOKEN);
  assert.equal(direct.notifications.webhook?.secret.reveal(), SECRET);
  assert.equal(direct.notifications.apiUrl, 'https://rotator.example');
  const printed = `${JSON.stringify(direct)} ${inspect(direct, { depth: 6 })}`;
  assert.ok(!printed.includes('url-token-abc') && !printed.includes(SECRET), 'neither the URL nor the secret prints');

  const dir = await mkdtemp(join(tmpdir(), 'lke-rotator-webhook-'));
  try {
    await writeFile(join(dir, 'url'), `${URL_WITH_TOKEN}\n`);
    await writeFile(join(dir, 'secret'), `${SECRET}\n`);
    const files = loadConfig({ LKE_ROTATOR_WEBHOOK_URL_FILE: join(dir, 'url'), LKE_ROTATOR_WEBHOOK_SECRET_FILE: join(dir, 'secret') });
    assert.equal(files.notifications.webhook?.url.reveal(), URL_WITH_TOKEN);
    assert.equal(files.notifications.webhook?.secret.reveal(), SECRET);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  // plain http only on loopback (the local stack's receivers)
  assert.ok(loadConfig({ LKE_ROTATOR_WEBHOOK_URL: 'http://127.0.0.1:9000/hook', LKE_ROTATOR_WEBHOOK_SECRET: SECRET }).notifications.webhook);
});

test('webhook config errors name the variable, never the URL or the secret', () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ LKE_ROTATOR_WEBHOOK_URL: URL_WITH_TOKEN }, /Set both LKE_ROTATOR_WEBHOOK_URL .* and LKE_ROTATOR_WEBHOOK_SECRET/],
    [{ LKE_ROTATOR_WEBHOOK_SECRET: SECRET }, /Set both/],
    [{ LKE_ROTATOR_WEBHOOK_URL: 'http://hooks.example/url-token-abc', LKE_ROTATOR_WEBHOOK_SECRET: SECRET }, /must be an https URL/],
    [{ LKE_ROTATOR_WEBHOOK_URL: 'not a url url-token-abc', LKE_ROTATOR_WEBHOOK_SECRET: SECRET }, /is not a URL/],
    [{ LKE_ROTATOR_WEBHOOK_URL: URL_WITH_TOKEN, LKE_ROTATOR_WEBHOOK_SECRET: 'short' }, /at least 16 characters/],
    [{ LKE_ROTATOR_WEBHOOK_URL: URL_WITH_TOKEN, LKE_ROTATOR_WEBHOOK_URL_FILE: '/x', LKE_ROTATOR_WEBHOOK_SECRET: SECRET }, /Set only one of/],
    [{ LKE_ROTATOR_API_URL: 'ftp://x' }, /LKE_ROTATOR_API_URL must be an http\(s\) URL/],
  ];
  for (const [env, message] of cases) {
    assert.throws(() => loadConfig(env), (err: unknown) => {
      assert.ok(err instanceof ConfigError, String(err));
      assert.match(err.message, message);
      assert.ok(!err.message.includes('url-token-abc') && !err.message.includes(SECRET) && !err.message.includes('short'), err.message);
      return true;
    });
  }
});
