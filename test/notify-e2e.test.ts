// Webhook notifications end to end: a real rotation on the local stack (Temporal dev server, the LKE
// simulator, a worker with the live activities and the live notify activity) posting to a local
// node:http receiver that checks every signature the way README.md tells a receiver to, and answers
// the first delivery 500 so Temporal retries it: the retry carries the same idempotency key and body.
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { verifySignature } from '../activities/notify/signing.js';
import { sendControl, startRotation } from '../client/index.js';
import type { RotationReport } from '../common/types.js';
import { Secret } from '../config/config.js';
import { startLocalStack, type LocalStack } from '../dev/localStack.js';
import { historyText } from './support/histories.js';
import { waitForRotationStatus } from './support/rotationStatus.js';

Runtime.install({ logger: new DefaultLogger('WARN') });

const SECRET = 'e2e-webhook-secret-0123456789';
const PATH_TOKEN = 'path-token-e2e-abcdef';

interface Delivery { headers: IncomingHttpHeaders; body: string; answered: number; verified: boolean }

let receiver: Server;
let stack: LocalStack;
const deliveries: Delivery[] = [];
/** the receiver answers the first delivery with 500, every later one with 200 */
let failFirst = true;

before(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      // the receiver's check: the signature over "<timestamp>.<raw body>", and a recent timestamp
      const verified = req.url === `/hooks/${PATH_TOKEN}` && verifySignature(SECRET, {
        signature: req.headers['x-lke-rotator-signature'] as string | undefined,
        timestamp: req.headers['x-lke-rotator-timestamp'] as string | undefined,
      }, body);
      const answered = !verified ? 401 : failFirst ? 500 : 200;
      failFirst = false;
      deliveries.push({ headers: req.headers, body, answered, verified });
      res.statusCode = answered;
      res.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/${PATH_TOKEN}`;
  stack = await startLocalStack({
    simulator: { clusters: 2, seed: 23, timeScale: 0.002, rateLimit: false },
    activities: { pollIntervalMs: 50, tokenCacheWindowMs: 2_000, recycleResendAfterMs: 5_000, retryAfterScale: 0.01 },
    notifications: { webhook: { url: new Secret(url), secret: new Secret(SECRET) }, apiUrl: 'http://127.0.0.1:8080' },
    temporalWebUrl: 'http://127.0.0.1:8233',
  });
});

after(async () => {
  await stack?.stop();
  await new Promise<void>((resolve) => receiver?.close(() => resolve()));
});

describe('webhook notifications on the local stack', { timeout: 180_000 }, () => {
  test('a real rotation posts signed events; the retried delivery carries the same key and body', async () => {
    const clusterId = stack.sim.state.list()[0].cluster.id;
    // gates on (the default): the beforeDelete gate is the first event
    const { handle, runId, workflowId } = await startRotation(stack.client, {
      clusterId, requestedBy: 'alice', notify: true,
      tuning: { activityRetryInitialIntervalMs: 100, activityRetryMaximumIntervalMs: 500 },
    }, { taskQueue: stack.taskQueue });
    await waitForRotationStatus(stack.client, clusterId, (s) => s.phase === 'AwaitingApproval', 'the beforeDelete gate', 60_000);
    await sendControl(stack.client, clusterId, 'approve', { by: 'bob' });
    const report: RotationReport = await handle.result();
    assert.equal(report.phase, 'Completed');

    assert.ok(deliveries.length >= 3, `deliveries: ${deliveries.length}`);
    assert.ok(deliveries.every((d) => d.verified), 'every delivery is signed with the secret over timestamp.body');
    // the gate's event: answered 500, retried by Temporal with the same key (header and body) and the same body
    // (the retry may come after later events: order between events is not promised)
    const key = `${workflowId}/${runId}/rotation.gate.waiting/1`;
    const [first, retried, ...more] = deliveries.filter((d) => d.headers['idempotency-key'] === key);
    assert.equal(more.length, 0);
    assert.equal(first, deliveries[0]);
    assert.deepEqual([first.answered, retried.answered], [500, 200]);
    assert.equal(retried.body, first.body, 'the same body on the retry');
    const gate = JSON.parse(first.body) as Record<string, unknown>;
    assert.equal(gate.idempotencyKey, key);
    assert.deepEqual([gate.kind, gate.gate, gate.clusterId, gate.phase], ['rotation.gate.waiting', 'beforeDelete', clusterId, 'AwaitingApproval']);
    assert.deepEqual(gate.links, {
      temporalWeb: `http://127.0.0.1:8233/namespaces/${stack.server.namespace}/workflows/${workflowId}/${runId}`,
      api: `http://127.0.0.1:8080/v1/rotations/${clusterId}`,
    });

    const delivered = deliveries.filter((d) => d.answered === 200).map((d) => JSON.parse(d.body) as { kind: string; phase: string; idempotencyKey: string });
    assert.deepEqual(delivered.map((d) => d.kind).sort(), ['rotation.ended', 'rotation.gate.waiting']);
    const end = delivered.find((d) => d.kind === 'rotation.ended');
    assert.deepEqual([end?.phase, end?.idempotencyKey], ['Completed', `${workflowId}/${runId}/rotation.ended/2`]);

    // neither the secret nor the URL's token is in the run's history (payloads decoded to text)
    const history = historyText(await handle.fetchHistory());
    assert.ok(history.includes('rotation.gate.waiting'), 'payloads are readable');
    assert.ok(!history.includes(SECRET) && !history.includes(PATH_TOKEN), 'no webhook secret in history');
  });
});
