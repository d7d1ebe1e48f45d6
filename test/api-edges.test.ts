// The API's edges: https, the per-caller rate limit, the read-only Linode token, and the deadline
// on every Temporal call (no worker: 504 in seconds; no Temporal: 503/504, never a hang).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, Connection } from '@temporalio/client';
import { generate } from 'selfsigned';
import { buildApp } from '../api/app.js';
import { startApiServer } from '../api/server.js';
import { createRotationService, createFleetService } from '../api/services.js';
import { compose } from '../activities/compose.js';
import { clusterRotationWorkflowId } from '../common/names.js';
import { loadConfig } from '../config/config.js';
import { startDevServer, type DevServer } from '../dev/devServer.js';
import { API_TOKENS, bearer, fakeDeps, TOKENS, withFakeApp } from './support/apiFakes.js';
import { assertError } from './support/apiHttp.js';

async function selfSignedLocalhost(): Promise<{ cert: string; key: string }> {
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec', algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }],
  });
  return { cert: pems.cert, key: pems.private };
}

function httpsGet(url: string, ca: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { body += chunk; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('API rate limit', () => {
  test('a caller over its share gets 429 in the error format with Retry-After; other callers are not held back', async () => {
    await withFakeApp({ rateLimitPerMinute: 3 }, async ({ app }) => {
      const get = (token: string) => app.inject({ method: 'GET', url: '/v1/rotations/101', headers: bearer(token) });
      for (let i = 0; i < 3; i++) assert.notEqual((await get(TOKENS.viewer)).statusCode, 429);
      const limited = await get(TOKENS.viewer);
      assertError(limited, 429, 'rate_limited');
      assert.ok(Number(limited.headers['retry-after']) > 0, 'Retry-After says when');
      assert.equal(limited.headers['x-ratelimit-limit'], '3');
      assert.notEqual((await get(TOKENS.operator)).statusCode, 429, 'another caller has its own share');
      // health and docs stay outside the limit, so probes never fail because of it
      for (let i = 0; i < 5; i++) assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
    });
  });

  test('without a limit nothing is counted', async () => {
    await withFakeApp({}, async ({ app }) => {
      for (let i = 0; i < 20; i++) {
        const res = await app.inject({ method: 'GET', url: '/v1/rotations/101', headers: bearer(TOKENS.viewer) });
        assert.notEqual(res.statusCode, 429);
        assert.equal(res.headers['x-ratelimit-limit'], undefined);
      }
    });
  });
});

describe('API over https', () => {
  let dir: string;
  let pki: { cert: string; key: string };
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lke-rotator-api-tls-'));
    pki = await selfSignedLocalhost();
    await writeFile(join(dir, 'api.pem'), pki.cert);
    await writeFile(join(dir, 'api.key'), pki.key, { mode: 0o600 });
  });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  test('buildApp serves https with the given certificate', async () => {
    const app = await buildApp(fakeDeps({ https: pki }));
    try {
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      assert.match(url, /^https:\/\//);
      const res = await httpsGet(`${url}/v1/rotations/101`, pki.cert, bearer(TOKENS.viewer));
      assert.notEqual(res.status, 0);
      assert.deepEqual(JSON.parse((await httpsGet(`${url}/healthz`, pki.cert)).body), { status: 'ok' });
    } finally {
      await app.close();
    }
  });

  test('API_TLS_CERT_FILE and API_TLS_KEY_FILE make the served API https; unreadable files name the variable', async () => {
    const env = { API_TLS_CERT_FILE: join(dir, 'api.pem'), API_TLS_KEY_FILE: join(dir, 'api.key'), API_PORT: '0' };
    // a lazy connection to nowhere: the health probe and the codec list need a client, not a server
    const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
    const api = await startApiServer({ config: loadConfig(env), composition: { linode: null, readLinode: null }, client, tokens: API_TOKENS });
    try {
      assert.match(api.url, /^https:\/\//);
      assert.deepEqual(JSON.parse((await httpsGet(`${api.url}/healthz`, pki.cert)).body), { status: 'ok' });
    } finally {
      await api.close();
    }
    await assert.rejects(
      startApiServer({ config: loadConfig({ ...env, API_TLS_KEY_FILE: join(dir, 'missing.key') }), composition: { linode: null, readLinode: null }, client, tokens: API_TOKENS }),
      /API_TLS_KEY_FILE \(.*missing\.key\) cannot be read: ENOENT/);
  });
});

describe('API read-only Linode token', () => {
  test('the API reads clusters with LINODE_READ_TOKEN while the worker keeps LINODE_TOKEN', () => {
    const config = loadConfig({ LINODE_TOKEN: 'worker-token-abc', LINODE_READ_TOKEN: 'reader-token-xyz', LINODE_API_URL: 'http://127.0.0.1:9' });
    const composition = compose({ ...config, kubeconfigDir: tmpdir() });
    assert.ok(composition.readLinode && composition.linode);
    assert.notEqual(composition.readLinode, composition.linode, 'two ports, two tokens');
    const withoutReader = compose({ ...loadConfig({ LINODE_TOKEN: 'worker-token-abc', LINODE_API_URL: 'http://127.0.0.1:9' }), kubeconfigDir: tmpdir() });
    assert.equal(withoutReader.readLinode, withoutReader.linode, 'no read-only token: the one port serves both');
    assert.throws(() => loadConfig({ LINODE_READ_TOKEN: 'a', LINODE_READ_TOKEN_FILE: '/x' }), /only one of LINODE_READ_TOKEN and LINODE_READ_TOKEN_FILE/);
    assert.doesNotMatch(JSON.stringify(config), /reader-token-xyz|worker-token-abc/, 'tokens stay redacted');
  });
});

describe('API deadlines on Temporal calls', { timeout: 120_000 }, () => {
  let server: DevServer;
  before(async () => { server = await startDevServer(); });
  after(async () => { await server?.stop(); });

  test('with no worker polling, a control answers 504 within the deadline instead of hanging', async () => {
    const clusterId = 4242;
    // a rotation on a queue no worker polls: the Update can never be handled
    await server.client.workflow.start('clusterRotation', {
      taskQueue: 'no-worker-here', workflowId: clusterRotationWorkflowId(clusterId), args: [{ clusterId, requestedBy: 'olga' }],
    });
    const deps = fakeDeps({ rotations: createRotationService(server.client, { deadlineMs: 1_500 }) });
    const app = await buildApp(deps);
    try {
      const startedAt = Date.now();
      const res = await app.inject({
        method: 'POST', url: `/v1/rotations/${clusterId}/pause`, headers: { ...bearer(TOKENS.operator), 'content-type': 'application/json' }, payload: {},
      });
      const tookMs = Date.now() - startedAt;
      assertError(res, 504, 'timeout');
      assert.ok(tookMs < 6_000, `answered in ${tookMs} ms`);
    } finally {
      await app.close();
      await server.client.workflow.getHandle(clusterRotationWorkflowId(clusterId)).terminate('test done');
    }
  });

  test('with Temporal unreachable, reads answer 503 or 504 within the deadline', async () => {
    const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
    const app = await buildApp(fakeDeps({
      rotations: createRotationService(client, { deadlineMs: 1_500 }),
      fleets: createFleetService(client, { deadlineMs: 1_500 }),
    }));
    try {
      for (const url of ['/v1/rotations/101', '/v1/fleet-rotations/nightly']) {
        const startedAt = Date.now();
        const res = await app.inject({ method: 'GET', url, headers: bearer(TOKENS.viewer) });
        const tookMs = Date.now() - startedAt;
        assert.ok([503, 504].includes(res.statusCode), `${url}: ${res.statusCode} ${res.body}`);
        assertError(res, res.statusCode, res.statusCode === 503 ? 'unavailable' : 'timeout');
        assert.ok(tookMs < 6_000, `${url} answered in ${tookMs} ms`);
      }
    } finally {
      await app.close();
    }
  });
});
