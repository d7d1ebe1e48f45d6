// The configuration from the environment, which every entry point reads: defaults, a token file,
// the Temporal connection profile, and errors that name the variable but never echo a token or key.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { ConfigError, loadConfig, requireLinodeToken } from '../config/config.js';
import { connectionOptions } from '../config/temporalConnection.js';

test('config: defaults, a token file, and errors that name the variable but never a token', async () => {
  const defaults = loadConfig({});
  assert.equal(defaults.temporal.address, '127.0.0.1:7233');
  assert.equal(defaults.temporal.namespace, 'default');
  assert.equal(defaults.linode.apiUrl, 'https://api.linode.com');
  assert.equal(defaults.api.host, '127.0.0.1');
  assert.equal(defaults.linode.token, undefined);
  assert.equal(defaults.linode.generalLimit, undefined, 'Linode\'s documented general limit unless set');
  assert.deepEqual(loadConfig({ LKE_ROTATOR_LINODE_GENERAL_LIMIT: '3200' }).linode.generalLimit, { limit: 3200, windowMs: 120_000 });
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
    [{ LKE_ROTATOR_LINODE_BUDGET_SHARE: '0' }, /LKE_ROTATOR_LINODE_BUDGET_SHARE must be a number above 0 and at most 1/],
    [{ LKE_ROTATOR_LINODE_BUDGET_SHARE: '1.5' }, /LKE_ROTATOR_LINODE_BUDGET_SHARE must be a number above 0 and at most 1/],
    [{ LKE_ROTATOR_LINODE_BUDGET_SHARE: 'half' }, /LKE_ROTATOR_LINODE_BUDGET_SHARE must be a number above 0/],
    [{ LKE_ROTATOR_KUBECONFIG_DELAY_MS: '2m' }, /LKE_ROTATOR_KUBECONFIG_DELAY_MS must be a whole number/],
    [{ LKE_ROTATOR_LINODE_GENERAL_LIMIT: '0' }, /LKE_ROTATOR_LINODE_GENERAL_LIMIT must be a whole number of at least 1/],
    [{ LKE_ROTATOR_LINODE_GENERAL_WINDOW_MS: '2m' }, /LKE_ROTATOR_LINODE_GENERAL_WINDOW_MS must be a whole number of at least 1000/],
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

// The Temporal connection: a profile of the standard config file, TEMPORAL_* overrides, and exactly
// the options both connections get. The PEMs are placeholders: envconfig passes them through, and
// test/temporal-tls.test.ts connects with real ones.
const API_KEY = 'temporal-api-key-789';
const CLIENT_KEY = '-----BEGIN PRIVATE KEY-----\nclient-key-secret-000\n-----END PRIVATE KEY-----\n';
const CA = '-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n';
const CLIENT_CERT = '-----BEGIN CERTIFICATE-----\nclient\n-----END CERTIFICATE-----\n';

async function profileFiles(t: TestContext, toml: (dir: string) => string): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'lke-rotator-temporal-profile-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'ca.pem'), CA);
  await writeFile(join(dir, 'client.pem'), CLIENT_CERT);
  await writeFile(join(dir, 'client.key'), CLIENT_KEY);
  const file = join(dir, 'temporal.toml');
  await writeFile(file, toml(dir));
  return { dir, file };
}

/** What both connections must get for the mTLS + API key + x-tenant header set-up of these tests. */
function mtlsWithApiKey(address: string, serverName: string) {
  return {
    address,
    tls: {
      serverNameOverride: serverName,
      serverRootCACertificate: Buffer.from(CA),
      clientCertPair: { crt: Buffer.from(CLIENT_CERT), key: Buffer.from(CLIENT_KEY) },
    },
    apiKey: API_KEY,
    metadata: { 'x-tenant': 'platform' },
  };
}

function assertNoSecretPrinted(config: unknown): void {
  const printed = `${JSON.stringify(config)} ${inspect(config, { depth: 8 })}`;
  assert.ok(!printed.includes(API_KEY), 'the API key never prints');
  assert.ok(!printed.includes('client-key-secret-000'), 'the client key never prints');
}

test('temporal: a named profile of TEMPORAL_CONFIG_FILE gives address, namespace, mTLS and API key, exactly', async (t) => {
  const { file } = await profileFiles(t, (dir) => `
[profile.default]
address = "127.0.0.1:7233"

[profile.prod]
address = "prod.a1b2c.tmprl.cloud:7233"
namespace = "prod.a1b2c"
api_key = "${API_KEY}"

[profile.prod.tls]
server_name = "temporal.internal"
server_ca_cert_path = "${join(dir, 'ca.pem')}"
client_cert_path = "${join(dir, 'client.pem')}"
client_key_path = "${join(dir, 'client.key')}"

[profile.prod.grpc_meta]
x-tenant = "platform"
`);
  const config = loadConfig({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod', TEMPORAL_WEB_URL: 'https://cloud.temporal.io/namespaces/prod.a1b2c' });
  assert.equal(config.temporal.address, 'prod.a1b2c.tmprl.cloud:7233');
  assert.equal(config.temporal.namespace, 'prod.a1b2c');
  assert.equal(config.temporal.webUrl, 'https://cloud.temporal.io/namespaces/prod.a1b2c');
  assert.deepEqual(connectionOptions(config.temporal), mtlsWithApiKey('prod.a1b2c.tmprl.cloud:7233', 'temporal.internal'));
  assertNoSecretPrinted(config);

  // the default profile of the same file: plaintext, no key
  const plain = loadConfig({ TEMPORAL_CONFIG_FILE: file });
  assert.deepEqual(connectionOptions(plain.temporal), { address: '127.0.0.1:7233', tls: false, apiKey: undefined, metadata: {} });
  assert.equal(plain.temporal.namespace, 'default');
});

test('temporal: TEMPORAL_* variables alone, and over the default config file of the user config directory', async (t) => {
  const fromEnv = loadConfig({
    TEMPORAL_ADDRESS: 'temporal.example.net:7233',
    TEMPORAL_NAMESPACE: 'rotations',
    TEMPORAL_API_KEY: API_KEY,
    TEMPORAL_TLS_SERVER_CA_CERT_DATA: CA,
    TEMPORAL_TLS_SERVER_NAME: 'frontend.example.net',
    TEMPORAL_TLS_CLIENT_CERT_DATA: CLIENT_CERT,
    TEMPORAL_TLS_CLIENT_KEY_DATA: CLIENT_KEY,
    TEMPORAL_GRPC_META_X_TENANT: 'platform',
  });
  assert.equal(fromEnv.temporal.namespace, 'rotations');
  assert.deepEqual(connectionOptions(fromEnv.temporal), mtlsWithApiKey('temporal.example.net:7233', 'frontend.example.net'));
  assertNoSecretPrinted(fromEnv);

  // an API key alone turns TLS on, trusting the system's roots (Temporal Cloud)
  const apiKeyOnly = loadConfig({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_API_KEY: API_KEY });
  assert.deepEqual(connectionOptions(apiKeyOnly.temporal).tls, { serverNameOverride: undefined, serverRootCACertificate: undefined, clientCertPair: undefined });

  // $XDG_CONFIG_HOME/temporalio/temporal.toml, with variables over it; TEMPORAL_TLS=false wins over the profile's TLS
  const { dir } = await profileFiles(t, (d) => `
[profile.default]
address = "file.example.net:7233"
namespace = "from-file"
[profile.default.tls]
server_ca_cert_path = "${join(d, 'ca.pem')}"
`);
  await mkdir(join(dir, 'temporalio'));
  await rename(join(dir, 'temporal.toml'), join(dir, 'temporalio', 'temporal.toml'));
  const fromDefaultFile = loadConfig({ XDG_CONFIG_HOME: dir, TEMPORAL_NAMESPACE: 'from-env' });
  assert.equal(fromDefaultFile.temporal.address, 'file.example.net:7233');
  assert.equal(fromDefaultFile.temporal.namespace, 'from-env');
  assert.deepEqual(connectionOptions(fromDefaultFile.temporal).tls, { serverNameOverride: undefined, serverRootCACertificate: Buffer.from(CA), clientCertPair: undefined });
  assert.equal(connectionOptions(loadConfig({ XDG_CONFIG_HOME: dir, TEMPORAL_TLS: 'false' }).temporal).tls, false);
});

test('temporal: a bad profile fails with a ConfigError that names the source and never quotes a key', async (t) => {
  const { dir, file } = await profileFiles(t, () => `[profile.default]\napi_key = "${API_KEY}\n`);
  const cases: [Record<string, string>, RegExp][] = [
    [{ TEMPORAL_CONFIG_FILE: join(dir, 'missing.toml') }, /TEMPORAL_CONFIG_FILE \(.*missing\.toml\) does not exist/],
    [{ TEMPORAL_CONFIG_FILE: file }, /is not valid TOML \(line 2, column \d+\)/],
    [{ TEMPORAL_PROFILE: 'staging' }, /Temporal connection profile "staging": Profile 'staging' not found/],
    [{ TEMPORAL_API_KEY: API_KEY, TEMPORAL_TLS_CLIENT_KEY_PATH: join(dir, 'nope.key'), TEMPORAL_TLS_CLIENT_CERT_PATH: join(dir, 'client.pem') },
      /Temporal TLS: .*nope\.key cannot be read: ENOENT/],
    [{ TEMPORAL_TLS_CLIENT_CERT_DATA: CLIENT_CERT }, /mTLS needs both a client certificate and its key/],
    [{ TEMPORAL_TLS_CLIENT_KEY_DATA: CLIENT_KEY }, /mTLS needs both a client certificate and its key/],
    [{ TEMPORAL_ADDRESS: 'localhost' }, /TEMPORAL_ADDRESS must be host:port/],
  ];
  for (const [env, expected] of cases) {
    assert.throws(() => loadConfig(env), (err: Error) => {
      assert.ok(err instanceof ConfigError, `${err.name}: ${err.message}`);
      assert.match(err.message, expected);
      assert.ok(!err.message.includes(API_KEY) && !err.message.includes('client-key-secret-000'), `no secret in: ${err.message}`);
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

test('config: the API edges (TLS files, rate limit, Temporal deadline) with defaults and errors that name the variable', () => {
  const defaults = loadConfig({}).api;
  assert.deepEqual([defaults.tls, defaults.rateLimitPerMinute, defaults.temporalDeadlineMs], [undefined, 600, 10_000]);
  const set = loadConfig({ API_TLS_CERT_FILE: 'api.pem', API_TLS_KEY_FILE: 'api.key', API_RATE_LIMIT_PER_MINUTE: '0', API_TEMPORAL_DEADLINE_MS: '2500' }).api;
  assert.match(set.tls?.certFile ?? '', /\/api\.pem$/);
  assert.deepEqual([set.rateLimitPerMinute, set.temporalDeadlineMs], [0, 2500]);
  const cases: [NodeJS.ProcessEnv, RegExp][] = [
    [{ API_TLS_CERT_FILE: 'api.pem' }, /Set both API_TLS_CERT_FILE and API_TLS_KEY_FILE, or neither/],
    [{ API_TLS_KEY_FILE: 'api.key' }, /Set both API_TLS_CERT_FILE and API_TLS_KEY_FILE, or neither/],
    [{ API_RATE_LIMIT_PER_MINUTE: 'lots' }, /API_RATE_LIMIT_PER_MINUTE must be a whole number of at least 0, got "lots"/],
    [{ API_TEMPORAL_DEADLINE_MS: '5' }, /API_TEMPORAL_DEADLINE_MS must be a whole number of at least 100, got "5"/],
    [{ LINODE_READ_TOKEN: 'a', LINODE_READ_TOKEN_FILE: '/x' }, /Set only one of LINODE_READ_TOKEN and LINODE_READ_TOKEN_FILE/],
  ];
  for (const [env, expected] of cases) assert.throws(() => loadConfig(env), (err: Error) => err instanceof ConfigError && expected.test(err.message));
});
