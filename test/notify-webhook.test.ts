// The notify activity without Temporal: what is signed and how a receiver checks it, the payload
// (links, Slack text, stable across attempts), and how each answer of the receiver is classified,
// against a real node:http receiver. The URL and the secret never appear in a result or an error.
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { buildPayload } from '../activities/notify/payload.js';
import { sign, signedContent, verifySignature } from '../activities/notify/signing.js';
import { NOT_CONFIGURED, createNotifyActivities } from '../activities/notify/webhook.js';
import type { NotifyInput } from '../common/notifications.js';
import { Secret } from '../config/config.js';

const SECRET = 'webhook-secret-0123456789';

const gateEvent: NotifyInput = {
  idempotencyKey: 'rotate-cluster-42/run-1/rotation.gate.waiting/1',
  kind: 'rotation.gate.waiting',
  occurredAt: '2026-12-04T10:00:00.000Z',
  workflowType: 'clusterRotation',
  workflowId: 'rotate-cluster-42',
  runId: 'run-1',
  requestedBy: 'alice',
  phase: 'AwaitingApproval',
  clusterId: 42,
  gate: 'beforeDelete',
  timeoutAt: '2026-12-05T10:00:00.000Z',
};

describe('signing', () => {
  test('the signature is HMAC-SHA256 over "<timestamp>.<raw body>", hex, prefixed sha256=', async () => {
    const { createHmac } = await import('node:crypto');
    const body = '{"a":1}';
    assert.equal(signedContent('1700000000', body).toString(), '1700000000.{"a":1}');
    const expected = `sha256=${createHmac('sha256', SECRET).update('1700000000.{"a":1}').digest('hex')}`;
    assert.equal(sign(SECRET, '1700000000', body), expected);
  });

  test('verify accepts the signature, refuses another secret, a changed body, a changed or stale timestamp', () => {
    const body = JSON.stringify(gateEvent);
    const signature = sign(SECRET, '1700000000', body);
    const now = 1700000100;
    assert.equal(verifySignature(SECRET, { signature, timestamp: '1700000000' }, body, { now }), true);
    assert.equal(verifySignature('another-secret-0123456', { signature, timestamp: '1700000000' }, body, { now }), false);
    assert.equal(verifySignature(SECRET, { signature, timestamp: '1700000000' }, `${body} `, { now }), false);
    assert.equal(verifySignature(SECRET, { signature, timestamp: '1700000001' }, body, { now }), false, 'the timestamp is signed');
    assert.equal(verifySignature(SECRET, { signature, timestamp: '1700000000' }, body, { now: now + 600 }), false, 'older than 5 minutes');
    assert.equal(verifySignature(SECRET, { signature: undefined, timestamp: '1700000000' }, body, { now }), false);
    assert.equal(verifySignature(SECRET, { signature: 'sha256=00', timestamp: '1700000000' }, body, { now }), false);
  });
});

describe('payload', () => {
  test('carries the event, the idempotency key, links when configured, and Slack-ready text', () => {
    const payload = buildPayload(gateEvent, { temporalWebUrl: 'https://temporal.example/', namespace: 'lke', apiUrl: 'https://rotator.example/' });
    assert.equal(payload.version, 1);
    assert.equal(payload.idempotencyKey, gateEvent.idempotencyKey);
    assert.equal(payload.kind, 'rotation.gate.waiting');
    assert.equal(payload.clusterId, 42);
    assert.equal(payload.gate, 'beforeDelete');
    assert.equal(payload.namespace, 'lke');
    assert.deepEqual(payload.links, {
      temporalWeb: 'https://temporal.example/namespaces/lke/workflows/rotate-cluster-42/run-1',
      api: 'https://rotator.example/v1/rotations/42',
    });
    assert.match(payload.text, /^Rotation of LKE cluster 42 waits for approval at the beforeDelete gate until 2026-12-05T10:00:00.000Z/);
    assert.match(payload.text, /<https:\/\/temporal\.example\/namespaces\/lke\/workflows\/rotate-cluster-42\/run-1\|Temporal Web> · <https:\/\/rotator\.example\/v1\/rotations\/42\|API>$/);
    // the same input gives the same body: a retried delivery is byte-identical
    assert.equal(JSON.stringify(buildPayload(gateEvent, { namespace: 'lke' })), JSON.stringify(buildPayload(gateEvent, { namespace: 'lke' })));
  });

  test("a staged fleet's gate and finished stage are named in the text", () => {
    const fleet = { ...gateEvent, workflowType: 'fleetRotation' as const, workflowId: 'rotate-fleet-nightly', clusterId: undefined };
    const gate = buildPayload({ ...fleet, kind: 'fleet.gate.waiting', gate: 'stage', stage: 'half<' }, { namespace: 'lke' });
    assert.match(gate.text, /^Fleet rotation rotate-fleet-nightly waits for approval at the gate of stage half&lt; until /);
    const done = buildPayload({ ...fleet, kind: 'fleet.wave.completed', phase: 'Running', stage: 'canary', wave: 1, waveCount: 3 }, { namespace: 'lke' });
    assert.match(done.text, /finished stage canary, wave 1 of 3/);
  });

  test('without base URLs the links are null; workflow text is escaped for Slack; a fleet links to its fleet resource', () => {
    const blocked = buildPayload({
      ...gateEvent, kind: 'rotation.blocked', phase: 'Blocked', step: 'verify', error: { type: 'VerifyIncomplete', message: 'node <a> & <b> not Ready' },
    }, { namespace: 'default' });
    assert.deepEqual(blocked.links, { temporalWeb: null, api: null });
    assert.match(blocked.text, /is Blocked at step verify: VerifyIncomplete: node &lt;a&gt; &amp; &lt;b&gt; not Ready/);
    const fleet = buildPayload({
      idempotencyKey: 'rotate-fleet-prod/r/fleet.halted/3', kind: 'fleet.halted', occurredAt: gateEvent.occurredAt,
      workflowType: 'fleetRotation', workflowId: 'rotate-fleet-prod', runId: 'r', requestedBy: 'alice', phase: 'Halted',
      fleetRotationId: 'rotate-fleet-prod', reason: '2 failed, error budget allows 1', counts: { Failed: 2, Pending: 5, Completed: 0 },
    }, { namespace: 'default', apiUrl: 'http://127.0.0.1:8080' });
    assert.equal(fleet.links.api, 'http://127.0.0.1:8080/v1/fleet-rotations/rotate-fleet-prod');
    assert.match(fleet.text, /^Fleet rotation rotate-fleet-prod halted: 2 failed, error budget allows 1/);
  });
});

