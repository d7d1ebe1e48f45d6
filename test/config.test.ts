// The configuration from the environment, which every entry point reads: defaults, a token file,
// and errors that name the variable but never echo a token.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { test } from 'node:test';
import { ConfigError, loadConfig, requireLinodeToken } from '../config/config.js';

test('config: defaults, a token file, and errors that name the variable but never a token', async () => {
  const defaults = loadConfig({});
  assert.equal(defaults.temporal.address, '127.0.0.1:7233');
  assert.equal(defaults.temporal.namespace, 'default');
  assert.equal(defaults.linode.apiUrl, 'https://api.linode.com');
  assert.equal(defaults.api.host, '127.0.0.1');
  assert.equal(defaults.linode.token, undefined);
  assert.throws(() => requireLinodeToken(defaults), /set LINODE_TOKEN, or LINODE_TOKEN_FILE/);

  const dir = await mkdtemp(join(tmpdir(), 'lke-rotator-config-'));
  try {
    const tokenFile = join(dir, 'token');
    await writeFile(tokenFile, 'file-token-value-123\n');
    const config = loadConfig({ LINODE_TOKEN_FILE: tokenFile, LINODE_API_URL: 'http://127.0.0.1:9999/', API_PORT: '0' });
    assert.equal(requireLinodeToken(config).reveal(), 'file-token-value-123');
    assert.equal(config.linode.apiUrl, 'http://127.0.0.1:9999');
    assert.equal(config.api.port, 0);
    const printed = `${JSON.stringify(config)} ${inspect(config, { depth: 5 })} ${String(config.linode.token)}`;
    assert.ok(!printed.includes('file-token-value-123'), 'the token never prints');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  const secret = 'direct-token-value-456';
  const cases: [Record<string, string>, RegExp][] = [
    [{ TEMPORAL_ADDRESS: 'localhost' }, /TEMPORAL_ADDRESS must be host:port/],
    [{ API_PORT: '80a' }, /API_PORT must be a port number/],
    [{ API_PORT: '70000' }, /API_PORT must be a port number/],
    [{ LINODE_API_URL: 'ftp://x' }, /LINODE_API_URL must be an http\(s\) URL/],
    [{ LINODE_API_URL: `https://user:${secret}@api.linode.com` }, /LINODE_API_URL must not carry credentials/],
    [{ LINODE_API_URL: 'http://api.linode.com' }, /LINODE_API_URL must be an https URL \(plain http only on loopback/],
    [{ LINODE_API_URL: 'http://10.0.0.7:4010' }, /LINODE_API_URL must be an https URL/],
    [{ LINODE_API_URL: 'http://127.0.0.1.nip.io:4010' }, /LINODE_API_URL must be an https URL/],
    [{ LINODE_API_URL: 'http://localhost.example.com' }, /LINODE_API_URL must be an https URL/],
    [{ LINODE_API_URL: 'http://[::ffff:a00:7]:4010' }, /LINODE_API_URL must be an https URL/],
    [{ LINODE_TOKEN: secret, LINODE_TOKEN_FILE: '/x' }, /Set only one of LINODE_TOKEN and LINODE_TOKEN_FILE/],
    [{ LINODE_TOKEN_FILE: '/nonexistent/token' }, /LINODE_TOKEN_FILE \(\/nonexistent\/token\) cannot be read: ENOENT/],
  ];
  for (const [env, expected] of cases) {
    assert.throws(() => loadConfig(env), (err: Error) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, expected);
      assert.ok(!err.message.includes(secret), `no token in: ${err.message}`);
      return true;
    });
  }
});

test('config: LINODE_API_URL is https, or plain http only on loopback', () => {
  for (const url of [
    'https://api.linode.com', 'https://10.0.0.7:4010', 'http://127.0.0.1:4010', 'http://127.3.2.1', 'http://127.1:4010',
    'http://localhost:4010', 'http://LOCALHOST', 'http://[::1]:4010',
  ]) {
    assert.doesNotThrow(() => loadConfig({ LINODE_API_URL: url }), url);
  }
});
