// Payload encryption end to end: a real dev server, the live worker and the API with the codec on
// (dev/localStack.ts, codecKeysFile). After a rotation the history stored ON THE SERVER (read raw,
// without any codec) holds no cluster topology, while the API's status and the codec endpoint, as
// Temporal Web would call it, still read it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import proto from '@temporalio/proto';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../api/app.js';
import { createClusterService, createRotationService, temporalHealthCheck } from '../api/services.js';
import { startLocalStack, type LocalStack } from '../dev/localStack.js';
import { API_TOKENS, TOKENS, bearer } from './support/apiFakes.js';
import { newKey, writeKeysFile } from './support/codecKeys.js';

const { History } = proto.temporal.api.history.v1;
type JsonPayload = { metadata: Record<string, string>; data: string };

describe('encrypted payloads on a real server', () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  let stack: LocalStack;
  let app: FastifyInstance;

  before(async () => {
    const codecKeysFile = await writeKeysFile({ activeKeyId: 'k2', keys: { k1: newKey(), k2: newKey() } });
    stack = await startLocalStack({
      simulator: { clusters: 1, seed: 21, timeScale: 0.002, tokenCacheMs: 0, rateLimit: false },
      activities: { pollIntervalMs: 20, tokenCacheWindowMs: 50, retryAfterScale: 0.002 },
      codecKeysFile,
    });
    const linode = stack.composition.linode!;
    app = await buildApp({
      rotations: createRotationService(stack.client, { linode }),
      clusters: createClusterService(linode),
      temporalHealth: temporalHealthCheck(stack.client),
      tokens: API_TOKENS,
      namespace: stack.server.namespace,
      codecs: stack.client.options.loadedDataConverter.payloadCodecs,
    });
  }, { timeout: 180_000 });

  after(async () => {
    await app?.close();
    await stack?.stop();
  });

  const call = async (method: 'GET' | 'POST', url: string, token: string, payload?: object) => {
    const res = await app.inject({ method, url, headers: bearer(token), ...(payload ? { payload } : {}) });
    return { status: res.statusCode, body: res.json() };
  };

  it('after a rotation, the server holds no topology in plaintext; the API and the codec endpoint read it', async () => {
    const { cluster } = stack.sim.state.list()[0];
    const started = await call('POST', '/v1/rotations', TOKENS.admin, {
      clusterId: cluster.id, restart: { scope: 'all' }, approvals: { beforeDelete: false, beforeRecycle: false },
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    let done: { execution: string; status: { phase: string; label: string; plan: { deleteSecrets: { name: string; serviceAccount: string }[]; restartWorkloads: { name: string }[] } } };
    for (const deadline = Date.now() + 120_000; ; await new Promise((r) => setTimeout(r, 200))) {
      const res = await call('GET', `/v1/rotations/${cluster.id}`, TOKENS.viewer);
      if (res.status === 200 && res.body.execution !== 'RUNNING') { done = res.body; break; }
      assert.ok(Date.now() < deadline, 'the rotation did not finish in time');
    }
    assert.equal(done.execution, 'COMPLETED', JSON.stringify(done));
    assert.equal(done.status.phase, 'Completed');

    // the API read the topology through the codec
    const kube = stack.sim.state.kube(cluster.id)!;
    const topology = {
      label: [cluster.label],
      secrets: done.status.plan.deleteSecrets.map((s) => s.name),
      serviceAccounts: [...new Set(done.status.plan.deleteSecrets.map((s) => s.serviceAccount))],
      workloads: done.status.plan.restartWorkloads.map((w) => w.name),
      nodes: kube.nodeNames(),
    };
    assert.equal(done.status.label, cluster.label);
    assert.ok(topology.secrets.some((name) => name.startsWith('lke-admin-token')), JSON.stringify(topology.secrets));
    for (const [what, names] of Object.entries(topology)) assert.ok(names.length > 0, `no ${what} to look for`);

    // the history as the server stores it, read with no codec, every byte of it
    const events = [];
    let nextPageToken: Uint8Array | undefined;
    do {
      const page = await stack.client.workflowService.getWorkflowExecutionHistory({
        namespace: stack.server.namespace,
        execution: { workflowId: started.body.workflowId, runId: started.body.runId },
        nextPageToken,
      });
      events.push(...(page.history?.events ?? []));
      nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
    } while (nextPageToken);
    const raw = Buffer.from(History.encode({ events }).finish());
    for (const [what, names] of Object.entries(topology)) {
      for (const name of names) assert.ok(!raw.includes(name), `the ${what} name ${name} is in the stored history in plaintext`);
    }

    // every payload is encrypted, the static summary (Temporal Web's run title) included; search
    // attributes are not (the server indexes them; codecs never see them): cluster id, region, phase
    const payloads: JsonPayload[] = [];
    const plainPaths: string[] = [];
    const collect = (value: unknown, path = ''): void => {
      if (Array.isArray(value)) value.forEach((v, i) => collect(v, `${path}[${i}]`));
      else if (value && typeof value === 'object') {
        const object = value as Record<string, unknown>;
        if (object.metadata && typeof object.metadata === 'object' && 'encoding' in object.metadata) {
          // search attributes stay plaintext for the server; patch markers (patched()) are written by
          // the SDK's core without the codec and hold only the patch id
          if (/searchAttributes|markerRecordedEventAttributes/.test(path)) plainPaths.push(path);
          else payloads.push(object as JsonPayload);
        } else Object.entries(object).forEach(([k, v]) => collect(v, `${path}.${k}`));
      }
    };
    collect(History.toObject(History.create({ events }), { bytes: String }));
    assert.ok(payloads.length > 10, `${payloads.length} payloads`);
    const encodings = new Set(payloads.map((p) => Buffer.from(p.metadata.encoding, 'base64').toString()));
    assert.deepEqual([...encodings], ['binary/encrypted']);
    assert.ok(plainPaths.length > 0, 'search attributes stay plaintext, as the server needs');
    const keyIds = new Set(payloads.map((p) => Buffer.from(p.metadata['encryption-key-id'], 'base64').toString()));
    assert.deepEqual([...keyIds], ['k2'], 'the active key encrypts');
    assert.equal(Buffer.from(events[0].userMetadata?.summary?.metadata?.encoding ?? []).toString(), 'binary/encrypted',
      'the static summary is encrypted too: Temporal Web shows it only through the codec endpoint');

    // the codec endpoint, as Temporal Web calls it, gives the topology back to a viewer
    const anonymous = await app.inject({ method: 'POST', url: '/codec/decode', payload: { payloads } });
    assert.equal(anonymous.statusCode, 401);
    const decoded = await app.inject({ method: 'POST', url: '/codec/decode', headers: bearer(TOKENS.viewer), payload: { payloads } });
    assert.equal(decoded.statusCode, 200);
    const plaintext = (decoded.json().payloads as JsonPayload[]).map((p) => Buffer.from(p.data, 'base64').toString()).join('\n');
    for (const [what, names] of Object.entries(topology)) {
      if (what === 'nodes') continue; // verify reports nodes as a count, so node names need not be in history
      for (const name of names) assert.ok(plaintext.includes(name), `the decoded history lacks the ${what} name ${name}`);
    }
  });
});