interface Received { headers: IncomingHttpHeaders; body: string }

describe('the notify activity against a receiver', () => {
  let server: Server;
  let url: string;
  const received: Received[] = [];
  let answers: number[] = [];

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.statusCode = answers.shift() ?? 200;
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/T000/B000/path-token-xyz`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const activity = (now = () => 1_700_000_000_000) => createNotifyActivities({
    webhook: { url: new Secret(url), secret: new Secret(SECRET) }, links: { namespace: 'default' }, now,
  });

  test('delivers a signed POST with the idempotency key as a header and in the body', async () => {
    received.length = 0;
    const result = await activity().notify(gateEvent);
    assert.deepEqual(result, { delivered: true, status: 200 });
    const [request] = received;
    assert.ok(request);
    assert.equal(request.headers['content-type'], 'application/json');
    assert.equal(request.headers['idempotency-key'], gateEvent.idempotencyKey);
    assert.equal(request.headers['x-lke-rotator-event'], 'rotation.gate.waiting');
    assert.equal(request.headers['x-lke-rotator-timestamp'], '1700000000');
    const signature = request.headers['x-lke-rotator-signature'] as string;
    assert.ok(verifySignature(SECRET, { signature, timestamp: '1700000000' }, request.body, { now: 1_700_000_000 }));
    assert.equal(JSON.parse(request.body).idempotencyKey, gateEvent.idempotencyKey);
  });

  test('408, 429 and 5xx fail retryably, another 4xx for good; no error names the URL', async () => {
    for (const [status, retryable] of [[500, true], [503, true], [429, true], [408, true], [404, false], [400, false], [302, false]] as const) {
      answers = [status];
      await assert.rejects(activity().notify(gateEvent), (err: unknown) => {
        assert.ok(err instanceof ApplicationFailure, String(err));
        assert.equal(err.type, retryable ? 'WebhookUnavailable' : 'WebhookRejected');
        assert.equal(err.nonRetryable, !retryable, `status ${status}`);
        assert.equal(err.message, `webhook answered ${status}`);
        return true;
      });
    }
  });

  test('an unreachable webhook fails retryably with the error code only; without a webhook nothing is sent', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const unreachable = createNotifyActivities({
      webhook: { url: new Secret(`http://127.0.0.1:${port}/secret-path`), secret: new Secret(SECRET) }, links: { namespace: 'default' },
    });
    await assert.rejects(unreachable.notify(gateEvent), (err: unknown) => {
      assert.ok(err instanceof ApplicationFailure);
      assert.equal(err.type, 'WebhookUnavailable');
      assert.equal(err.message, 'webhook unreachable: ECONNREFUSED');
      assert.ok(!err.message.includes('secret-path') && !err.message.includes(String(port)));
      return true;
    });
    received.length = 0;
    assert.deepEqual(await createNotifyActivities({ links: { namespace: 'default' } }).notify(gateEvent), { delivered: false, skipped: NOT_CONFIGURED });
    assert.equal(received.length, 0);
  });
});
